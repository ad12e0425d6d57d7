import KVReplayModel

/// A payload as statsig-node 6.5.1's `SpecStore` holds it (`ConfigSpec`, `ConfigRule`, `ConfigCondition`): specs by
/// name per collection (a later spec of the same name replaces an earlier one, as `updatedGates[gate.name] = gate`
/// does), condition types and operators lower-cased where the evaluator lower-cases them, `any`/`none` target sets
/// built at load exactly when the SDK builds them. Immutable; built once per payload (`CompiledPayload.nodeProgram`).
final class NodeProgram: Sendable {
    let gates: [JS.Key: NodeSpec]
    let configs: [JS.Key: NodeSpec]
    let layers: [JS.Key: NodeSpec]
    /// `store.getPrimaryTargetAppID()`: the payload's `app_id` (what `target_app` reads without a client key).
    let appID: JSONValue?
    /// The payload's `default_environment` (`_normalizeUser`'s `{tier: ...}` when the SDK has no `environment`).
    let defaultEnvironment: String?

    init(_ specs: ConfigSpecs) {
        func table(_ list: [Spec]) -> [JS.Key: NodeSpec] {
            var t: [JS.Key: NodeSpec] = [:]
            for s in list { t[JS.Key(s.name)] = NodeSpec(s) }
            return t
        }
        gates = table(specs.featureGates)
        configs = table(specs.dynamicConfigs)
        layers = table(specs.layerConfigs)
        appID = specs.appID
        defaultEnvironment = specs.defaultEnvironment
    }

    func spec(_ ref: EntityRef) -> NodeSpec? {
        switch ref.kind {
        case .gate: gates[JS.Key(ref.name)]
        case .config, .experiment: configs[JS.Key(ref.name)]
        case .layer: layers[JS.Key(ref.name)]
        }
    }
}

final class NodeSpec: Sendable {
    let name: String
    let salt: String
    let enabled: Bool
    let defaultValue: JSONValue
    let idType: String
    var rules: [NodeRule] { storedRules }
    private let storedRules: [NodeRule]
    let explicitParameters: [String]?
    let version: Int64?
    let isActive: Bool?

    init(_ s: Spec) {
        name = s.name
        salt = s.salt
        enabled = s.enabled
        defaultValue = JS.normalized(s.defaultValue)
        idType = s.idType
        storedRules = s.rules.map { NodeRule($0, specSalt: s.salt) }
        explicitParameters = s.explicitParameters
        version = s.version
        isActive = s.isActive
    }
}

final class NodeRule: Sendable {
    let id: String
    /// `rule.salt ?? rule.id`, the middle part of the pass-percentage hash input.
    let hashSalt: String
    /// `config.salt + '.' + (rule.salt ?? rule.id) + '.'` as UTF-8: the pass-percentage hash input before the unit ID.
    let hashPrefix: [UInt8]
    let passPercentage: Double
    let conditions: [NodeCondition]
    let returnValue: JSONValue
    let idType: String
    let groupName: String?
    let isExperimentGroup: Bool
    let configDelegate: String?

    init(_ r: Rule, specSalt: String) {
        id = r.id
        hashSalt = r.salt ?? r.id
        hashPrefix = Array((specSalt + "." + (r.salt ?? r.id) + ".").utf8)
        passPercentage = r.passPercentage
        conditions = r.conditions.map(NodeCondition.init)
        returnValue = JS.normalized(r.returnValue)
        idType = r.idType
        groupName = r.groupName
        isExperimentGroup = r.isExperimentGroup ?? false
        configDelegate = r.configDelegate
    }
}

final class NodeCondition: Sendable {
    enum Source: Sendable {
        case pass, gate(negate: Bool), multiGate(typeIsMultiPass: Bool), ipBased, uaBased, userField, environment
        case currentTime, userBucket, unitID, targetApp
        /// A type the SDK does not know: the rule (and the spec) is `unsupported` once the condition is reached.
        case unsupported
        /// No `type` at all: `condition.type.toLowerCase()` throws (the public API answers with an empty result).
        case throwsTypeError
    }

    enum Op: Sendable {
        case gt, gte, lt, lte
        case versionGT, versionGTE, versionLT, versionLTE, versionEQ, versionNEQ
        case any, none, anyCaseSensitive, noneCaseSensitive
        case startsWith, endsWith, contains, containsNone, matches
        case eq, neq, before, after, on
        case inList, notInList
        case arrayContainsAny, arrayContainsNone, arrayContainsAll, notArrayContainsAll
        /// Unknown or missing: `unsupported`.
        case unsupported
    }

    let source: Source
    let op: Op
    let type: String
    let operatorText: String?
    let field: String?
    /// `field.toLowerCase()`.
    let fieldLower: String?
    /// `additionalValues.salt + '.'` as UTF-8 (`user_bucket`).
    let bucketPrefix: [UInt8]
    /// `targetValue` as the payload holds it; nil when the key is absent (`undefined`).
    let target: JSONValue?
    /// `additionalValues.salt` (nil: `undefined`).
    let bucketSalt: JSONValue?
    let idType: String?
    /// `targetValueSet`: built at load for operators spelled exactly `any`/`none` (with lower-cased copies) or
    /// `any_case_sensitive`/`none_case_sensitive`, when the target is an array.
    let targetSet: Set<JS.Key>?
    /// The target's elements for `arrayAny`-based operators (nil when the target is not an array).
    let targetItems: [JSONValue]?
    /// The `str_matches` pattern compiled on ICU (nil: a JS SyntaxError, always false).
    let regex: BoundedRegex?
    /// `current_time`, `before`/`after`/`on`: the target's time, computed once (NaN when it is not a date).
    let targetDate: Double
    let raw: Condition?

    init(_ rc: RuleCondition) {
        guard case .condition(let c) = rc else {
            source = .throwsTypeError
            op = .unsupported
            type = ""
            operatorText = nil
            field = nil
            fieldLower = nil
            bucketPrefix = []
            target = nil
            bucketSalt = nil
            idType = nil
            targetSet = nil
            targetItems = nil
            regex = nil
            targetDate = .nan
            raw = nil
            return
        }
        raw = c
        type = c.type
        operatorText = c.operator
        field = c.field
        fieldLower = c.field.map(JS.lower)
        target = JS.property(c.raw, "targetValue")
        idType = c.idType
        bucketSalt = c.additionalValues.flatMap { JS.property($0, "salt") }
        bucketPrefix = Array(((bucketSalt.map { JS.string($0) } ?? "undefined") + ".").utf8)
        let t = JS.lower(c.type)
        switch t {
        case "public": source = .pass
        case "pass_gate": source = .gate(negate: false)
        case "fail_gate": source = .gate(negate: true)
        case "multi_pass_gate", "multi_fail_gate": source = .multiGate(typeIsMultiPass: c.type == "multi_pass_gate")
        case "ip_based": source = .ipBased
        case "ua_based": source = .uaBased
        case "user_field": source = .userField
        case "environment_field": source = .environment
        case "current_time": source = .currentTime
        case "user_bucket": source = .userBucket
        case "unit_id": source = .unitID
        case "target_app": source = .targetApp
        default: source = .unsupported
        }
        let opText = c.operator.map(JS.lower)
        switch opText {
        case "gt": op = .gt
        case "gte": op = .gte
        case "lt": op = .lt
        case "lte": op = .lte
        case "version_gt": op = .versionGT
        case "version_gte": op = .versionGTE
        case "version_lt": op = .versionLT
        case "version_lte": op = .versionLTE
        case "version_eq": op = .versionEQ
        case "version_neq": op = .versionNEQ
        case "any": op = .any
        case "none": op = .none
        case "any_case_sensitive": op = .anyCaseSensitive
        case "none_case_sensitive": op = .noneCaseSensitive
        case "str_starts_with_any": op = .startsWith
        case "str_ends_with_any": op = .endsWith
        case "str_contains_any": op = .contains
        case "str_contains_none": op = .containsNone
        case "str_matches": op = .matches
        case "eq": op = .eq
        case "neq": op = .neq
        case "before": op = .before
        case "after": op = .after
        case "on": op = .on
        case "in_segment_list": op = .inList
        case "not_in_segment_list": op = .notInList
        case "array_contains_any": op = .arrayContainsAny
        case "array_contains_none": op = .arrayContainsNone
        case "array_contains_all": op = .arrayContainsAll
        case "not_array_contains_all": op = .notArrayContainsAll
        default: op = .unsupported
        }
        let items = target?.arrayValue
        targetItems = items
        if let items, c.operator == "any" || c.operator == "none" {
            var set = Set<JS.Key>()
            for v in items {
                let s = JS.string(v)
                set.insert(JS.Key(s))
                set.insert(JS.Key(JS.lower(s)))
            }
            targetSet = set
        } else if let items, c.operator == "any_case_sensitive" || c.operator == "none_case_sensitive" {
            targetSet = Set(items.map { JS.Key(JS.string($0)) })
        } else {
            targetSet = nil
        }
        if op == .matches {
            // `new RegExp(target)`: undefined is the empty pattern; anything else is converted with String().
            let source: String
            switch target {
            case nil: source = "(?:)"
            case .string(let s)?: source = s
            default: source = JS.string(target)
            }
            // ICU rejects an empty pattern; JavaScript's matches everywhere.
            regex = JSRegex.icuPattern(source.isEmpty ? "(?:)" : source).flatMap { BoundedRegex(pattern: $0.isEmpty ? "(?:)" : $0) }
        } else {
            regex = nil
        }
        targetDate = (op == .before || op == .after || op == .on) ? NodeDates.time(target) : .nan
    }
}

/// `dateCompare`'s reading of one side: a string through `new Date(s)`, else (or when that is invalid) `Number(x)`,
/// seconds when under 1e10, then `new Date(ms)` (TimeClip). NaN when not a date; nil/null is never a date.
enum NodeDates {
    static func time(_ v: JSONValue?) -> Double {
        guard let v, !v.isNull else { return .nan }
        if case .string(let s) = v {
            let t = JSDate.parse(s)
            if !t.isNaN { return t }
        }
        var n = JS.number(v)
        if n.isNaN { return .nan }
        if n < 10_000_000_000 { n *= 1000 }
        return timeClip(n)
    }

    /// ECMAScript TimeClip.
    static func timeClip(_ t: Double) -> Double {
        if !t.isFinite || abs(t) > 8.64e15 { return .nan }
        return t.rounded(.towardZero) + 0  // -0 → +0
    }

    /// `setHours(0, 0, 0, 0)` in UTC: the start of the day.
    static func startOfDay(_ t: Double) -> Double {
        let day = 86_400_000.0
        return (t / day).rounded(.down) * day
    }
}
