public import KVReplayEvaluation
import KVReplayModel
public import KVReplayStore

/// Names a snapshot on the command line: its store id, its lcut, or a prefix of its SHA-256 (at least 6 hex digits).
public struct SnapshotSelector: Sendable, CustomStringConvertible {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var description: String { text }

    /// The index of the one snapshot the selector names.
    public func resolve(in snapshots: [SnapshotInfo]) throws(StoreError) -> Int {
        var matches: [Int] = []
        if let n = Int64(text) {
            matches = snapshots.indices.filter { snapshots[$0].lcut == n }
            if matches.isEmpty { matches = snapshots.indices.filter { snapshots[$0].id == n } }
        }
        if matches.isEmpty, text.count >= 6, text.allSatisfy(\.isHexDigit) {
            matches = snapshots.indices.filter { snapshots[$0].sha256.hasPrefix(text.lowercased()) }
        }
        guard !matches.isEmpty else { throw StoreError("no snapshot matches \"\(text)\" (give an id, an lcut or a SHA-256 prefix)") }
        guard matches.count == 1 else { throw StoreError("\"\(text)\" matches \(matches.count) snapshots; give a longer SHA-256 prefix") }
        return matches[0]
    }
}

extension SnapshotSelector {
    /// The store's snapshots from `from` to `to` (both included; the first and the last when nil), in replay order.
    public static func window(of store: Store, from: SnapshotSelector?, to: SnapshotSelector?) throws -> [SnapshotInfo] {
        let infos = try store.snapshots()
        if infos.isEmpty { throw StoreError("\(store.path) holds no snapshots (run `kvreplay ingest snapshots` first)") }
        let lo = try from.map { s throws(StoreError) in try s.resolve(in: infos) } ?? 0
        let hi = try to.map { s throws(StoreError) in try s.resolve(in: infos) } ?? infos.count - 1
        guard lo <= hi else { throw StoreError("--from \(from!) comes after --to \(to!)") }
        return Array(infos[lo...hi])
    }
}

/// A shard of the population: users whose unit key hashes to `index` (1-based) of `count`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
        self.init(index: k, count: n)
    }

    public static let all = Shard(index: 1, count: 1)

    public var description: String { "\(index)/\(count)" }

    /// Whether a user (by its unit key, the store's dedupe identity) belongs to this shard.
    public func contains(unitKey: String) -> Bool {
        count == 1 || Int(Hashing.hash(unitKey) % UInt64(count)) == index - 1
    }
}

/// Replays the snapshots of a store for its population and audits its logged exposures, writing every result to
/// `results` (the same store, or a shard's database) in one transaction.
public struct StoreReplay {
    public var flavor: SDKFlavor = .core
    /// The set-up the audit assumes for statsig-node edges (`EdgeMode.auto`: the guide's Worker).
    public var edge: EdgeMode = .auto
    public var from: SnapshotSelector?
    public var to: SnapshotSelector?
    public var threads: Int = Parallel.availableCores
    public var shard: Shard = .all
    public var usersPerChunk: Int = 16_384

    public init() {}

    public struct Result: Sendable {
        public var snapshots: Int
        public var users: Int
        public var entities: Int
        public var evaluations: Int
        public var carriedOver: Int
        public var flips: Int
        public var exposures: Int
        public var verdicts: [Verdict: Int]
        /// How many times a payload was decoded and compiled (once per snapshot when the budget holds them all).
        public var compilations = 0
    }

    /// The snapshots a replay covers, in order, with their parsed payloads.
    public func loadSnapshots(from store: Store) throws -> (infos: [SnapshotInfo], snapshots: [ReplaySnapshot]) {
        let infos = try SnapshotSelector.window(of: store, from: from, to: to)
        let snapshots = try infos.map { info in
            let specs = try ConfigSpecs(jsonBytes: try store.payload(snapshotID: info.id), source: "snapshot \(info.sha256.prefix(12))")
            let lcut = info.lcut ?? specs.time ?? info.capturedAt ?? 0
            return ReplaySnapshot(id: info.id, sha256: info.sha256, lcut: lcut, capturedAt: info.capturedAt ?? lcut, specs: specs)
        }
        return (infos, snapshots)
    }

    /// The snapshots a replay covers, in order, without their payloads: each is read from the store when the
    /// replay reaches it (`SnapshotSource`).
    public func snapshotList(from store: Store) throws -> [SnapshotMeta] {
        // A snapshot's lcut is its payload's `time` (ingest stores it), so one without is one whose payload has none.
        try SnapshotSelector.window(of: store, from: from, to: to).map { info in
            let lcut = info.lcut ?? info.capturedAt ?? 0
            return SnapshotMeta(id: info.id, sha256: info.sha256, lcut: lcut, capturedAt: info.capturedAt ?? lcut, payloadBytes: Int(info.sizeBytes))
        }
    }

    /// Bytes of compiled payloads the replay keeps between steps (`Replayer.defaultBudget`).
    public var payloadBudget = Replayer.defaultBudget

    public func run(source: Store, results: Store) throws -> Result {
        let metas = try snapshotList(from: source)
        let lists = try source.idLists()
        var listHashes: [String: String] = [:]
        for (name, hashes) in lists { listHashes[name] = Hashing.sha256Hex(Array(hashes.joined(separator: "\n").utf8)) }
        let idLists = IDLists(hashedEntries: lists)
        let options = ReplayOptions(flavor: flavor, threads: threads, usersPerChunk: usersPerChunk, idLists: idLists, idListHashes: listHashes)
        let totalUsers = try source.userCount()
        let totalExposures = try source.scalar("SELECT count(*) FROM exposures") ?? 0
        // The legacy view of the payloads is compiled only when something will be evaluated as legacy: the replay's
        // flavour, or logged exposures from legacy SDKs (the audit follows each exposure's SDK type).
        let sdkTypes = try source.rows("SELECT DISTINCT sdk_type FROM exposures WHERE sdk_type IS NOT NULL").compactMap { $0.first ?? nil }
        let legacy = flavor == .legacy || sdkTypes.contains { SDKFlavor.forSDKType($0) == .legacy }
        let fingerprint = Hashing.sha256Hex(Array((metas.map(\.sha256) + ["users=\(totalUsers)", "exposures=\(totalExposures)",
                                                                          "flavor=\(flavor.rawValue)"]).joined(separator: "\n").utf8))
        var result = Result(snapshots: metas.count, users: 0, entities: 0, evaluations: 0, carriedOver: 0, flips: 0,
                            exposures: 0, verdicts: [:])
        let writerValue = JSONWriter(style: .python)
        let shard = self.shard
        let threads = self.threads
        try results.replaceReplayResults { writer in
            final class Sink: ReplaySink {
                let writer: ReplayResultsWriter
                let snapshots: [SnapshotMeta]
                var count = 0
                init(writer: ReplayResultsWriter, snapshots: [SnapshotMeta]) {
                    self.writer = writer
                    self.snapshots = snapshots
                }
                /// The chunk's flips grouped by (before, after) outcome pair, in first-seen order: one transition
                /// lookup and one bulk insert per group, user rows in the order the replay gave them.
                func flips(from: Int, to: Int, entity: EntityRef, flips: [Flip]) throws {
                    var groups: [Pair: Int] = [:]
                    var pairs: [(pair: Pair, users: [Int64])] = []
                    for f in flips {
                        let pair = Pair(before: f.before, after: f.after)
                        if let i = groups[pair] {
                            pairs[i].users.append(f.userID)
                        } else {
                            groups[pair] = pairs.count
                            pairs.append((pair, [f.userID]))
                        }
                    }
                    let w = JSONWriter(style: .python)
                    func text(_ o: Outcome) -> OutcomeText { OutcomeText(value: w.string(o.value), ruleID: o.ruleID, group: o.groupName) }
                    for (pair, users) in pairs {
                        let t = try writer.transition(kind: entity.kind.rawValue, entity: entity.name, before: text(pair.before), after: text(pair.after),
                                                      changed: pair.before.changes(to: pair.after).joined(separator: ","))
                        try writer.addFlips(fromSnapshotID: snapshots[from].id, toSnapshotID: snapshots[to].id, transition: t, userRows: users)
                    }
                    count += flips.count
                }
                struct Pair: Hashable {
                    var before: Outcome
                    var after: Outcome
                }
            }
            // Reads of the database being written share the write transaction's connection.
            let sameDatabase = results === source
            let readUsers: (([UserRecord]) throws -> Void) throws -> Void = sameDatabase
                ? { try writer.forEachUserBatch(batchSize: 16_384, $0) } : { try source.forEachUserBatch(batchSize: 16_384, $0) }
            let userObjects: ([Int64]) throws -> [Int64: (unitKey: String, json: String)] = sameDatabase
                ? { try writer.users(rows: $0) } : { try source.userObjects(rows: $0) }
            let payloadBytes: (Int64) throws -> [UInt8] = sameDatabase
                ? { try writer.payload(snapshotID: $0) } : { try source.payload(snapshotID: $0) }
            let exposures: (ArraySlice<Int64>) throws -> [AuditExposure] = sameDatabase
                ? { try writer.auditExposures(ids: $0) } : { try source.auditExposures(ids: $0) }
            let forEachClockBatch: (([ExposureClock]) throws -> Void) throws -> Void = sameDatabase
                ? { try writer.forEachExposureClockBatch($0) } : { try source.forEachExposureClockBatch($0) }

            let history = SnapshotSource(snapshots: metas) { i in
                try ConfigSpecs(jsonBytes: try payloadBytes(metas[i].id), source: "snapshot \(metas[i].sha256.prefix(12))")
            }
            let replayer = Replayer(source: history, options: options, legacy: legacy, budget: payloadBudget)
            let cache = replayer.cache

            // The population: this shard's users (a stored object that no longer reads is left out: its exposures are
            // unevaluable).
            var timer = PhaseTimer()
            var population: [ReplayUser] = []
            try readUsers { records in
                for u in records where shard.contains(unitKey: u.unitKey) {
                    guard let json = try? JSONParser.parse(u.json), let user = try? StatsigUser(json: json) else { continue }
                    population.append(ReplayUser(id: u.id, user: user))
                }
            }
            result.users = population.count
            timer.mark("population read")

            // The audit: every exposure of this shard's users (exposures without a user go to shard 1). Exposures are
            // grouped by the snapshot they are judged against, and each group is audited when the walk over the history
            // reaches its snapshot (with the newer ones in force at its events compiled ahead). A mismatch's cause may
            // look at any snapshot, so mismatches are audited again once the walk has read them all.
            let walkAuditor = Auditor(snapshots: metas, facts: nil, defaultFlavor: flavor, idLists: idLists, edge: edge)
            var groups = [[Int64]](repeating: [], count: metas.count)
            var newer = [Set<Int>](repeating: [], count: metas.count)
            var unplaced: [Int64] = []
            try forEachClockBatch { batch in
                for c in batch {
                    let (served, newest) = walkAuditor.snapshotsNeeded(lcut: c.lcut, time: c.time)
                    guard let served else { unplaced.append(c.id); continue }
                    groups[served].append(c.id)
                    if let newest { newer[served].insert(newest) }
                }
            }
            timer.mark("exposures grouped")
            var known: [Int64: StatsigUser] = [:]
            known.reserveCapacity(population.count)
            for u in population { known[u.id] = u.user }
            var mismatches = [[Int64]](repeating: [], count: metas.count)
            /// Audits exposures by id and writes their rows, but for the mismatches an auditor without every snapshot's
            /// facts leaves (returned, to audit again).
            func audit(_ ids: [Int64], by auditor: Auditor, payloads: [Int: CompiledPayload]) throws -> [Int64] {
                var deferred: [Int64] = []
                var start = 0
                while start < ids.count {
                    let end = min(ids.count, start + 50_000)
                    let batch = try exposures(ids[start..<end])
                    start = end
                    // Users outside the population are another shard's, or stored objects that no longer read.
                    let strangers = Set(batch.compactMap { x in x.userRow.flatMap { known[$0] == nil ? $0 : nil } })
                    let objects = strangers.isEmpty ? [:] : try userObjects(Array(strangers))
                    let mine = batch.filter { x in
                        guard let row = x.userRow else { return shard.index == 1 }
                        if known[row] != nil { return true }
                        return objects[row].map { shard.contains(unitKey: $0.unitKey) } ?? (shard.index == 1)
                    }
                    let logged = mine.map(StoreReplay.logged)
                    let users = UncheckedBox(known)
                    let verdicts = Parallel.mapChunks(count: logged.count, chunkSize: 512, threads: threads) { range in
                        let evaluators = auditor.makeEvaluators(payloads: payloads)
                        return range.map { i -> (AuditResult, SDKFlavor) in
                            let x = logged[i]
                            let user = x.userID.flatMap { users.value[$0] }
                            return (auditor.audit(x, user: user, evaluators: evaluators), x.sdkType.flatMap(SDKFlavor.forSDKType) ?? auditor.defaultFlavor)
                        }
                    }.flatMap { $0 }
                    let before = deferred.count
                    for (a, f) in verdicts {
                        if a.verdict == .mismatch && auditor.defersMismatchCauses {
                            deferred.append(a.exposureID)
                            continue
                        }
                        try writer.add(AuditRow(exposureID: a.exposureID, snapshotID: a.snapshot.map { metas[$0].id }, inferred: a.inferred,
                                                verdict: a.verdict.rawValue, fields: a.fields.joined(separator: ","), expectedValue: a.expectedValue,
                                                expectedRuleID: a.expectedRuleID, expectedGroup: a.expectedGroup,
                                                newerSnapshotID: a.newerSnapshot.map { metas[$0].id }, flavor: f.rawValue,
                                                cause: a.cause?.code, causeDetail: a.cause?.detailJSON, newerValue: a.newerValue,
                                                newerRuleID: a.newerRuleID, newerGroup: a.newerGroup, staleLagMs: a.staleLagMs))
                        result.verdicts[a.verdict, default: 0] += 1
                    }
                    result.exposures += mine.count - (deferred.count - before)
                }
                return deferred
            }
            _ = try audit(unplaced, by: walkAuditor, payloads: [:])

            let sink = Sink(writer: writer, snapshots: metas)
            let summary = try replayer.run(users: population, sink: sink) { s in
                guard !groups[s].isEmpty else { return }
                mismatches[s] = try audit(groups[s], by: walkAuditor, payloads: try cache.pin([s] + newer[s].sorted()))
                groups[s] = []
            }
            timer.mark("snapshots replayed, exposures audited")
            // The mismatches, with the facts of every snapshot.
            let auditor = Auditor(snapshots: metas, facts: try cache.allFacts(), defaultFlavor: flavor, idLists: idLists, edge: edge)
            for s in metas.indices where !mismatches[s].isEmpty {
                _ = try audit(mismatches[s], by: auditor, payloads: try cache.pin([s] + newer[s].sorted()))
            }
            timer.mark("mismatches' causes")
            for r in summary.rollups {
                let id = metas[r.snapshot].id
                try writer.add(ReplayEntityRow(snapshotID: id, kind: r.entity.kind.rawValue, entity: r.entity.name, closure: r.closure,
                                               evaluated: r.evaluated, users: Int64(r.users)))
                for (o, n) in r.outcomes {
                    try writer.add(OutcomeCountRow(snapshotID: id, kind: r.entity.kind.rawValue, entity: r.entity.name, value: writerValue.string(o.value),
                                                   ruleID: o.ruleID, groupName: o.groupName, users: Int64(n)))
                }
            }
            // Edge blind spots of the last snapshot, when statsig-node is in play (the replay's flavour or logged events).
            let nodeInPlay = flavor == .node || sdkTypes.contains { SDKFlavor.forSDKType($0) == .node }
            if nodeInPlay, let last = metas.last {
                var spots = EdgeBlindSpots(payload: try cache.payload(metas.count - 1), now: last.lcut, idLists: idLists)
                spots.add(population, threads: threads)
                let w = JSONWriter(style: .python)
                func outcome(_ o: EdgeBlindSpots.Outcome) -> JSONValue {
                    .object(JSONObject([("value", .string(o.value)), ("rule_id", .string(o.ruleID)), ("group_name", o.groupName.map(JSONValue.string) ?? .null)]))
                }
                for e in spots.entries {
                    let examples = JSONValue.array(e.examples.map { x in
                        .object(JSONObject([("user_row", .int(x.userRow)), ("edge", outcome(x.edge)), ("intent", outcome(x.intent))]))
                    })
                    try writer.add(EdgeBlindSpotRow(snapshotID: last.id, kind: e.entity.kind.rawValue, entity: e.entity.name, cause: e.cause,
                                                    users: Int64(e.users), examples: w.string(examples)))
                }
            }
            population = []
            timer.mark("outcomes and edge blind spots written")
            result.entities = Set(summary.rollups.map(\.entity)).count
            result.evaluations = summary.evaluations
            result.carriedOver = summary.carriedOver
            result.flips = sink.count

            result.compilations = cache.compilations
            try writer.setRun(ReplayRunRow(flavor: flavor.rawValue, snapshots: metas.count, firstSnapshotID: metas.first?.id,
                                           lastSnapshotID: metas.last?.id, users: result.users, shardIndex: shard.index, shardCount: shard.count,
                                           evaluations: Int64(summary.evaluations), carriedOver: Int64(summary.carriedOver),
                                           exposures: result.exposures, sourceFingerprint: fingerprint))
        }
        return result
    }

    static func logged(_ e: AuditExposure) -> LoggedExposure {
        let kind: LoggedExposure.Kind
        switch e.kind {
        case .gate: kind = .gate
        case .config: kind = .config
        case .layer: kind = .layer
        }
        return LoggedExposure(id: e.id, kind: kind, entity: e.entity, userID: e.userRow, value: e.kind == .gate ? e.value : nil,
                              ruleID: e.ruleID, groupName: e.groupName, allocatedExperiment: e.allocatedExperiment,
                              isExplicitParameter: e.isExplicitParameter, parameterName: e.parameterName, eventTime: e.time ?? e.receivedAt ?? 0, lcut: e.lcut,
                              sdkType: e.sdkType)
    }

}

/// Combines shard databases into one: outcome counts add up, flips and verdicts are concatenated. The result equals a
/// single replay of the whole population.
public enum ShardMerge {
    public static func merge(into out: Store, shards: [Store]) throws -> ReplayRunRow {
        guard !shards.isEmpty else { throw StoreError("no shard databases given") }
        var runs: [ReplayRunRow] = []
        for s in shards {
            guard let r = try s.replayRun() else { throw StoreError("\(s.path) holds no replay results") }
            runs.append(r)
        }
        let first = runs[0]
        for (s, r) in zip(shards, runs) {
            guard r.sourceFingerprint == first.sourceFingerprint, r.flavor == first.flavor, r.shardCount == first.shardCount,
                  r.firstSnapshotID == first.firstSnapshotID, r.lastSnapshotID == first.lastSnapshotID
            else { throw StoreError("\(s.path) comes from another replay (data, flavour, snapshot range or shard count differ)") }
        }
        let indices = runs.map(\.shardIndex).sorted()
        guard indices == Array(1...first.shardCount) else {
            throw StoreError("shards \(indices.map(String.init).joined(separator: ", ")) given; a merge needs each of 1...\(first.shardCount) exactly once")
        }
        var merged = first
        merged.shardIndex = 1
        merged.shardCount = 1
        merged.users = runs.reduce(0) { $0 + $1.users }
        merged.evaluations = runs.reduce(0) { $0 + $1.evaluations }
        merged.carriedOver = runs.reduce(0) { $0 + $1.carriedOver }
        merged.exposures = runs.reduce(0) { $0 + $1.exposures }
        try out.replaceReplayResults { writer in
            for s in shards {
                for row in try s.replayEntities() { try writer.add(row) }
                for row in try s.replayOutcomes() { try writer.add(row) }
                try s.forEachFlipBatch { batch in for row in batch { try writer.add(row) } }
                try s.forEachAuditBatch { batch in for row in batch { try writer.add(row) } }
                for row in try s.edgeBlindSpots() { try writer.add(row) }
            }
            try writer.setRun(merged)
        }
        return merged
    }
}
