public import KVReplayEvaluation
public import KVReplayModel
public import KVReplayEngine

/// Cloudflare Workers KV's value size limit, 25 MiB.
public let kvValueLimitBytes = 26_214_400

public struct CheckOptions: Sendable {
    public var flavor: SDKFlavor = .core
    public var now: Int64
    public var idLists: IDLists = IDLists()
    public var threads: Int = Parallel.availableCores
    /// Overall: the share of users whose value, rule or group changes for at least one entity.
    public var maxChangedRate: Double?
    /// Per entity name: the share of users whose value, rule or group changes for it.
    public var maxChangedRateFor: [String: Double] = [:]
    /// The candidate's size as a percentage of the KV value limit.
    public var maxPayloadPercent: Double?
    public var expectations: [Expectation] = []

    public init(now: Int64) { self.now = now }
}

/// One payload compared: the specs and the size of the value as KV would store it.
public struct CheckPayload: Sendable {
    public var name: String
    public var specs: ConfigSpecs
    public var bytes: Int

    public init(name: String, specs: ConfigSpecs, bytes: Int) {
        self.name = name
        self.specs = specs
        self.bytes = bytes
    }
}

public struct EntityChange: Sendable, Equatable {
    public enum Status: String, Sendable { case changed, unchanged, added, removed }
    public var entity: EntityRef
    public var status: Status
    public var users: Int
    /// Users whose value, rule or group differs.
    public var changed: Int
    public var valueChanged: Int
    public var ruleChanged: Int
    public var groupChanged: Int
    /// Up to five changed users: (unit ID or user index, before, after).
    public var examples: [(user: String, before: Outcome, after: Outcome)]

    public var changedRate: Double { users == 0 ? 0 : Double(changed) / Double(users) }

    public static func == (a: EntityChange, b: EntityChange) -> Bool {
        a.entity == b.entity && a.status == b.status && a.users == b.users && a.changed == b.changed
            && a.valueChanged == b.valueChanged && a.ruleChanged == b.ruleChanged && a.groupChanged == b.groupChanged
    }
}

public struct CheckResult: Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var message: String
}

public struct CheckReport: Sendable {
    public var baseline: String
    public var candidate: String
    public var users: Int
    public var usersChanged: Int
    public var candidateBytes: Int
    public var entities: [EntityChange]
    public var checks: [CheckResult]

    public var passed: Bool { checks.allSatisfy(\.passed) }
    public var usersChangedRate: Double { users == 0 ? 0 : Double(usersChanged) / Double(users) }
}

/// `kvreplay check`: the population under the baseline and the candidate, per-entity changes, thresholds and
/// expectations.
public enum RegressionCheck {
    public static func run(baseline: CheckPayload, candidate: CheckPayload, users: [StatsigUser], options: CheckOptions) -> CheckReport {
        let before = Evaluator(payload: CompiledPayload(baseline.specs), options: EvaluationOptions(flavor: options.flavor, now: options.now, idLists: options.idLists))
        let after = Evaluator(payload: CompiledPayload(candidate.specs), options: EvaluationOptions(flavor: options.flavor, now: options.now, idLists: options.idLists))
        let beforeRefs = Set(before.payload.entities), afterRefs = Set(after.payload.entities)
        let common = before.payload.entities.filter { afterRefs.contains($0) }
        let all = Array(beforeRefs.union(afterRefs)).sorted()

        // Per user and common entity: before and after outcomes; plus candidate outcomes for every candidate entity.
        struct Part: Sendable {
            var changedByEntity: [[Int32]]   // per common entity: user indices that changed
            var outcomes: [[(Outcome, Outcome)]]
            var usersChanged: Int
            var candidate: [[Outcome]]       // per candidate entity
        }
        let candidateRefs = after.payload.entities
        let userList = users
        let parts = Parallel.mapChunks(count: users.count, chunkSize: 256, threads: options.threads) { range in
            let ctx = EvaluationContext()
            var part = Part(changedByEntity: Array(repeating: [], count: common.count), outcomes: Array(repeating: [], count: common.count),
                            usersChanged: 0, candidate: Array(repeating: [], count: candidateRefs.count))
            for u in range {
                let pb = before.prepare(userList[u]), pa = after.prepare(userList[u])
                var any = false
                for (k, ref) in common.enumerated() {
                    let b = before.evaluate(ref, for: pb, in: ctx), a = after.evaluate(ref, for: pa, in: ctx)
                    let ob = Outcome(value: b.value, ruleID: b.ruleID, groupName: b.groupName)
                    let oa = Outcome(value: a.value, ruleID: a.ruleID, groupName: a.groupName)
                    if ob != oa {
                        any = true
                        part.changedByEntity[k].append(Int32(u))
                        part.outcomes[k].append((ob, oa))
                    }
                }
                for (k, ref) in candidateRefs.enumerated() {
                    let a = after.evaluate(ref, for: pa, in: ctx)
                    part.candidate[k].append(Outcome(value: a.value, ruleID: a.ruleID, groupName: a.groupName))
                }
                if any { part.usersChanged += 1 }
            }
            return part
        }

        var changes: [EntityRef: EntityChange] = [:]
        for (k, ref) in common.enumerated() {
            var c = EntityChange(entity: ref, status: .unchanged, users: users.count, changed: 0, valueChanged: 0, ruleChanged: 0, groupChanged: 0, examples: [])
            for part in parts {
                for (i, u) in part.changedByEntity[k].enumerated() {
                    let (b, a) = part.outcomes[k][i]
                    c.changed += 1
                    let fields = b.changes(to: a)
                    if fields.contains("value") { c.valueChanged += 1 }
                    if fields.contains("rule") { c.ruleChanged += 1 }
                    if fields.contains("group") { c.groupChanged += 1 }
                    if c.examples.count < 5 { c.examples.append((userLabel(userList[Int(u)], index: Int(u)), b, a)) }
                }
            }
            if c.changed > 0 { c.status = .changed }
            changes[ref] = c
        }
        for ref in all where changes[ref] == nil {
            changes[ref] = EntityChange(entity: ref, status: afterRefs.contains(ref) ? .added : .removed, users: users.count,
                                        changed: 0, valueChanged: 0, ruleChanged: 0, groupChanged: 0, examples: [])
        }
        var candidateOutcomes: [EntityRef: [Outcome]] = [:]
        for (k, ref) in candidateRefs.enumerated() { candidateOutcomes[ref] = parts.flatMap { $0.candidate[k] } }

        var report = CheckReport(baseline: baseline.name, candidate: candidate.name, users: users.count,
                                 usersChanged: parts.reduce(0) { $0 + $1.usersChanged }, candidateBytes: candidate.bytes,
                                 entities: all.map { changes[$0]! }, checks: [])
        report.checks = checks(report: report, options: options, candidate: after, candidateOutcomes: candidateOutcomes, users: users)
        return report
    }

    static func userLabel(_ u: StatsigUser, index: Int) -> String {
        if let id = u.userID, let s = UserValue.core(id).string, !s.isEmpty { return s }
        if let ids = u.customIDs, let first = ids.members.first(where: { _ in true }), let s = UserValue.core(first.1).string { return "\(first.0)=\(s)" }
        return "#\(index)"
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }

    static func checks(report: CheckReport, options: CheckOptions, candidate: Evaluator, candidateOutcomes: [EntityRef: [Outcome]], users: [StatsigUser]) -> [CheckResult] {
        var out: [CheckResult] = []
        if let max = options.maxChangedRate {
            let rate = report.usersChangedRate
            out.append(CheckResult(name: "changed users <= \(percent(max))", passed: rate <= max,
                                   message: "\(report.usersChanged) of \(report.users) users (\(percent(rate))) change value, rule or group for at least one entity"))
        }
        for (name, max) in options.maxChangedRateFor.sorted(by: { $0.key < $1.key }) {
            let matching = report.entities.filter { $0.entity.name == name }
            if matching.isEmpty {
                out.append(CheckResult(name: "\(name) changed users <= \(percent(max))", passed: false, message: "no entity named \(name) in either payload"))
                continue
            }
            for c in matching {
                out.append(CheckResult(name: "\(c.entity.kind.rawValue) \(name) changed users <= \(percent(max))", passed: c.changedRate <= max,
                                       message: "\(c.changed) of \(c.users) users (\(percent(c.changedRate))) change for \(c.entity.kind.rawValue) \(name)"))
            }
        }
        if let max = options.maxPayloadPercent {
            let pct = Double(report.candidateBytes) / Double(kvValueLimitBytes) * 100
            out.append(CheckResult(name: "candidate payload <= \(String(format: "%.1f", max))% of the 25 MiB KV limit", passed: pct <= max,
                                   message: "\(report.candidateBytes) bytes, \(String(format: "%.2f", pct))% of 26214400"))
        }
        for e in options.expectations {
            out.append(evaluate(e, report: report, candidate: candidate, outcomes: candidateOutcomes, users: users))
        }
        return out
    }

    static func find(_ name: String, in outcomes: [EntityRef: [Outcome]]) -> EntityRef? {
        for kind in EntityKind.allCases { let r = EntityRef(kind: kind, name: name); if outcomes[r] != nil { return r } }
        return nil
    }

    static func evaluate(_ e: Expectation, report: CheckReport, candidate: Evaluator, outcomes: [EntityRef: [Outcome]], users: [StatsigUser]) -> CheckResult {
        switch e {
        case .userResult(let name, let selector, let entity, let passes, let ruleID, let group):
            guard let ref = find(entity, in: outcomes) else { return CheckResult(name: name, passed: false, message: "the candidate has no entity \(entity)") }
            let user: StatsigUser
            switch selector {
            case .user(let u): user = u
            case .unitID(let id):
                guard let u = users.first(where: { u in
                    (u.userID.flatMap { UserValue.core($0).string } == id) || (u.customIDs?.values.contains { UserValue.core($0).string == id } ?? false)
                }) else { return CheckResult(name: name, passed: false, message: "no user with unit ID \(id) in the population") }
                user = u
            }
            let r = candidate.evaluate(ref, for: candidate.prepare(user), in: EvaluationContext())
            var problems: [String] = []
            if let passes, r.boolValue != passes { problems.append("passes is \(r.boolValue), expected \(passes)") }
            if let ruleID, r.ruleID != ruleID { problems.append("rule is \(r.ruleID), expected \(ruleID)") }
            if let group, r.groupName != group { problems.append("group is \(r.groupName ?? "none"), expected \(group)") }
            return CheckResult(name: name, passed: problems.isEmpty,
                               message: problems.isEmpty ? "\(ref.kind.rawValue) \(entity): rule \(r.ruleID), group \(r.groupName ?? "none"), value \(JSONWriter().string(r.value))" : problems.joined(separator: "; "))
        case .passRate(let name, let gate, let lo, let hi):
            guard let list = outcomes[EntityRef(kind: .gate, name: gate)] else { return CheckResult(name: name, passed: false, message: "the candidate has no gate \(gate)") }
            let rate = list.isEmpty ? 0 : Double(list.filter { $0.value == .bool(true) }.count) / Double(list.count)
            return CheckResult(name: name, passed: rate >= lo && rate <= hi, message: "\(gate) passes for \(percent(rate)) of \(list.count) users")
        case .split(let name, let experiment, let tolerance):
            let ref = EntityRef(kind: .experiment, name: experiment)
            guard let list = outcomes[ref], let spec = candidate.payload.spec(ref)?.source else {
                return CheckResult(name: name, passed: false, message: "the candidate has no experiment \(experiment)")
            }
            let allocation = spec.groupAllocation
            guard !allocation.isEmpty else { return CheckResult(name: name, passed: false, message: "\(experiment) has no user_bucket group rules to compare with") }
            let inGroups = list.filter { o in o.groupName.map { g in allocation.contains { $0.group == g } } ?? false }
            var worst = 0.0
            var parts: [String] = []
            for a in allocation {
                let measured = inGroups.isEmpty ? 0 : Double(inGroups.filter { $0.groupName == a.group }.count) / Double(inGroups.count)
                worst = max(worst, abs(measured - a.share))
                parts.append("\(a.group) \(percent(measured)) (allocated \(percent(a.share)))")
            }
            return CheckResult(name: name, passed: !inGroups.isEmpty && worst <= tolerance,
                               message: "\(inGroups.count) users in groups: " + parts.joined(separator: ", "))
        case .unchanged(let name, let entity):
            let matching = report.entities.filter { $0.entity.name == entity }
            guard !matching.isEmpty else { return CheckResult(name: name, passed: false, message: "no entity named \(entity)") }
            let changed = matching.reduce(0) { $0 + $1.changed }
            let structural = matching.contains { $0.status == .added || $0.status == .removed }
            return CheckResult(name: name, passed: changed == 0 && !structural,
                               message: structural ? "\(entity) was \(matching[0].status.rawValue)" : "\(changed) users change for \(entity)")
        }
    }

}
