public import KVReplayStore
public import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel

/// Reads a report's input from the database after `kvreplay replay`.
public enum StoreReportLoader {
    public static func load(store: Store, from: SnapshotSelector? = nil, to: SnapshotSelector? = nil) throws -> ReportInput {
        guard let run = try store.replayRun() else {
            throw StoreError("\(store.path) holds no replay results (run `kvreplay replay` first)")
        }
        if run.shardCount > 1 {
            throw StoreError("\(store.path) holds the results of shard \(run.shardIndex)/\(run.shardCount); merge the shards first (`kvreplay merge`)")
        }
        guard try store.appliedMigrations().contains("v2-replay-causes") else {
            throw StoreError("\(store.path) was replayed by an older kvreplay, without the audit's causes: run `kvreplay replay` again (it upgrades the database)")
        }
        guard try store.appliedMigrations().contains("v4-replay-transitions") else {
            throw StoreError("\(store.path) was replayed by an older kvreplay (one text row per flip): run `kvreplay replay` again (it upgrades the database)")
        }
        let reportSnapshots = try snapshots(store: store, from: from, to: to)
        let indexByID = Dictionary(uniqueKeysWithValues: reportSnapshots.enumerated().map { ($0.element.id, $0.offset) })

        // Rollups from the stored outcome counts.
        var evaluated: [String: (closure: String, evaluated: Bool)] = [:]
        for e in try store.replayEntities() { evaluated["\(e.snapshotID)/\(e.kind)/\(e.entity)"] = (e.closure, e.evaluated) }
        var grouped: [String: (snapshot: Int, ref: EntityRef, outcomes: [(Outcome, Int)])] = [:]
        var order: [String] = []
        for o in try store.replayOutcomes() {
            guard let s = indexByID[o.snapshotID], let kind = EntityKind(rawValue: o.kind) else { continue }
            let key = "\(o.snapshotID)/\(o.kind)/\(o.entity)"
            if grouped[key] == nil {
                grouped[key] = (s, EntityRef(kind: kind, name: o.entity), [])
                order.append(key)
            }
            let value = (try? JSONParser.parse(o.value)) ?? .string(o.value)
            grouped[key]!.outcomes.append((Outcome(value: value, ruleID: o.ruleID, groupName: o.groupName), Int(o.users)))
        }
        var rollups: [ReplayRollup] = []
        for key in order {
            let g = grouped[key]!
            let closure: String = evaluated[key]?.closure ?? ""
            let wasEvaluated: Bool = evaluated[key]?.evaluated ?? true
            let outcomes: [(outcome: Outcome, users: Int)] = g.outcomes.map { (outcome: $0.0, users: $0.1) }
            rollups.append(ReplayRollup(snapshot: g.snapshot, entity: g.ref, closure: closure, evaluated: wasEvaluated, outcomes: outcomes))
        }
        rollups.sort { $0.snapshot != $1.snapshot ? $0.snapshot < $1.snapshot : $0.entity < $1.entity }

        // Flips, aggregated per pair and entity from one keyset scan of the integer rows: the scan counts users and
        // keeps the three lowest user rows per snapshot pair and transition (integer keys); those fold into the pair's
        // entity afterwards (a few hundred transitions).
        let transitions = Dictionary(uniqueKeysWithValues: try store.replayTransitions().map { t in
            (t.id, (t, before: outcome(t.before.value, t.before.ruleID, t.before.group), after: outcome(t.after.value, t.after.ruleID, t.after.group)))
        })
        struct Step: Hashable {
            var from: Int64
            var to: Int64
            var transition: Int64
        }
        var steps: [Step: (users: Int, lowest: [Int64])] = [:]
        try store.forEachFlipRefBatch { batch in
            for f in batch {
                let key = Step(from: f.fromSnapshotID, to: f.toSnapshotID, transition: f.transitionID)
                var step = steps[key] ?? (0, [])
                step.users += 1
                if step.lowest.count < 3 || f.userRow < step.lowest[step.lowest.count - 1] {
                    step.lowest.insert(f.userRow, at: step.lowest.firstIndex { $0 > f.userRow } ?? step.lowest.count)
                    if step.lowest.count > 3 { step.lowest.removeLast() }
                }
                steps[key] = step
            }
        }
        struct PairEntity: Hashable {
            var from: Int
            var to: Int
            var kind: EntityKind
            var name: String
        }
        var users: [PairEntity: [Int64: Int]] = [:]
        var examples: [PairEntity: [(row: Int64, transition: Int64)]] = [:]
        for (step, counted) in steps {
            guard let from = indexByID[step.from], let to = indexByID[step.to], let t = transitions[step.transition]?.0,
                  let kind = EntityKind(rawValue: t.kind) else { continue }
            let key = PairEntity(from: from, to: to, kind: kind, name: t.entity)
            users[key, default: [:]][step.transition] = counted.users
            examples[key] = Array(((examples[key] ?? []) + counted.lowest.map { ($0, step.transition) }).sorted { $0.row < $1.row }.prefix(3))
        }
        let labels = try store.unitLabels(rows: examples.values.flatMap { $0.map(\.row) })
        var flipSummaries: [ReportInput.FlipSummary] = []
        let pairs = users.keys.map { ($0, EntityRef(kind: $0.kind, name: $0.name)) }
        for (key, ref) in pairs.sorted(by: { $0.0.from != $1.0.from ? $0.0.from < $1.0.from : $0.0.to != $1.0.to ? $0.0.to < $1.0.to : $0.1 < $1.1 }) {
            var summary = ReportInput.FlipSummary(from: key.from, to: key.to, entity: ref)
            for (id, n) in users[key]!.sorted(by: { $0.key < $1.key }) {
                let t = transitions[id]!
                summary.add(before: t.before, after: t.after, users: n)
            }
            summary.examples = (examples[key] ?? []).map { x in
                let t = transitions[x.transition]!
                return (labels[x.row] ?? "#\(x.row)", t.before, t.after)
            }
            flipSummaries.append(summary)
        }

        var audit = ReportInput.AuditSummary()
        try store.forEachAuditDetailBatch { batch in
            for a in batch {
                audit.add(verdict: Verdict(rawValue: a.verdict) ?? .unevaluable, fields: a.fields.split(separator: ",").map(String.init),
                          inferred: a.inferred, eventTime: a.eventTime ?? 0, newerLcut: a.newerLcut, kind: a.kind, entity: a.entity)
            }
        }
        var nonMatches = AuditFilter()
        nonMatches.nonMatchesOnly = true
        // Source paths relative to the directory all log files share, so the same logs give the same report
        // wherever they are (and the edge names come from the part of the path that tells the sources apart).
        let root = commonDirectory(try store.rows("SELECT path FROM source_files WHERE kind = 'logs'").compactMap { $0[0] })
        try store.forEachAuditEntryBatch(nonMatches) { batch in
            for var e in batch {
                if let p = e.sourcePath, !root.isEmpty, p.hasPrefix(root) { e.sourcePath = String(p.dropFirst(root.count)) }
                audit.addFinding(e)
            }
        }
        var input = ReportInput(snapshots: reportSnapshots.map(\.snapshot), rollups: rollups, flips: flipSummaries, audit: audit)
        if try store.appliedMigrations().contains("v3-edge-blind-spots") {
            let rows = try store.edgeBlindSpots()
            var examples: [(row: EdgeBlindSpotRow, items: [JSONValue])] = []
            for r in rows { examples.append((r, (try? JSONParser.parse(r.examples))?.arrayValue ?? [])) }
            let labels = try store.unitLabels(rows: examples.flatMap { $0.items.compactMap { $0["user_row"]?.doubleValue.map { Int64($0) } } })
            func out(_ v: JSONValue?) -> Outcome {
                outcome(v?["value"]?.stringValue ?? "null", v?["rule_id"]?.stringValue ?? "", v?["group_name"]?.stringValue)
            }
            input.edgeBlindSpots = examples.map { r, items in
                ReportInput.EdgeBlindSpot(kind: r.kind, name: r.entity, cause: r.cause, users: Int(r.users), population: run.users,
                                          examples: items.map { x in
                                              let row = Int64(x["user_row"]?.doubleValue ?? 0)
                                              return (labels[row] ?? "#\(row)", out(x["edge"]), out(x["intent"]))
                                          })
            }
        }
        return input
    }

    /// The snapshots the replay covers (`from`...`to`, as the replay selects them), in replay order, each given by
    /// its facts: one payload is parsed at a time and dropped once its facts (and its changes from the one before)
    /// are taken, so memory does not grow with the payloads of the history.
    static func snapshots(store: Store, from: SnapshotSelector?, to: SnapshotSelector?) throws -> [(id: Int64, snapshot: ReportInput.Snapshot)] {
        let infos = try SnapshotSelector.window(of: store, from: from, to: to)
        var out: [(id: Int64, snapshot: ReportInput.Snapshot)] = []
        var previous: ConfigSpecs? = nil
        for (i, info) in infos.enumerated() {
            let specs = try ConfigSpecs(jsonBytes: try store.payload(snapshotID: info.id), source: "snapshot \(info.sha256.prefix(12))")
            let lcut = info.lcut ?? specs.time ?? info.capturedAt ?? 0
            let facts = ReportInput.SpecFacts(specs, previous: previous, first: i == 0, last: i == infos.count - 1)
            out.append((info.id, ReportInput.Snapshot(sha256: info.sha256, lcut: lcut, capturedAt: info.capturedAt ?? lcut, bytes: Int(info.sizeBytes),
                                                      kvKey: info.kvKey, facts: facts)))
            previous = specs
        }
        return out
    }

    /// The longest directory prefix (ending in `/`) that every path shares; empty when there is none.
    static func commonDirectory(_ paths: [String]) -> String {
        guard var prefix = paths.first.map({ $0.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init) }) else { return "" }
        for p in paths.dropFirst() {
            let parts = p.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init)
            var n = 0
            while n < min(prefix.count, parts.count) && prefix[n] == parts[n] { n += 1 }
            prefix = Array(prefix.prefix(n))
        }
        return prefix.isEmpty ? "" : prefix.joined(separator: "/") + "/"
    }

    static func outcome(_ value: String, _ rule: String, _ group: String?) -> Outcome {
        Outcome(value: (try? JSONParser.parse(value)) ?? .string(value), ruleID: rule, groupName: group)
    }
}
