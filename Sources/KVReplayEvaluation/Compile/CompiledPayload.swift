public import KVReplayModel

/// A payload compiled for evaluation: specs numbered and looked up by name, every condition's target parsed,
/// every rule's hash prefix prepared. Immutable and safe to share between threads.
public final class CompiledPayload: Sendable {
    public let specs: ConfigSpecs
    public let gates: [CompiledSpec]
    public let configs: [CompiledSpec]
    public let layers: [CompiledSpec]
    let gateIndex: [String: Int]
    let configIndex: [String: Int]
    let layerIndex: [String: Int]
    /// `app_id` as a user-side value (what `target_app` reads).
    let appID: UserValue?
    public let usesUserAgent: Bool
    public let usesCountry: Bool
    /// Distinct condition fields (see `FieldRef.index`).
    let fieldCount: Int

    /// Every entity the payload names, readable or not, in record order (kind, then name).
    public let entities: [EntityRef]

    /// - Parameter targets: a cache shared by the payloads of one history, so that targets repeated across snapshots
    ///   (large inline ID lists, regexes) are converted once.
    public init(_ specs: ConfigSpecs, targets: TargetValueCache? = nil) {
        self.specs = specs
        var gateIndex: [String: Int] = [:]
        var configIndex: [String: Int] = [:]
        var layerIndex: [String: Int] = [:]
        for (i, s) in specs.featureGates.enumerated() { gateIndex[s.name] = i }
        for (i, s) in specs.dynamicConfigs.enumerated() { configIndex[s.name] = i }
        for (i, s) in specs.layerConfigs.enumerated() { layerIndex[s.name] = i }
        var compiler = Compiler(gateIndex: gateIndex, configIndex: configIndex, targets: targets)
        gates = specs.featureGates.map { compiler.compile($0) }
        configs = specs.dynamicConfigs.map { compiler.compile($0) }
        layers = specs.layerConfigs.map { compiler.compile($0) }
        self.gateIndex = gateIndex
        self.configIndex = configIndex
        self.layerIndex = layerIndex
        appID = specs.appID.map(UserValue.core)
        usesUserAgent = compiler.usesUserAgent
        usesCountry = compiler.usesCountry
        fieldCount = compiler.fields.count

        var refs: [EntityRef] = []
        var seen = Set<String>()
        func add(_ kind: EntityKind, _ name: String) {
            if seen.insert("\(kind.rawValue)\u{0}\(name)").inserted { refs.append(EntityRef(kind: kind, name: name)) }
        }
        for s in specs.featureGates { add(.gate, s.name) }
        for s in specs.dynamicConfigs { add(s.kind, s.name) }
        for s in specs.layerConfigs { add(.layer, s.name) }
        for s in specs.invalidSpecs { add(s.kind, s.name) }
        refs.sort { a, b in a.kind != b.kind ? a.kind < b.kind : JSONWriter.codePointLess(a.name, b.name) }
        entities = refs
    }

    /// The compiled spec for an entity, or nil when the payload has no readable spec of that name.
    public func spec(_ ref: EntityRef) -> CompiledSpec? {
        switch ref.kind {
        case .gate: gateIndex[ref.name].map { gates[$0] }
        case .config, .experiment: configIndex[ref.name].map { configs[$0] }
        case .layer: layerIndex[ref.name].map { layers[$0] }
        }
    }
}

/// An entity by kind and name.
public struct EntityRef: Sendable, Hashable, Comparable {
    public var kind: EntityKind
    public var name: String

    public init(kind: EntityKind, name: String) {
        self.kind = kind
        self.name = name
    }

    public static func < (a: EntityRef, b: EntityRef) -> Bool {
        a.kind != b.kind ? a.kind < b.kind : JSONWriter.codePointLess(a.name, b.name)
    }
}

public final class CompiledSpec: Sendable {
    public let source: Spec
    public let name: String
    let defaultValue: JSONValue
    /// `defaultValue == true`.
    let defaultBool: Bool
    let rules: [CompiledRule]
    let idType: String
    let enabled: Bool
    let version: Int64?
    let isActive: Bool?
    let hasSharedParams: Bool?
    let explicitParameters: [String]?
    let useNewLayerEval: Bool

    init(source: Spec, rules: [CompiledRule]) {
        self.source = source
        name = source.name
        defaultValue = source.defaultValue
        defaultBool = source.defaultValue == .bool(true)
        self.rules = rules
        idType = source.idType
        enabled = source.enabled
        version = source.version
        isActive = source.isActive
        hasSharedParams = source.hasSharedParams
        explicitParameters = source.explicitParameters
        useNewLayerEval = source.useNewLayerEval == true
    }
}

final class CompiledRule: Sendable {
    let id: String
    let groupName: String?
    let passPercentage: Double
    /// UTF-8 of `"<spec salt>.<rule salt or id>."`.
    let hashPrefix: [UInt8]
    let unitID: IDType
    let conditions: [CompiledCondition]
    let returnValue: JSONValue
    /// `returnValue != false`.
    let returnBool: Bool
    let isExperimentGroup: Bool?
    let configDelegate: String?
    let configDelegateIndex: Int?
    let samplingRate: Int64?

    init(id: String, groupName: String?, passPercentage: Double, hashPrefix: [UInt8], unitID: IDType,
         conditions: [CompiledCondition], returnValue: JSONValue, isExperimentGroup: Bool?, configDelegate: String?,
         configDelegateIndex: Int?, samplingRate: Int64?)
    {
        self.id = id
        self.groupName = groupName
        self.passPercentage = passPercentage
        self.hashPrefix = hashPrefix
        self.unitID = unitID
        self.conditions = conditions
        self.returnValue = returnValue
        returnBool = returnValue != .bool(false)
        self.isExperimentGroup = isExperimentGroup
        self.configDelegate = configDelegate
        self.configDelegateIndex = configDelegateIndex
        self.samplingRate = samplingRate
    }
}

/// An ID type as the unit ID lookups need it.
final class IDType: Sendable {
    let name: String
    let lowercased: String
    let isUserID: Bool

    init(_ name: String) {
        self.name = name
        lowercased = rustLowercase(name)
        isUserID = lowercased == "userid"
    }
}

/// A user field reference, resolved once. Fields are numbered per payload so prepared users can cache lookups.
final class FieldRef: Sendable {
    /// Position in the payload's field table (`-1` outside a payload).
    let index: Int
    let name: String
    let lowercased: String
    /// The top-level user field this name selects (`userid`, `email`, ...), if any.
    let topLevel: UserField?
    /// The snake-case alias (`user_id`, `app_version`, `user_agent`), if this name is one.
    let alias: UserField?

    init(_ name: String, index: Int = -1) {
        self.index = index
        self.name = name
        lowercased = rustLowercase(name)
        topLevel = UserField(lowercasedName: lowercased)
        switch lowercased {
        case "user_id": alias = .userID
        case "app_version": alias = .appVersion
        case "user_agent": alias = .userAgent
        default: alias = nil
        }
    }
}

enum UserField: Int, Sendable, CaseIterable {
    case userID, email, ip, country, locale, appVersion, userAgent

    init?(lowercasedName: String) {
        switch lowercasedName {
        case "userid": self = .userID
        case "email": self = .email
        case "ip": self = .ip
        case "country": self = .country
        case "locale": self = .locale
        case "appversion": self = .appVersion
        case "useragent": self = .userAgent
        default: return nil
        }
    }
}

/// One condition, flattened so the hot loop reads stored properties instead of unpacking enum payloads.
final class CompiledCondition: Sendable {
    enum Tag: UInt8, Sendable {
        case pass
        case nestedGate
        /// An unknown type, a missing operator, an unknown operator, or a `condition_map` key with no entry.
        case unsupported
        case compare
    }

    enum Source: UInt8, Sendable {
        case none, userField, userAgent, ipCountry, environment, currentTime, userBucket, targetApp, unitID, experimentGroup
    }

    let tag: Tag
    let valueSource: Source
    let op: Operator
    let target: TargetValue?
    let field: FieldRef?
    let idType: IDType?
    /// `user_bucket`: UTF-8 of `"<salt>."`.
    let saltPrefix: [UInt8]
    /// Nested gates: the gate's name and index; `experiment_group`: the experiment's name.
    let name: String
    let index: Int?
    let negate: Bool
    let unsupportedReason: String
    let source: Condition?

    init(tag: Tag, valueSource: Source = .none, op: Operator = .eq, target: TargetValue? = nil, field: FieldRef? = nil,
         idType: IDType? = nil, saltPrefix: [UInt8] = [], name: String = "", index: Int? = nil, negate: Bool = false,
         unsupportedReason: String = "", source: Condition?)
    {
        self.tag = tag
        self.valueSource = valueSource
        self.op = op
        self.target = target
        self.field = field
        self.idType = idType
        self.saltPrefix = saltPrefix
        self.name = name
        self.index = index
        self.negate = negate
        self.unsupportedReason = unsupportedReason
        self.source = source
    }
}

enum Operator: String, Sendable {
    case gt, gte, lt, lte
    case versionGT = "version_gt", versionGTE = "version_gte", versionLT = "version_lt"
    case versionLTE = "version_lte", versionEQ = "version_eq", versionNEQ = "version_neq"
    case any, none
    case anyCaseSensitive = "any_case_sensitive", noneCaseSensitive = "none_case_sensitive"
    case startsWithAny = "str_starts_with_any", endsWithAny = "str_ends_with_any"
    case containsAny = "str_contains_any", containsNone = "str_contains_none"
    case matches = "str_matches"
    case before, after, on
    case eq, neq
    case inSegmentList = "in_segment_list", notInSegmentList = "not_in_segment_list"
    case arrayContainsAny = "array_contains_any", arrayContainsNone = "array_contains_none"
    case arrayContainsAll = "array_contains_all", notArrayContainsAll = "not_array_contains_all"
}

/// Converted condition targets by value, shared across the payloads of a history. Not thread-safe: compile the
/// payloads of a history one after the other.
public final class TargetValueCache {
    private var entries: [JSONValue: (plain: TargetValue?, regex: TargetValue?)] = [:]

    public init() {}

    func target(_ json: JSONValue, compileRegex: Bool) -> TargetValue {
        if let hit = entries[json], let t = compileRegex ? hit.regex : hit.plain { return t }
        let t = TargetValue(core: json, compileRegex: compileRegex)
        var e = entries[json] ?? (nil, nil)
        if compileRegex { e.regex = t } else { e.plain = t }
        entries[json] = e
        return t
    }
}

struct Compiler {
    let gateIndex: [String: Int]
    let configIndex: [String: Int]
    let targets: TargetValueCache?
    var usesUserAgent = false
    var usesCountry = false
    var fields: [String: FieldRef] = [:]

    mutating func fieldRef(_ name: String) -> FieldRef {
        if let f = fields[name] { return f }
        let f = FieldRef(name, index: fields.count)
        fields[name] = f
        return f
    }

    mutating func compile(_ spec: Spec) -> CompiledSpec {
        let rules = spec.rules.map { rule -> CompiledRule in
            let ruleSalt = rule.salt ?? rule.id
            return CompiledRule(
                id: rule.id,
                groupName: rule.groupName,
                passPercentage: rule.passPercentage,
                hashPrefix: Array("\(spec.salt).\(ruleSalt).".utf8),
                unitID: IDType(rule.idType),
                conditions: rule.conditions.map { compile($0) },
                returnValue: rule.returnValue,
                isExperimentGroup: rule.isExperimentGroup,
                configDelegate: rule.configDelegate,
                configDelegateIndex: rule.configDelegate.flatMap { configIndex[$0] },
                samplingRate: rule.samplingRate)
        }
        return CompiledSpec(source: spec, rules: rules)
    }

    mutating func compile(_ ref: RuleCondition) -> CompiledCondition {
        let c: Condition
        switch ref {
        case .missing(let key):
            return CompiledCondition(tag: .unsupported, unsupportedReason: "condition \(key) is not in condition_map", source: nil)
        case .condition(let condition):
            c = condition
        }
        let field = c.field.map { fieldRef($0) }
        var idType: IDType? = nil
        var saltPrefix: [UInt8] = []
        var name = ""
        let source: CompiledCondition.Source
        switch c.type {
        case "public":
            return CompiledCondition(tag: .pass, source: c)
        case "pass_gate", "fail_gate":
            let gate = c.targetValue.stringValue ?? ""
            return CompiledCondition(tag: .nestedGate, name: gate, index: gateIndex[gate], negate: c.type == "fail_gate", source: c)
        case "user_field": source = .userField
        case "ua_based":
            source = .userAgent
            usesUserAgent = true
        case "ip_based":
            source = .ipCountry
            usesCountry = true
        case "environment_field": source = .environment
        case "current_time": source = .currentTime
        case "user_bucket":
            source = .userBucket
            saltPrefix = Array("\(c.additionalValues?["salt"]?.stringValue ?? "").".utf8)
            idType = IDType(c.idType)
        case "target_app": source = .targetApp
        case "unit_id":
            source = .unitID
            idType = IDType(c.idType)
        case "experiment_group":
            source = .experimentGroup
            name = c.field ?? ""
        default:
            return CompiledCondition(tag: .unsupported, unsupportedReason: "unknown condition type \"\(c.type)\"", source: c)
        }
        guard let opName = c.operator else {
            return CompiledCondition(tag: .unsupported, unsupportedReason: "condition type \"\(c.type)\" without an operator", source: c)
        }
        guard let op = Operator(rawValue: opName) else {
            return CompiledCondition(tag: .unsupported, unsupportedReason: "unknown operator \"\(opName)\"", source: c)
        }
        let target = targets?.target(c.targetValue, compileRegex: op == .matches) ?? TargetValue(core: c.targetValue, compileRegex: op == .matches)
        return CompiledCondition(tag: .compare, valueSource: source, op: op, target: target, field: field, idType: idType,
                                 saltPrefix: saltPrefix, name: name, index: c.field == nil ? nil : configIndex[c.field!], source: c)
    }
}
