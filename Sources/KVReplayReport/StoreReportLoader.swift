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
        var replay = StoreReplay()
        replay.from = from
        replay.to = to
        let (infos, snapshots) = try replay.loadSnapshots(from: store)
        let indexByID = Dictionary(uniqueKeysWithValues: snapshots.enumerated().map { ($0.element.id, $0.offset) })
        let reportSnapshots = zip(infos, snapshots).map { info, s in
            ReportInput.Snapshot(sha256: s.sha256, lcut: s.lcut, capturedAt: s.capturedAt, bytes: Int(info.sizeBytes), kvKey: info.kvKey, specs: s.specs)
        }

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

        // Flips, aggregated per pair and entity; examples are the lowest user rows.
        var summaries: [String: ReportInput.FlipSummary] = [:]
        var summaryOrder: [String] = []
        var exampleRows: [String: [FlipRow]] = [:]
        try store.forEachFlipBatch { batch in
            for f in batch {
                guard let from = indexByID[f.fromSnapshotID], let to = indexByID[f.toSnapshotID], let kind = EntityKind(rawValue: f.kind) else { continue }
                let key = "\(from)/\(f.kind)/\(f.entity)"
                if summaries[key] == nil {
                    summaries[key] = ReportInput.FlipSummary(from: from, to: to, entity: EntityRef(kind: kind, name: f.entity))
                    summaryOrder.append(key)
                }
                let before = outcome(f.beforeValue, f.beforeRuleID, f.beforeGroup), after = outcome(f.afterValue, f.afterRuleID, f.afterGroup)
                summaries[key]!.add(unitID: "", before: before, after: after)
                if exampleRows[key, default: []].count < 3 { exampleRows[key, default: []].append(f) }
            }
        }
        let labels = try store.unitLabels(rows: exampleRows.values.flatMap { $0.map(\.userRow) })
        for (key, rows) in exampleRows {
            summaries[key]!.examples = rows.map { f in
                (labels[f.userRow] ?? "#\(f.userRow)", outcome(f.beforeValue, f.beforeRuleID, f.beforeGroup), outcome(f.afterValue, f.afterRuleID, f.afterGroup))
            }
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
        var input = ReportInput(snapshots: reportSnapshots, rollups: rollups, flips: summaryOrder.map { summaries[$0]! }, audit: audit)
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
