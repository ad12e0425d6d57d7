public import KVReplayEvaluation
public import KVReplayModel

/// For each entity of a payload, a SHA-256 over its own spec and everything its result can depend on:
/// nested gates (pass/fail, segments, holdouts), the experiment a layer rule delegates to, experiments read by
/// `experiment_group`, the contents of the ID lists it reads, the payload's `app_id` and `default_environment`
/// when read, and the evaluation time when a `current_time` condition is reached.
///
/// Two snapshots that give an entity the same closure give every user the same result for it, so a replay carries
/// the previous results over instead of evaluating again.
///
/// A `current_time` condition reads the same clock for every user, so its outcome at the snapshot's time is what
/// the closure records (not the time itself): an entity with a launch date is evaluated again only when the date
/// is crossed.
public struct DependencyClosure: Sendable {
    public private(set) var hashes: [EntityRef: [UInt8]] = [:]
    /// Entities whose result depends on the evaluation time.
    public private(set) var timeDependent: Set<EntityRef> = []

    /// - Parameters:
    ///   - idListHashes: a content hash per ID-list name (absent lists hash as absent).
    ///   - now: the evaluation time (the snapshot's lcut), mixed in only for time-dependent entities.
    /// - Parameter timeCondition: the outcome of a `current_time` condition at `now` (when nil, `now` itself is
    ///   recorded, so time-dependent entities are evaluated at every snapshot).
    /// - Parameter fingerprint: a spec's `SpecFingerprint` by collection and name, when known already (a replay
    ///   remembers those of the specs it did not compile again); nil to compute it.
    public init(specs: ConfigSpecs, idListHashes: [String: String], now: Int64, timeCondition: ((Condition) -> Bool)? = nil,
                fingerprint: ((SpecCollection, String, Spec) -> [UInt8])? = nil) {
        var builder = Builder(specs: specs, idListHashes: idListHashes, now: now, timeCondition: timeCondition, known: fingerprint)
        for spec in specs.allSpecs {
            let ref = EntityRef(kind: spec.kind, name: spec.name)
            let closure = builder.closure(of: spec.collection, spec.name)
            hashes[ref] = closure.hash
            if closure.timeDependent { timeDependent.insert(ref) }
        }
        for invalid in specs.invalidSpecs {
            let ref = EntityRef(kind: invalid.kind, name: invalid.name)
            if hashes[ref] == nil { hashes[ref] = Hashing.sha256(Array("invalid\u{0}\(invalid.name)\u{0}\(invalid.problem)".utf8)) }
        }
    }

    private struct Closure {
        var hash: [UInt8]
        var timeDependent: Bool
        /// Cut at `maxDepth`: it depends on the depth it was reached at, so it is not memoised.
        var truncated = false
    }

    /// Deeper than the evaluator ever nests (300 gates: past it the evaluation stops with an error), so a spec beyond
    /// it cannot change a result; the walk stops there instead of recursing once per gate of an arbitrarily long chain
    /// (a 10,000-gate chain overflowed the stack).
    static let maxDepth = 400

    private struct Builder {
        let specs: ConfigSpecs
        let idListHashes: [String: String]
        let now: Int64
        let timeCondition: ((Condition) -> Bool)?
        let gates: [String: Spec]
        let configs: [String: Spec]
        let layers: [String: Spec]
        var memo: [String: Closure] = [:]
        var inProgress: Set<String> = []
        /// Spec fingerprints, computed once each (a cut closure is walked again from every depth it is reached at).
        var fingerprints: [String: [UInt8]] = [:]

        let known: ((SpecCollection, String, Spec) -> [UInt8])?

        mutating func fingerprint(_ key: String, _ collection: SpecCollection, _ spec: Spec) -> [UInt8] {
            if let f = fingerprints[key] { return f }
            let f = known?(collection, spec.name, spec) ?? SpecFingerprint.fingerprint(spec)
            fingerprints[key] = f
            return f
        }

        init(specs: ConfigSpecs, idListHashes: [String: String], now: Int64, timeCondition: ((Condition) -> Bool)?,
             known: ((SpecCollection, String, Spec) -> [UInt8])?) {
            self.known = known
            self.specs = specs
            self.idListHashes = idListHashes
            self.now = now
            self.timeCondition = timeCondition
            var g: [String: Spec] = [:], c: [String: Spec] = [:], l: [String: Spec] = [:]
            for s in specs.featureGates { g[s.name] = s }
            for s in specs.dynamicConfigs { c[s.name] = s }
            for s in specs.layerConfigs { l[s.name] = s }
            gates = g
            configs = c
            layers = l
        }

        mutating func closure(of collection: SpecCollection, _ name: String, depth: Int = 0) -> Closure {
            let key = "\(collection.rawValue)\u{0}\(name)"
            if let m = memo[key] { return m }
            let spec: Spec?
            switch collection {
            case .featureGates: spec = gates[name]
            case .dynamicConfigs: spec = configs[name]
            case .layerConfigs: spec = layers[name]
            }
            guard let spec else {
                return Closure(hash: Hashing.sha256(Array("missing\u{0}\(key)".utf8)), timeDependent: false)
            }
            if inProgress.contains(key) {
                // A cycle: the evaluator stops it at its nesting limit; its own fingerprint identifies it.
                return Closure(hash: fingerprint(key, collection, spec), timeDependent: false)
            }
            if depth >= DependencyClosure.maxDepth {
                return Closure(hash: Hashing.sha256(Array("depth\u{0}".utf8) + fingerprint(key, collection, spec)), timeDependent: false,
                               truncated: true)
            }
            inProgress.insert(key)
            var parts: [UInt8] = fingerprint(key, collection, spec)
            var timeDependent = false
            var truncated = false
            for rule in spec.rules {
                if let d = rule.configDelegate {
                    let c = closure(of: .dynamicConfigs, d, depth: depth + 1)
                    parts += c.hash
                    timeDependent = timeDependent || c.timeDependent
                    truncated = truncated || c.truncated
                }
                for rc in rule.conditions {
                    guard case .condition(let condition) = rc else { continue }
                    switch condition.type {
                    case "pass_gate", "fail_gate":
                        let c = closure(of: .featureGates, condition.targetValue.stringValue ?? "", depth: depth + 1)
                        parts += c.hash
                        timeDependent = timeDependent || c.timeDependent
                        truncated = truncated || c.truncated
                    case "multi_pass_gate", "multi_fail_gate":
                        for name in condition.targetValue.arrayValue ?? [] {
                            let c = closure(of: .featureGates, name.stringValue ?? "", depth: depth + 1)
                            parts += c.hash
                            timeDependent = timeDependent || c.timeDependent
                            truncated = truncated || c.truncated
                        }
                    case "experiment_group":
                        let c = closure(of: .dynamicConfigs, condition.field ?? "", depth: depth + 1)
                        parts += c.hash
                        timeDependent = timeDependent || c.timeDependent
                        truncated = truncated || c.truncated
                    case "current_time":
                        timeDependent = true
                        if let timeCondition { parts += Array("time\u{0}\(timeCondition(condition) ? 1 : 0)".utf8) }
                    case "target_app":
                        parts += Array("app\u{0}\(specs.appID.map { JSONWriter().string($0) } ?? "null")".utf8)
                    case "environment_field":
                        parts += Array("env\u{0}\(specs.defaultEnvironment ?? "\u{1}")".utf8)
                    default:
                        break
                    }
                    if condition.operator == "in_segment_list" || condition.operator == "not_in_segment_list" {
                        let list = condition.targetValue.stringValue ?? ""
                        parts += Array("list\u{0}\(list)\u{0}\(idListHashes[list] ?? "absent")".utf8)
                    }
                }
            }
            if timeDependent && timeCondition == nil { parts += Array("now\u{0}\(now)".utf8) }
            inProgress.remove(key)
            let result = Closure(hash: Hashing.sha256(parts), timeDependent: timeDependent, truncated: truncated)
            if !truncated { memo[key] = result }
            return result
        }
    }
}

/// A format-independent content hash of one spec: the same spec delivered as DCS v1 or v2 hashes the same.
public enum SpecFingerprint {
    public static func fingerprint(_ spec: Spec) -> [UInt8] {
        Hashing.sha256(Array(canonicalText(spec).utf8))
    }

    /// A canonical JSON rendering of the normalised spec (sorted keys, conditions inline).
    public static func canonicalText(_ spec: Spec) -> String {
        var o = JSONObject()
        o["name"] = .string(spec.name)
        o["collection"] = .string(spec.collection.rawValue)
        o["type"] = .string(spec.type)
        o["entity"] = .string(spec.entity)
        o["salt"] = .string(spec.salt)
        o["enabled"] = .bool(spec.enabled)
        o["defaultValue"] = spec.defaultValue
        o["idType"] = .string(spec.idType)
        if let v = spec.explicitParameters { o["explicitParameters"] = .array(v.map { .string($0) }) }
        if let v = spec.hasSharedParams { o["hasSharedParams"] = .bool(v) }
        if let v = spec.isActive { o["isActive"] = .bool(v) }
        if let v = spec.version { o["version"] = .int(v) }
        if let v = spec.targetAppIDs { o["targetAppIDs"] = .array(v.map { .string($0) }) }
        if let v = spec.forwardAllExposures { o["forwardAllExposures"] = .bool(v) }
        if let v = spec.useNewLayerEval { o["useNewLayerEval"] = .bool(v) }
        o["rules"] = .array(spec.rules.map { rule in
            var r = JSONObject()
            r["name"] = .string(rule.name)
            r["id"] = .string(rule.id)
            if let s = rule.salt { r["salt"] = .string(s) }
            r["passPercentage"] = .double(rule.passPercentage)
            r["returnValue"] = rule.returnValue
            r["idType"] = .string(rule.idType)
            if let g = rule.groupName { r["groupName"] = .string(g) }
            if let g = rule.isExperimentGroup { r["isExperimentGroup"] = .bool(g) }
            if let d = rule.configDelegate { r["configDelegate"] = .string(d) }
            if let s = rule.samplingRate { r["samplingRate"] = .int(s) }
            r["conditions"] = .array(rule.conditions.map { rc in
                switch rc {
                case .missing(let key): return .object(JSONObject([("missing", .string(key))]))
                case .condition(let c):
                    var co = JSONObject()
                    co["type"] = .string(c.type)
                    co["operator"] = c.operator.map { .string($0) } ?? .null
                    co["targetValue"] = c.targetValue
                    co["field"] = c.field.map { .string($0) } ?? .null
                    co["additionalValues"] = c.additionalValues.map { .object($0) } ?? .null
                    co["idType"] = .string(c.idType)
                    return .object(co)
                }
            })
            return .object(r)
        })
        return JSONWriter(style: .python).string(.object(o))
    }
}
