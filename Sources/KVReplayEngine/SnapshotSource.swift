import KVReplayEvaluation
public import KVReplayModel

/// A snapshot's identity and clock, without its payload.
public struct SnapshotMeta: Sendable, Equatable {
    /// The store's identifier (or any stable number).
    public var id: Int64
    public var sha256: String
    public var lcut: Int64
    public var capturedAt: Int64
    /// The payload's JSON size (what its compiled form is budgeted by), 0 when unknown.
    public var payloadBytes: Int

    public init(id: Int64, sha256: String, lcut: Int64, capturedAt: Int64, payloadBytes: Int = 0) {
        self.id = id
        self.sha256 = sha256
        self.lcut = lcut
        self.capturedAt = capturedAt
        self.payloadBytes = payloadBytes
    }
}

extension ReplaySnapshot {
    public var meta: SnapshotMeta { SnapshotMeta(id: id, sha256: sha256, lcut: lcut, capturedAt: capturedAt) }
}

/// The snapshots of a replay, in replay order: their metadata up front, each payload decoded only when the replay
/// needs it (and decoded again if it was evicted), so that a history costs the memory of the few payloads in use.
public struct SnapshotSource {
    public let snapshots: [SnapshotMeta]
    let decode: (Int) throws -> ConfigSpecs
    /// Payloads already in memory (`init(_:)`): nothing to gain from evicting their compiled forms.
    let resident: Bool

    /// - Parameter decode: the payload of `snapshots[i]`; called on the replay's calling thread.
    public init(snapshots: [SnapshotMeta], decode: @escaping (Int) throws -> ConfigSpecs) {
        self.snapshots = snapshots
        self.decode = decode
        resident = false
    }

    /// Snapshots whose payloads are decoded already.
    public init(_ loaded: [ReplaySnapshot]) {
        snapshots = loaded.map(\.meta)
        decode = { loaded[$0].specs }
        resident = true
    }

    public var count: Int { snapshots.count }
}

/// What the audit's causes look up in snapshots other than the ones it evaluates (which snapshots have an entity, a
/// rule, a pass percentage): kept for every snapshot of the history, a small part of its payload.
struct SnapshotFacts: Sendable {
    /// Per logged kind and entity name, the entity the audit evaluates (`Auditor.entityRef`).
    private var entities: [LoggedExposure.Kind: [String: EntityRef]] = [:]
    /// Per spec (collection and name, the first of that name), the rule IDs of its rules and of the experiments
    /// its rules delegate to.
    private var entityRules: [SpecCollection: [String: Set<String>]] = [:]
    /// The pass percentage of the first rule with each ID, over all specs in payload order.
    private var firstRulePercentage: [String: Double] = [:]

    init(_ payload: CompiledPayload) {
        let specs = payload.specs
        for kind in [LoggedExposure.Kind.gate, .config, .layer] {
            var names: [String: EntityRef] = [:]
            let collection: [Spec] = kind == .gate ? specs.featureGates : kind == .layer ? specs.layerConfigs : specs.dynamicConfigs
            for s in collection where names[s.name] == nil {
                if let r = Auditor.entityRef(kind, s.name, in: payload) { names[s.name] = r }
            }
            entities[kind] = names
        }
        var configRules: [String: Set<String>] = [:]
        for s in specs.dynamicConfigs { configRules[s.name, default: []].formUnion(s.rules.map(\.id)) }
        for s in specs.allSpecs {
            if entityRules[s.collection]?[s.name] == nil {
                var ids = Set(s.rules.map(\.id))
                for d in Set(s.rules.compactMap(\.configDelegate)) { ids.formUnion(configRules[d] ?? []) }
                entityRules[s.collection, default: [:]][s.name] = ids
            }
            for r in s.rules where firstRulePercentage[r.id] == nil { firstRulePercentage[r.id] = r.passPercentage }
        }
    }

    func entity(_ kind: LoggedExposure.Kind, _ name: String) -> EntityRef? { entities[kind]?[name] }

    /// Whether the exposure's spec (or an experiment it delegates to) has a rule with this ID.
    func entityHasRule(_ kind: LoggedExposure.Kind, _ name: String, _ id: String) -> Bool {
        let collection: SpecCollection = kind == .gate ? .featureGates : kind == .layer ? .layerConfigs : .dynamicConfigs
        return entityRules[collection]?[name]?.contains(id) ?? false
    }

    func rulePercentage(_ id: String) -> Double? { firstRulePercentage[id] }
}

/// Compiles a history's payloads on demand and keeps the most recently used within a memory budget (always at least
/// the ones a step pins). Not thread-safe: used on the replay's calling thread; what it hands out is immutable and
/// shared by the workers.
final class PayloadCache {
    let source: SnapshotSource
    let legacy: Bool
    /// Targets and user field names shared by the history's payloads (a user prepared once keeps its caches).
    let targets = TargetValueCache()
    /// The estimated bytes of compiled payloads kept.
    let budget: Int
    private var kept: [(index: Int, payload: CompiledPayload, cost: Int)] = []
    private(set) var facts: [SnapshotFacts?]
    /// How many times a payload was decoded and compiled.
    private(set) var compilations = 0
    /// How many specs compiled payloads took from the one before instead of compiling them.
    private(set) var reusedSpecs = 0

    /// A compiled payload (its decoded `ConfigSpecs` included) costs about this many times its JSON.
    static let costPerJSONByte = 12

    init(_ source: SnapshotSource, legacy: Bool, budget: Int) {
        self.source = source
        self.legacy = legacy
        self.budget = budget
        facts = Array(repeating: nil, count: source.count)
    }

    /// The compiled payload of snapshot `i` (decoded and compiled if not kept), now the most recently used.
    func payload(_ i: Int) throws -> CompiledPayload {
        if let k = kept.firstIndex(where: { $0.index == i }) {
            let entry = kept.remove(at: k)
            kept.append(entry)
            return entry.payload
        }
        // The most recently used payload lends the specs that did not change (most of them, between neighbours).
        let payload = CompiledPayload(try source.decode(i), targets: targets, legacy: legacy, previous: kept.last?.payload)
        compilations += 1
        reusedSpecs += payload.reusedSpecs
        targets.endPayload(keep: 2)
        if facts[i] == nil { facts[i] = SnapshotFacts(payload) }
        let cost = source.snapshots[i].payloadBytes * Self.costPerJSONByte
        kept.append((i, payload, cost))
        return payload
    }

    /// The compiled payloads of `indices`, kept together until the next call (evicting others over the budget).
    func pin(_ indices: some Sequence<Int>) throws -> [Int: CompiledPayload] {
        var out: [Int: CompiledPayload] = [:]
        for i in indices where out[i] == nil { out[i] = try payload(i) }
        trim(keeping: Set(out.keys))
        return out
    }

    /// Evicts the least recently used payloads while over the budget, never one of `keeping`.
    func trim(keeping: Set<Int>) {
        guard !source.resident else { return }
        var total = kept.reduce(0) { $0 + $1.cost }
        var k = 0
        while total > budget, k < kept.count {
            if keeping.contains(kept[k].index) { k += 1; continue }
            total -= kept[k].cost
            kept.remove(at: k)
        }
    }

    /// Fingerprints of the compiled specs in use (`SpecFingerprint`), by identity: a spec taken from the previous
    /// payload keeps its fingerprint. Each entry holds its spec, so an identity is never reused while remembered.
    private var fingerprints: [ObjectIdentifier: (spec: CompiledSpec, fingerprint: [UInt8])] = [:]

    /// The fingerprint of the spec `payload` evaluates for a collection and name (`DependencyClosure`'s `fingerprint`
    /// for `payload.specs`: both keep the last spec of a name).
    func fingerprint(_ collection: SpecCollection, _ name: String, _ spec: Spec, in payload: CompiledPayload) -> [UInt8] {
        let kind: EntityKind = collection == .featureGates ? .gate : collection == .layerConfigs ? .layer : .config
        guard let compiled = payload.spec(EntityRef(kind: kind, name: name)) else { return SpecFingerprint.fingerprint(spec) }
        if let known = fingerprints[ObjectIdentifier(compiled)] { return known.fingerprint }
        let f = SpecFingerprint.fingerprint(spec)
        fingerprints[ObjectIdentifier(compiled)] = (compiled, f)
        return f
    }

    /// Forgets the fingerprints of specs `payload` does not hold.
    func keepFingerprints(of payload: CompiledPayload) {
        let live = Set((payload.gates + payload.configs + payload.layers).map(ObjectIdentifier.init))
        fingerprints = fingerprints.filter { live.contains($0.key) }
    }

    /// The facts of every snapshot, decoding those never compiled yet (one at a time, not kept).
    func allFacts() throws -> [SnapshotFacts] {
        for i in facts.indices where facts[i] == nil {
            facts[i] = SnapshotFacts(CompiledPayload(try source.decode(i), targets: targets, legacy: false, previous: kept.last?.payload))
            compilations += 1
            targets.endPayload(keep: 2)
        }
        return facts.map { $0! }
    }
}
