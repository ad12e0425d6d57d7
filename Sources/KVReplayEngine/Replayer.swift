public import KVReplayEvaluation
public import KVReplayModel

/// One captured payload, in replay order.
public struct ReplaySnapshot: Sendable {
    /// The store's identifier (or any stable number).
    public var id: Int64
    public var sha256: String
    public var lcut: Int64
    public var capturedAt: Int64
    public var specs: ConfigSpecs

    public init(id: Int64, sha256: String, lcut: Int64, capturedAt: Int64, specs: ConfigSpecs) {
        self.id = id
        self.sha256 = sha256
        self.lcut = lcut
        self.capturedAt = capturedAt
        self.specs = specs
    }
}

/// A member of the population.
public struct ReplayUser: Sendable {
    public var id: Int64
    public var user: StatsigUser

    public init(id: Int64, user: StatsigUser) {
        self.id = id
        self.user = user
    }
}

/// What a user got for an entity: the value, rule ID and group name the SDK reports.
public struct Outcome: Sendable, Hashable {
    public var value: JSONValue
    public var ruleID: String
    public var groupName: String?

    public init(value: JSONValue, ruleID: String, groupName: String?) {
        self.value = value
        self.ruleID = ruleID
        self.groupName = groupName
    }

    /// The fields in which two outcomes differ: `value`, `rule`, `group`.
    public func changes(to other: Outcome) -> [String] {
        var out: [String] = []
        if value != other.value { out.append("value") }
        if !ruleID.utf8.elementsEqual(other.ruleID.utf8) { out.append("rule") }
        if groupName != other.groupName { out.append("group") }
        return out
    }
}

/// A user whose outcome for an entity changed between two consecutive snapshots.
public struct Flip: Sendable, Equatable {
    public var userID: Int64
    public var before: Outcome
    public var after: Outcome

    public init(userID: Int64, before: Outcome, after: Outcome) {
        self.userID = userID
        self.before = before
        self.after = after
    }
}

public struct ReplayOptions: Sendable {
    public var flavor: SDKFlavor
    public var threads: Int
    /// Users evaluated together under a snapshot (the size of one parallel step's results).
    public var usersPerChunk: Int
    public var idLists: IDLists
    /// A content hash per ID list (part of each entity's dependency closure).
    public var idListHashes: [String: String]

    public init(flavor: SDKFlavor = .core, threads: Int = Parallel.availableCores, usersPerChunk: Int = 16_384,
                idLists: IDLists = IDLists(), idListHashes: [String: String] = [:])
    {
        self.flavor = flavor
        self.threads = threads
        self.usersPerChunk = usersPerChunk
        self.idLists = idLists
        self.idListHashes = idListHashes
    }
}

/// Receives replay results as they are produced, always on the calling thread and outside the parallel loop.
public protocol ReplaySink: AnyObject {
    /// Users whose outcome for `entity` changed from snapshot `from` to snapshot `to` (indices into the snapshot
    /// list), for one chunk of users. Called once per chunk and changed entity.
    func flips(from: Int, to: Int, entity: EntityRef, flips: [Flip]) throws
}

/// Per snapshot and entity: users per outcome, and whether the entity was evaluated or carried over.
public struct ReplayRollup: Sendable {
    public var snapshot: Int
    public var entity: EntityRef
    /// The dependency-closure hash (hex).
    public var closure: String
    /// True when the entity was evaluated at this snapshot; false when its results were carried over unchanged.
    public var evaluated: Bool
    /// Users per outcome, in a stable order (most users first, then by rule ID and value text).
    public var outcomes: [(outcome: Outcome, users: Int)]

    public var users: Int { outcomes.reduce(0) { $0 + $1.users } }

    public init(snapshot: Int, entity: EntityRef, closure: String, evaluated: Bool, outcomes: [(outcome: Outcome, users: Int)]) {
        self.snapshot = snapshot
        self.entity = entity
        self.closure = closure
        self.evaluated = evaluated
        self.outcomes = outcomes
    }
}

public struct ReplaySummary: Sendable {
    public var rollups: [ReplayRollup]
    /// User-entity evaluations actually performed.
    public var evaluations: Int
    /// User-entity results carried over from the previous snapshot.
    public var carriedOver: Int
}

/// Re-evaluates every entity for every user under every snapshot, incrementally: an entity whose dependency
/// closure did not change since the previous snapshot keeps its results. Conditions on the current time are
/// evaluated as of each snapshot's lcut.
///
/// The history is walked snapshot after snapshot: each payload is decoded and compiled when its turn comes and
/// dropped when the memory budget needs the room (`PayloadCache`), so memory does not grow with the number of
/// snapshots. Each snapshot's changed entities are evaluated for the whole population, a chunk of users at a time,
/// spread over `DispatchQueue.concurrentPerform` by user; results are merged in user order, so they are identical
/// whatever the number of threads.
public struct Replayer {
    public let options: ReplayOptions
    let cache: PayloadCache

    /// Snapshots whose payloads are decoded already.
    public init(snapshots: [ReplaySnapshot], options: ReplayOptions) {
        self.init(source: SnapshotSource(snapshots), options: options)
    }

    /// - Parameter budget: bytes of compiled payloads kept between snapshots (estimated from their JSON size); the
    ///   ones a step needs are kept whatever their size.
    public init(source: SnapshotSource, options: ReplayOptions, legacy: Bool? = nil, budget: Int = Replayer.defaultBudget) {
        self.options = options
        cache = PayloadCache(source, legacy: legacy ?? (options.flavor == .legacy), budget: budget)
    }

    /// 384 MiB of compiled payloads: a 14 MiB payload and its successor, with room for the audit's newer configs.
    public static let defaultBudget = 384 << 20

    public var snapshots: [SnapshotMeta] { cache.source.snapshots }

    /// Replays a population delivered in batches (for example read from a database a page at a time); `batches`
    /// calls its argument once per batch, in order. The population is held for the walk over the history.
    public func run(batches: ((([ReplayUser]) throws -> Void)) throws -> Void, sink: any ReplaySink) throws -> ReplaySummary {
        var users: [ReplayUser] = []
        try batches { users.append(contentsOf: $0) }
        return try run(users: users, sink: sink)
    }

    public func run(users population: [ReplayUser], sink: any ReplaySink) throws -> ReplaySummary {
        try run(users: population, sink: sink, afterSnapshot: nil)
    }

    /// - Parameter afterSnapshot: called with each snapshot's index once its population step is done, while its
    ///   payload is still compiled (the audit of the exposures judged against it runs there).
    func run(users population: [ReplayUser], sink: any ReplaySink, afterSnapshot: ((Int) throws -> Void)?) throws -> ReplaySummary {
        let n = snapshots.count
        let flavor = options.flavor
        let threads = options.threads
        let perChunk = max(1, options.usersPerChunk)
        let chunks = stride(from: 0, to: population.count, by: perChunk).map { $0..<min(population.count, $0 + perChunk) }

        var registry: [EntityRef: Int] = [:]
        var entities: [EntityRef] = []
        var tables: [OutcomeTable] = []
        /// Per entity present at the previous snapshot: every user's outcome id (population order) and their counts.
        var current: [Int: (ids: [UInt32], counts: [UInt32: Int])] = [:]
        var previousClosure: [EntityRef: [UInt8]] = [:]
        var rollups: [ReplayRollup] = []
        var evaluations = 0
        var carried = 0
        // Users prepared once for the whole history where a prepared user does not depend on the payload (the core).
        let preparedOnce: [PreparedUsers]? = flavor == .core
            ? chunks.map { PreparedUsers(Array(population[$0]), threads: threads) { PreparedUser($0) } }
            : nil
        defer { preparedOnce?.forEach { $0.release(threads: threads) } }

        for s in 0..<n {
            let meta = snapshots[s]
            let payload = try cache.payload(s)
            cache.trim(keeping: [s])
            let evaluator = Evaluator(payload: payload, options: EvaluationOptions(flavor: flavor, now: meta.lcut, idLists: options.idLists))
            let cache = self.cache
            let closure = DependencyClosure(specs: payload.specs, idListHashes: options.idListHashes, now: meta.lcut,
                                            timeCondition: { TimeProbe.outcome(of: $0, flavor: flavor, now: meta.lcut) },
                                            fingerprint: { cache.fingerprint($0, $1, $2, in: payload) }).hashes
            cache.keepFingerprints(of: payload)
            var here: [Int] = []
            var dirty = Set<Int>()
            for ref in payload.entities {
                let e: Int
                if let i = registry[ref] { e = i } else {
                    e = entities.count
                    registry[ref] = e
                    entities.append(ref)
                    tables.append(OutcomeTable())
                }
                here.append(e)
                let mine = closure[ref], before = s > 0 ? previousClosure[ref] : nil
                if mine == nil || before == nil || mine! != before! { dirty.insert(e) }
            }
            let present = Set(here)
            current = current.filter { present.contains($0.key) }
            let toEvaluate = here.filter { dirty.contains($0) || current[$0] == nil }
            carried += (here.count - toEvaluate.count) * population.count
            if !toEvaluate.isEmpty {
                let refs = toEvaluate.map { payload.resolve(entities[$0]) }
                var ids = [[UInt32]](repeating: [], count: toEvaluate.count)
                for k in ids.indices { ids[k].reserveCapacity(population.count) }
                var counts = [[UInt32: Int]](repeating: [:], count: toEvaluate.count)
                for (c, range) in chunks.enumerated() {
                    let chunk = Array(population[range])
                    let preparedHere = preparedOnce?[c] ?? PreparedUsers(chunk, for: evaluator, threads: threads)
                    defer { if preparedOnce == nil { preparedHere.release(threads: threads) } }
                    let parts = Self.evaluate(refs, users: preparedHere.users, evaluator: evaluator, threads: threads)
                    evaluations += refs.count * chunk.count
                    // Per entity, on all threads: the chunk's outcome ids in the entity's table, their counts, and the
                    // users whose outcome changed (each entity's table is touched by one thread). Applied in entity order.
                    let before = UncheckedBox(toEvaluate.map { e in s > 0 && dirty.contains(e) ? current[e].map { Array($0.ids[range]) } : nil })
                    let outcomes = UncheckedBox(parts)
                    let users = UncheckedBox(chunk)
                    let order = toEvaluate
                    let results = tables.withUnsafeMutableBufferPointer { tables in
                        nonisolated(unsafe) let shared = tables
                        return Parallel.mapChunks(count: order.count, chunkSize: max(1, order.count / (4 * threads)), threads: threads) { r in
                            UncheckedBox(r.map { k in
                                EntityChunk(entity: k, table: &shared[order[k]], parts: outcomes.value, users: users.value, before: before.value[k])
                            })
                        }.flatMap(\.value)
                    }
                    for (k, e) in toEvaluate.enumerated() {
                        let r = results[k]
                        if !r.flips.isEmpty { try sink.flips(from: s - 1, to: s, entity: entities[e], flips: r.flips) }
                        ids[k].append(contentsOf: r.ids)
                        for (id, count) in r.counts { counts[k][id, default: 0] += count }
                    }
                }
                for (k, e) in toEvaluate.enumerated() { current[e] = (ids[k], counts[k]) }
            }
            for e in here.sorted(by: { entities[$0] < entities[$1] }) {
                let outcomes = (current[e]?.counts ?? [:]).map { (tables[e].outcome($0.key), $0.value) }
                    .sorted { a, b in
                        if a.1 != b.1 { return a.1 > b.1 }
                        if a.0.ruleID != b.0.ruleID { return JSONWriter.codePointLess(a.0.ruleID, b.0.ruleID) }
                        return JSONWriter.codePointLess(JSONWriter().string(a.0.value), JSONWriter().string(b.0.value))
                    }
                rollups.append(ReplayRollup(snapshot: s, entity: entities[e], closure: hex(closure[entities[e]] ?? []),
                                            evaluated: dirty.contains(e) || s == 0, outcomes: outcomes.map { ($0.0, $0.1) }))
            }
            previousClosure = closure
            try afterSnapshot?(s)
        }
        return ReplaySummary(rollups: rollups, evaluations: evaluations, carriedOver: carried)
    }

    /// Evaluates `refs` for a chunk's prepared users on all threads; each task returns its users' outcomes.
    static func evaluate(_ refs: [ResolvedEntity], users: [PreparedUser], evaluator: Evaluator, threads: Int) -> [LocalOutcomes] {
        let prepared = UncheckedBox(users)
        // About 32k evaluations per task (at least 256 users): a snapshot that changed two entities hands out long user
        // ranges, so task overhead does not outweigh the work; still at least two tasks per thread.
        let taskUsers = max(256, min(32_768 / refs.count, users.count / max(1, 2 * threads)))
        return Parallel.mapChunks(count: users.count, chunkSize: taskUsers, threads: threads) { range in
            var local = LocalOutcomes(entities: refs.count, users: range.count)
            let ctx = EvaluationContext()
            let evaluator = evaluator.replica()
            // Entities are read in place and repeated outcomes recognised by identity: nothing is copied out of the
            // payload per evaluation (copies would contend for reference counts that every thread shares).
            for (j, u) in range.enumerated() {
                let session = evaluator.session(for: prepared.value[u], in: ctx)
                for k in refs.indices {
                    let key = session.evaluateOutcome(refs, at: k)
                    if let key, let id = local.known(entity: k, key) {
                        local.ids[k][j] = id
                        continue
                    }
                    let o = session.outcomeFields(refs, at: k)
                    local.record(entity: k, user: j, Outcome(value: o.value, ruleID: o.ruleID, groupName: o.groupName), key: key)
                }
            }
            return local
        }
    }
}

/// Distinct outcomes of one entity across the whole replay, numbered in order of first appearance.
/// An entity has few outcomes (bounded by its rules), so a short list is scanned before hashing: comparing
/// outcomes copied from the same rule is a pointer comparison.
struct OutcomeTable: Sendable {
    private var ids: [Outcome: UInt32] = [:]
    private var list: [Outcome] = []
    private var last: UInt32 = 0

    mutating func id(_ o: Outcome) -> UInt32 {
        if !list.isEmpty && list[Int(last)] == o { return last }
        if list.count <= 16 {
            for (i, x) in list.enumerated() where x == o {
                last = UInt32(i)
                return last
            }
        } else if let i = ids[o] {
            last = i
            return i
        }
        let i = UInt32(list.count)
        list.append(o)
        if list.count > 16 {
            if ids.isEmpty { for (j, x) in list.enumerated() { ids[x] = UInt32(j) } } else { ids[o] = i }
        }
        last = i
        return i
    }

    func outcome(_ id: UInt32) -> Outcome { list[Int(id)] }

    /// How many distinct outcomes (ids are `0..<count`).
    var count: Int { list.count }
}

/// One worker's outcomes for its users, numbered locally and renumbered into the global tables after the join.
/// One entity's results for a chunk of users: outcome ids in the entity's table, their counts, and the flips from the
/// previous snapshot's ids (`before`).
struct EntityChunk {
    var ids: [UInt32] = []
    var counts: [UInt32: Int] = [:]
    var flips: [Flip] = []

    init(entity k: Int, table: inout OutcomeTable, parts: [LocalOutcomes], users: [ReplayUser], before: [UInt32]?) {
        ids.reserveCapacity(users.count)
        for part in parts { ids.append(contentsOf: part.globalIDs(entity: k, into: &table)) }
        if let before {
            for u in 0..<users.count where before[u] != ids[u] {
                flips.append(Flip(userID: users[u].id, before: table.outcome(before[u]), after: table.outcome(ids[u])))
            }
        }
        var tally = [Int](repeating: 0, count: table.count)
        for id in ids { tally[Int(id)] += 1 }
        for (id, n) in tally.enumerated() where n > 0 { counts[UInt32(id)] = n }
    }
}

/// A chunk's users prepared for one evaluator, on all threads, and released on all threads (freeing thousands of
/// prepared users is work too). Each user is prepared and freed by one thread.
final class PreparedUsers: @unchecked Sendable {
    private(set) var users: [PreparedUser]
    private var parts: [[PreparedUser]]

    convenience init(_ chunk: [ReplayUser], for evaluator: Evaluator, threads: Int) {
        self.init(chunk, threads: threads) { evaluator.prepare($0) }
    }

    init(_ chunk: [ReplayUser], threads: Int, prepare: @escaping @Sendable (StatsigUser) -> PreparedUser) {
        let source = UncheckedBox(chunk)
        parts = Parallel.mapChunks(count: chunk.count, chunkSize: max(512, chunk.count / max(1, 4 * threads)), threads: threads) { range in
            UncheckedBox(range.map { prepare(source.value[$0].user) })
        }.map(\.value)
        users = parts.flatMap { $0 }
    }

    func release(threads: Int) {
        users = []
        parts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let shared = buffer
            _ = Parallel.mapChunks(count: shared.count, chunkSize: 1, threads: threads) { range in
                for i in range { shared[i] = [] }
                return 0
            }
        }
    }
}

struct LocalOutcomes: @unchecked Sendable {
    var tables: [OutcomeTable]
    var ids: [[UInt32]]
    /// Per entity, outcome identities already seen (`UserSession.evaluateOutcome`) and their local ids; the last one
    /// first, as most users share an outcome.
    var keys: [[(key: OutcomeKey, id: UInt32)]]
    var keyIndex: [[OutcomeKey: UInt32]]

    init(entities: Int, users: Int) {
        tables = Array(repeating: OutcomeTable(), count: entities)
        ids = Array(repeating: [UInt32](repeating: 0, count: users), count: entities)
        keys = Array(repeating: [], count: entities)
        keyIndex = Array(repeating: [:], count: entities)
    }

    /// The local id of an outcome identity seen before.
    @inline(__always)
    mutating func known(entity: Int, _ key: OutcomeKey) -> UInt32? {
        let n = keys[entity].count
        if n > 0 && keys[entity][0].key == key { return keys[entity][0].id }
        var i = 1
        while i < n {
            if keys[entity][i].key == key {
                keys[entity].swapAt(0, i)
                return keys[entity][0].id
            }
            i += 1
        }
        return keyIndex[entity].isEmpty ? nil : keyIndex[entity][key]
    }

    mutating func record(entity: Int, user: Int, _ outcome: Outcome, key: OutcomeKey? = nil) {
        let id = tables[entity].id(outcome)
        ids[entity][user] = id
        if let key {
            // The first eight identities are searched in order; more go to an index.
            if keys[entity].count < 8 { keys[entity].insert((key, id), at: 0) } else { keyIndex[entity][key] = id }
        }
    }

    func globalIDs(entity: Int, into table: inout OutcomeTable) -> [UInt32] {
        // Local ids are dense: renumber through an array, each distinct outcome interned once.
        let local = tables[entity]
        var map = [UInt32](repeating: .max, count: local.count)
        for l in 0..<local.count { map[l] = table.id(local.outcome(UInt32(l))) }
        return ids[entity].map { map[Int($0)] }
    }
}

/// Lets per-chunk prepared users cross into workers; each worker touches a disjoint range.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
    return String(decoding: out, as: UTF8.self)
}

/// Evaluates a user-independent `current_time` condition with the real evaluator: a one-condition gate for an
/// empty user.
enum TimeProbe {
    static func outcome(of c: Condition, flavor: SDKFlavor, now: Int64) -> Bool {
        var condition = JSONObject()
        condition["type"] = .string(c.type)
        condition["operator"] = c.operator.map { JSONValue.string($0) } ?? .null
        condition["targetValue"] = c.targetValue
        condition["field"] = c.field.map { JSONValue.string($0) } ?? .null
        condition["additionalValues"] = c.additionalValues.map { JSONValue.object($0) } ?? .null
        condition["idType"] = .string(c.idType)
        let rule: JSONValue = ["name": "probe", "id": "probe", "salt": "", "passPercentage": 100, "returnValue": true,
                               "idType": "userID", "conditions": .array([.object(condition)])]
        let gate: JSONValue = ["name": "time_probe", "type": "feature_gate", "entity": "feature_gate", "salt": "probe", "enabled": true,
                               "defaultValue": false, "idType": "userID", "rules": [rule]]
        let payload: JSONValue = ["has_updates": true, "time": .int(now), "feature_gates": [gate], "dynamic_configs": [], "layer_configs": []]
        guard let specs = try? ConfigSpecs(json: payload, source: "time probe") else { return false }
        let evaluator = Evaluator(payload: CompiledPayload(specs), options: EvaluationOptions(flavor: flavor, now: now))
        return evaluator.evaluate(EntityRef(kind: .gate, name: "time_probe"), for: evaluator.prepare(StatsigUser()), in: EvaluationContext()).boolValue
    }
}

