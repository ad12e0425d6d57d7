import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel
import KVReplayTestSupport
import Testing

final class CollectingSink: ReplaySink {
    var flips: [String: [Flip]] = [:]
    func flips(from: Int, to: Int, entity: EntityRef, flips: [Flip]) throws {
        self.flips["\(from)->\(to) \(entity.kind.rawValue)/\(entity.name)", default: []].append(contentsOf: flips)
    }
}

/// The outcome of every entity for every user under one snapshot, by direct evaluation (no replay machinery).
func directOutcomes(_ snapshot: ReplaySnapshot, users: [ReplayUser], idLists: IDLists) -> [EntityRef: [Outcome]] {
    let evaluator = Evaluator(payload: CompiledPayload(snapshot.specs), options: EvaluationOptions(now: snapshot.lcut, idLists: idLists))
    let ctx = EvaluationContext()
    var out: [EntityRef: [Outcome]] = [:]
    for u in users {
        let p = evaluator.prepare(u.user)
        for ref in evaluator.payload.entities {
            let e = evaluator.evaluate(ref, for: p, in: ctx)
            out[ref, default: []].append(Outcome(value: e.value, ruleID: e.ruleID, groupName: e.groupName))
        }
    }
    return out
}

@Suite struct ReplayTests {
    let users = History.users(700)

    func replay(threads: Int, chunk: Int) throws -> (ReplaySummary, CollectingSink) {
        let sink = CollectingSink()
        let summary = try Replayer(snapshots: History.snapshots, options: ReplayOptions(threads: threads, usersPerChunk: chunk, idLists: History.idLists, idListHashes: ["beta": "h1"]))
            .run(users: users, sink: sink)
        return (summary, sink)
    }

    @Test func rollupsEqualDirectEvaluation() throws {
        let (summary, _) = try replay(threads: 2, chunk: 256)
        for (s, snapshot) in History.snapshots.enumerated() {
            let direct = directOutcomes(snapshot, users: users, idLists: History.idLists)
            let rollups = summary.rollups.filter { $0.snapshot == s }
            #expect(Set(rollups.map(\.entity)) == Set(direct.keys))
            for r in rollups {
                var expected: [Outcome: Int] = [:]
                for o in direct[r.entity]! { expected[o, default: 0] += 1 }
                var got: [Outcome: Int] = [:]
                for (o, n) in r.outcomes { got[o] = n }
                #expect(got == expected, "snapshot \(s) \(r.entity.name)")
            }
        }
    }

    @Test func flipsEqualDirectComparison() throws {
        let (_, sink) = try replay(threads: 2, chunk: 300)
        var expected: [String: [Flip]] = [:]
        for s in 1..<History.snapshots.count {
            let before = directOutcomes(History.snapshots[s - 1], users: users, idLists: History.idLists)
            let after = directOutcomes(History.snapshots[s], users: users, idLists: History.idLists)
            for (ref, outcomes) in after.sorted(by: { $0.key < $1.key }) {
                guard let prev = before[ref] else { continue }
                for (i, o) in outcomes.enumerated() where o != prev[i] {
                    expected["\(s - 1)->\(s) \(ref.kind.rawValue)/\(ref.name)", default: []].append(Flip(userID: users[i].id, before: prev[i], after: o))
                }
            }
        }
        #expect(sink.flips == expected)
        #expect(expected["0->1 gate/ramp"]?.count ?? 0 > 100)
        #expect(expected["1->2 gate/ramp"] == nil)
    }

    @Test func resultsDoNotDependOnThreadsOrChunks() throws {
        let (a, sa) = try replay(threads: 1, chunk: 10_000)
        let (b, sb) = try replay(threads: 2, chunk: 10_000)
        let (c, sc) = try replay(threads: 2, chunk: 97)
        func key(_ s: ReplaySummary) -> [String] {
            s.rollups.map { r in "\(r.snapshot) \(r.entity.name) \(r.closure) " + r.outcomes.map { "\($0.outcome.ruleID)=\($0.users)" }.joined(separator: ",") }
        }
        #expect(key(a) == key(b))
        #expect(key(a) == key(c))
        #expect(sa.flips == sb.flips)
        #expect(sa.flips.mapValues { $0.sorted { $0.userID < $1.userID } } == sc.flips.mapValues { $0.sorted { $0.userID < $1.userID } })
    }

    @Test func unchangedEntitiesAreCarriedOver() throws {
        let (summary, _) = try replay(threads: 2, chunk: 10_000)
        let byKey = Dictionary(grouping: summary.rollups, by: \.snapshot)
        // Snapshot 1 changes only `ramp` (and `nested`, which reads it). The time gate's clock moved, but its
        // launch date (2024-01-01) is still ahead, so its outcome is unchanged and it is carried over.
        let evaluated1 = Set(byKey[1]!.filter(\.evaluated).map(\.entity.name))
        #expect(evaluated1 == ["ramp", "nested"])
        // Snapshot 2 is the same config at a new lcut: nothing is evaluated again.
        #expect(Set(byKey[2]!.filter(\.evaluated).map(\.entity.name)) == [])
        // Snapshot 3 (March 2024) adds `extra`, changes the email rule that `emails` and `nested` read, and crosses
        // the launch date of the time gate.
        #expect(Set(byKey[3]!.filter(\.evaluated).map(\.entity.name)) == ["after_2024", "emails", "extra", "nested"])
        let entities = 7
        #expect(summary.evaluations + summary.carriedOver == (entities * 3 + entities + 1) * users.count)
        #expect(summary.evaluations == (entities + 2 + 0 + 4) * users.count)
    }
}

@Suite struct AuditTests {
    let users = History.users(50)

    func audit(_ x: LoggedExposure, lists: IDLists = History.idLists) -> AuditResult {
        let auditor = Auditor(snapshots: History.snapshots, defaultFlavor: .core, idLists: lists)
        let user = x.userID.map { id in users[Int(id) - 1].user }
        return auditor.audit(x, user: user, evaluators: auditor.makeEvaluators())
    }

    /// The real answer for user `u` under snapshot `s`.
    func truth(_ s: Int, _ ref: EntityRef, _ u: Int) -> Evaluation {
        let snap = History.snapshots[s]
        let e = Evaluator(payload: CompiledPayload(snap.specs), options: EvaluationOptions(now: snap.lcut, idLists: History.idLists))
        return e.evaluate(ref, for: e.prepare(users[u].user), in: EvaluationContext())
    }

    @Test func matchAndMismatch() {
        let t = truth(0, EntityRef(kind: .gate, name: "emails"), 0)
        let ok = audit(LoggedExposure(id: 1, kind: .gate, entity: "emails", userID: 1, value: t.boolValue ? "true" : "false",
                                      ruleID: t.ruleID, eventTime: 1_700_000_200_000, lcut: 1_700_000_000_000, sdkType: nil))
        #expect(ok.verdict == .match)
        #expect(ok.snapshot == 0 && !ok.inferred)
        let bad = audit(LoggedExposure(id: 2, kind: .gate, entity: "emails", userID: 1, value: t.boolValue ? "false" : "true",
                                       ruleID: t.ruleID, eventTime: 1_700_000_200_000, lcut: 1_700_000_000_000, sdkType: nil))
        #expect(bad.verdict == .mismatch)
        #expect(bad.fields == ["value"])
    }

    @Test func staleWhenANewerConfigInForceAnswersDifferently() {
        // Find a user whom the ramp moved from false (10%) to true (50%).
        let ref = EntityRef(kind: .gate, name: "ramp")
        let u = (0..<users.count).first { !truth(0, ref, $0).boolValue && truth(1, ref, $0).boolValue }!
        let old = truth(0, ref, u)
        let stale = audit(LoggedExposure(id: 3, kind: .gate, entity: "ramp", userID: Int64(u + 1), value: "false", ruleID: old.ruleID,
                                         eventTime: 1_700_100_200_000, lcut: 1_700_000_000_000, sdkType: "statsig-server-core-python"))
        #expect(stale.verdict == .stale)
        #expect(stale.newerSnapshot == 1)
        // Logged before the newer config was published (its lcut): not stale.
        let early = audit(LoggedExposure(id: 4, kind: .gate, entity: "ramp", userID: Int64(u + 1), value: "false", ruleID: old.ruleID,
                                         eventTime: 1_700_099_000_000, lcut: 1_700_000_000_000, sdkType: nil))
        #expect(early.verdict == .match)
    }

    @Test func inferredAndNoSnapshot() {
        let t = truth(1, EntityRef(kind: .gate, name: "emails"), 2)
        // An lcut that was never captured: the latest snapshot captured before the event is used.
        let inferred = audit(LoggedExposure(id: 5, kind: .gate, entity: "emails", userID: 3, value: t.boolValue ? "true" : "false",
                                            ruleID: t.ruleID, eventTime: 1_700_150_000_000, lcut: 1_700_140_000_000, sdkType: nil))
        #expect(inferred.inferred)
        #expect(inferred.snapshot == 1)
        #expect(inferred.verdict == .match)
        let none = audit(LoggedExposure(id: 6, kind: .gate, entity: "emails", userID: 3, value: "true", ruleID: "x",
                                        eventTime: 1_600_000_000_000, lcut: 1_599_000_000_000, sdkType: nil))
        #expect(none.verdict == .noSnapshot)
    }

    @Test func unevaluableWithoutTheIDListOrTheUser() {
        let x = LoggedExposure(id: 7, kind: .gate, entity: "listed", userID: 1, value: "true", ruleID: "list-rule",
                               eventTime: 1_700_000_200_000, lcut: 1_700_000_000_000, sdkType: nil)
        #expect(audit(x).verdict == .match)
        #expect(audit(x, lists: IDLists()).verdict == .unevaluable)
        var anonymous = x
        anonymous.userID = nil
        #expect(audit(anonymous).verdict == .unevaluable)
    }

    @Test func layersAndExperiments() {
        let layer = truth(0, EntityRef(kind: .layer, name: "layer"), 4)
        let x = LoggedExposure(id: 8, kind: .layer, entity: "layer", userID: 5, ruleID: layer.ruleID,
                               allocatedExperiment: layer.allocatedExperiment ?? "", isExplicitParameter: true,
                               eventTime: 1_700_000_200_000, lcut: 1_700_000_000_000, sdkType: nil)
        #expect(audit(x).verdict == .match)
        let exp = truth(0, EntityRef(kind: .experiment, name: "exp"), 4)
        var c = LoggedExposure(id: 9, kind: .config, entity: "exp", userID: 5, ruleID: exp.ruleID, groupName: exp.groupName,
                               eventTime: 1_700_000_200_000, lcut: 1_700_000_000_000, sdkType: nil)
        #expect(audit(c).verdict == .match)
        c.groupName = exp.groupName == "Test" ? "Control" : "Test"
        #expect(audit(c).fields.contains("group"))
    }
}
