public import KVReplayModel
import Synchronization

/// A payload compiled for evaluation: specs numbered and looked up by name, every condition's target parsed,
/// every rule's hash prefix prepared. Immutable and safe to share between threads.
public final class CompiledPayload: Sendable {
    public let specs: ConfigSpecs
    public let gates: [CompiledSpec]
    /// `gates` unretained (the array keeps them alive), for the hot path.
    let gateRefs: [Unmanaged<CompiledSpec>]
    public let configs: [CompiledSpec]
    /// `configs` unretained, for the hot path.
    let configRefs: [Unmanaged<CompiledSpec>]
    public let layers: [CompiledSpec]
    let gateIndex: [String: Int]
    let configIndex: [String: Int]
    let layerIndex: [String: Int]
    /// The user field names the conditions read (possibly shared with other payloads of a history).
    let fields: CoreFieldTable
    /// Unique in the process; how many specs, rules and nested gate conditions are numbered (`LocalCopies`).
    let serial: UInt64
    let specCount: Int
    let ruleCount: Int
    let gateConditionCount: Int
    private static let serials = Atomic<UInt64>(0)
    /// `app_id` as a user-side value (what `target_app` reads).
    let appID: UserValue?
    public let usesUserAgent: Bool
    public let usesCountry: Bool
    /// Legacy flavour: names of the specs the SDK drops at load time (an unsupported condition type or operator), in any
    /// collection; looking up a missing spec of such a name reports `unsupported` (statsig's `unsupported_configs`).
    let legacyUnsupportedNames: Set<String>
    /// Legacy flavour: `app_id` as the SDK holds it.
    let legacyAppID: LegacyValue?
    /// Legacy flavour: how many user field names and ID types the payload reads (the sizes of a user's caches).
    let legacyFieldCount: Int
    let legacyIDTypeCount: Int
    /// Legacy flavour: the SDK could not load this payload at all (a `user_bucket` `any`/`none` target element that
    /// `int()` rejects, so its initialisation fails); kvreplay evaluates it anyway, skipping those elements.
    public let legacyLoadFailed: Bool

    /// Every entity the payload names, readable or not, in record order (kind, then name).
    public let entities: [EntityRef]
    /// Whether the legacy view was compiled (see `init`).
    public let includesLegacy: Bool
    /// How many specs were taken from the previous payload (`init`'s `previous`) instead of compiled.
    public let reusedSpecs: Int
    /// The `node` flavour's view, built on first use (most replays never read it).
    private let nodeView = Mutex<NodeProgram?>(nil)

    var nodeProgram: NodeProgram {
        nodeView.withLock { view in
            if let view { return view }
            let built = NodeProgram(specs)
            view = built
            return built
        }
    }

    /// - Parameter targets: a cache shared by the payloads of one history, so that targets repeated across snapshots
    ///   (large inline ID lists, regexes) are converted once.
    ///   `legacy`: also compile the legacy SDK's view of every condition (needed to evaluate with `.legacy`; about
    ///   as costly as the rest of the compilation, so a core-only replay leaves it out).
    ///   `previous`: the payload compiled before this one with the same `targets` (a history's previous snapshot):
    ///   a spec equal to the one at the same place in it, in a payload whose gates and configs are numbered alike,
    ///   compiles to the same thing and is taken from it instead (core and node views only: the legacy view numbers
    ///   user fields per payload, so a payload with it is compiled in full).
    public init(_ specs: ConfigSpecs, targets: TargetValueCache? = nil, legacy: Bool = true, previous: CompiledPayload? = nil) {
        self.specs = specs
        includesLegacy = legacy
        var gateIndex: [String: Int] = [:]
        var configIndex: [String: Int] = [:]
        var layerIndex: [String: Int] = [:]
        for (i, s) in specs.featureGates.enumerated() { gateIndex[s.name] = i }
        for (i, s) in specs.dynamicConfigs.enumerated() { configIndex[s.name] = i }
        for (i, s) in specs.layerConfigs.enumerated() { layerIndex[s.name] = i }
        var compiler = Compiler(gateIndex: gateIndex, configIndex: configIndex)
        compiler.targets = targets
        if let targets { compiler.fields = targets.fields }
        compiler.includesLegacy = legacy
        // What may be reused: the previous payload's specs, when the references a spec compiles (nested gates,
        // delegates, experiment groups: indices by name) resolve alike and the user field table is the same.
        let donor = previous.flatMap { p in
            !legacy && !p.includesLegacy && p.fields === compiler.fields && p.gateIndex == gateIndex && p.configIndex == configIndex ? p : nil
        }
        if let donor {
            // Fresh numbers for what is compiled anew, after the reused specs' (`LocalCopies` sizes by the counts).
            compiler.specCount = donor.specCount
            compiler.ruleCount = donor.ruleCount
            compiler.gateConditionCount = donor.gateConditionCount
        }
        var reused = 0
        var reusedReads = (userAgent: false, country: false)
        func compile(_ spec: Spec, at i: Int, from old: [CompiledSpec]?) -> CompiledSpec {
            if let old, i < old.count, old[i].source == spec {
                reused += 1
                reusedReads.userAgent = reusedReads.userAgent || old[i].readsUserAgent
                reusedReads.country = reusedReads.country || old[i].readsCountry
                return old[i]
            }
            return compiler.compile(spec)
        }
        gates = specs.featureGates.enumerated().map { compile($1, at: $0, from: donor?.gates) }
        gateRefs = gates.map { Unmanaged.passUnretained($0) }
        configs = specs.dynamicConfigs.enumerated().map { compile($1, at: $0, from: donor?.configs) }
        configRefs = configs.map { Unmanaged.passUnretained($0) }
        layers = specs.layerConfigs.enumerated().map { compile($1, at: $0, from: donor?.layers) }
        reusedSpecs = reused
        fields = compiler.fields
        serial = CompiledPayload.serials.wrappingAdd(1, ordering: .relaxed).newValue
        specCount = compiler.specCount
        ruleCount = compiler.ruleCount
        gateConditionCount = compiler.gateConditionCount
        self.gateIndex = gateIndex
        self.configIndex = configIndex
        self.layerIndex = layerIndex
        appID = specs.appID.map(UserValue.core)
        usesUserAgent = compiler.usesUserAgent || reusedReads.userAgent
        usesCountry = compiler.usesCountry || reusedReads.country
        legacyAppID = specs.appID.map(LegacyValue.init)
        legacyLoadFailed = compiler.legacyLoadFailed
        legacyFieldCount = compiler.legacyFields.count
        legacyIDTypeCount = compiler.legacyFields.idTypeCount
        // Every dropped name, whatever its collection. (Whether a name exists is decided by its last spec, the one the
        // name index keeps, as the SDK's `parsed[name] = spec` followed by a `del` for an unsupported one.)
        legacyUnsupportedNames = Set((gates + configs + layers).filter(\.legacyDropped).map(\.name))

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

extension CompiledPayload {
    /// An entity with its spec looked up, for evaluating it many times (`UserSession.evaluate`) with this payload.
    public func resolve(_ ref: EntityRef) -> ResolvedEntity {
        ResolvedEntity(ref: ref, spec: spec(ref))
    }
}

/// An entity and its compiled spec in one payload (nil: the payload has no readable spec of that name).
public struct ResolvedEntity: Sendable {
    public let ref: EntityRef
    let spec: CompiledSpec?
    /// `spec` unretained (evaluated from many threads, it is not retained per evaluation).
    let specRef: Unmanaged<CompiledSpec>?

    init(ref: EntityRef, spec: CompiledSpec?) {
        self.ref = ref
        self.spec = spec
        specRef = spec.map { Unmanaged.passUnretained($0) }
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
    /// Legacy flavour: the SDK drops this spec at load time (a condition type or operator it does not support).
    let legacyDropped: Bool
    /// `rules` unretained (the array above keeps them alive), for the hot loop.
    let ruleRefs: [Unmanaged<CompiledRule>]

    /// This spec's number in its payload (see `LocalCopies`).
    let serial: Int

    init(source: Spec, rules: [CompiledRule], legacyDropped: Bool, serial: Int) {
        self.serial = serial
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
        self.legacyDropped = legacyDropped
        ruleRefs = rules.map { Unmanaged.passUnretained($0) }
        readsUserAgent = rules.contains { $0.conditions.contains { $0.source?.type == "ua_based" } }
        readsCountry = rules.contains { $0.conditions.contains { $0.source?.type == "ip_based" } }
    }

    /// Whether a condition of this spec parses the user agent / looks up the IP's country (`CompiledPayload.usesUserAgent`).
    let readsUserAgent: Bool
    let readsCountry: Bool
}

final class CompiledRule: @unchecked Sendable {
    let id: String
    let groupName: String?
    let passPercentage: Double
    /// UTF-8 of `"<spec salt>.<rule salt or id>."`.
    /// In memory of its own (freed with the rule): read without touching a shared reference count.
    let hashPrefixBytes: UnsafeBufferPointer<UInt8>
    let unitID: IDType
    /// `unitID` unretained, for the hot path.
    let unitIDRef: Unmanaged<IDType>
    let conditions: [CompiledCondition]
    let returnValue: JSONValue
    /// `returnValue != false`.
    let returnBool: Bool
    let isExperimentGroup: Bool?
    let configDelegate: String?
    let configDelegateIndex: Int?
    let samplingRate: Int64?
    /// Legacy flavour: the rule's `idType` as `__get_unit_id` reads it.
    let legacyUnitID: LegacyIDType
    let legacyUnitIDRef: Unmanaged<LegacyIDType>
    /// Legacy flavour: `"salt": null`, on which the pass-percentage hash raises.
    let legacySaltIsNull: Bool
    /// `conditions` without reference counting (the array above keeps them alive), for the hot loop.
    let conditionRefs: [Unmanaged<CompiledCondition>]

    /// This rule's number in its payload (see `LocalCopies`).
    let serial: Int

    init(serial: Int, id: String, groupName: String?, passPercentage: Double, hashPrefix: [UInt8], unitID: IDType,
         conditions: [CompiledCondition], returnValue: JSONValue, isExperimentGroup: Bool?, configDelegate: String?,
         configDelegateIndex: Int?, samplingRate: Int64?, legacyUnitID: LegacyIDType, legacySaltIsNull: Bool)
    {
        self.serial = serial
        self.id = id
        self.groupName = groupName
        self.passPercentage = passPercentage
        hashPrefixBytes = ownedCopy(hashPrefix)
        self.unitID = unitID
        unitIDRef = Unmanaged.passUnretained(unitID)
        self.conditions = conditions
        self.returnValue = returnValue
        returnBool = returnValue != .bool(false)
        self.isExperimentGroup = isExperimentGroup
        self.configDelegate = configDelegate
        self.configDelegateIndex = configDelegateIndex
        self.samplingRate = samplingRate
        self.legacyUnitID = legacyUnitID
        legacyUnitIDRef = Unmanaged.passUnretained(legacyUnitID)
        self.legacySaltIsNull = legacySaltIsNull
        conditionRefs = conditions.map { Unmanaged.passUnretained($0) }
    }

    deinit { hashPrefixBytes.deallocate() }
}

/// A copy of `bytes` in memory of its own (the owner deallocates it).
func ownedCopy(_ bytes: [UInt8]) -> UnsafeBufferPointer<UInt8> {
    let p = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
    _ = p.initialize(from: bytes)
    return UnsafeBufferPointer(rebasing: p[0..<bytes.count])
}

/// An ID type as the unit ID lookups need it.
final class IDType: Sendable {
    /// This ID type's slot in its `CoreFieldTable` (the per-user unit ID cache), or -1 (not cached).
    let slot: Int
    let name: String
    let lowercased: String
    let isUserID: Bool

    init(_ name: String, slot: Int = -1) {
        self.slot = slot
        self.name = name
        lowercased = rustLowercase(name)
        isUserID = lowercased == "userid"
    }
}

/// A user field reference, resolved once.
final class FieldRef: Sendable {
    /// This name's slot in its `CoreFieldTable` (the per-user lookup cache).
    let slot: Int
    let name: String
    let lowercased: String
    /// The top-level user field this name selects (`userid`, `email`, ...), if any.
    let topLevel: UserField?
    /// The snake-case alias (`user_id`, `app_version`, `user_agent`), if this name is one.
    let alias: UserField?

    init(_ name: String, slot: Int) {
        self.slot = slot
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

    /// The fields the evaluator itself reads (the user agent to parse, the IP to locate): slots 0 and 1 of every table.
    static let userAgent = FieldRef("userAgent", slot: 0)
    static let ip = FieldRef("ip", slot: 1)
}

/// The user field names the conditions of one or more payloads read, numbered: a prepared user caches each name's
/// value by its slot. Shared by the payloads of a history (through `TargetValueCache`), so that a user prepared once
/// keeps its cache across snapshots. Built while compiling, one payload after the other.
public final class CoreFieldTable: @unchecked Sendable {
    private var byName: [ExactString: FieldRef] = [ExactString("userAgent"): .userAgent, ExactString("ip"): .ip]
    /// How many slots are numbered.
    private(set) var count = 2
    /// Unique in the process (from 1): what a prepared user's cache remembers it by.
    let serial: UInt64

    private static let serials = Atomic<UInt64>(0)

    public init() {
        serial = CoreFieldTable.serials.wrappingAdd(1, ordering: .relaxed).newValue
    }

    func field(_ name: String) -> FieldRef {
        if let f = byName[ExactString(name)] { return f }
        let f = FieldRef(name, slot: count)
        count += 1
        byName[ExactString(name)] = f
        return f
    }

    private var idTypes: [ExactString: IDType] = [:]
    /// How many ID type slots are numbered.
    private(set) var idTypeCount = 0

    func idType(_ name: String) -> IDType {
        if let t = idTypes[ExactString(name)] { return t }
        let t = IDType(name, slot: idTypeCount)
        idTypeCount += 1
        idTypes[ExactString(name)] = t
        return t
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

/// One condition, flattened for the hot path: the walk switches on `tag` and reads plain stored fields through an
/// unretained reference (no enum payload to copy, no reference counting per condition).
final class CompiledCondition: @unchecked Sendable {
    enum Tag: UInt8, Sendable {
        case pass
        case nestedGate
        /// An unknown type, a missing operator, an unknown operator, or a `condition_map` key with no entry.
        case unsupported
        case compare
    }

    /// Where a comparison reads its user-side value.
    enum Source: UInt8, Sendable {
        case none
        case userField, userAgent, ipCountry, environment, currentTime, userBucket, targetApp, unitID, experimentGroup
    }

    let tag: Tag
    let sourceKind: Source
    let op: Operator
    /// The user field a `user_field` / `ua_based` / `ip_based` / `environment_field` condition reads.
    let field: FieldRef?
    /// `user_bucket` and `unit_id`: the unit ID's type.
    let idType: IDType?
    /// `field` and `idType` unretained (kept alive by them; shared by every thread, so not retained per evaluation).
    let fieldRef: Unmanaged<FieldRef>?
    let idTypeRef: Unmanaged<IDType>?
    /// `user_bucket`: UTF-8 of `"<salt>."`, in memory of its own (freed with the condition).
    let saltPrefixBytes: UnsafeBufferPointer<UInt8>
    let target: TargetValue?
    /// `target` unretained (kept alive by `target`).
    let targetRef: Unmanaged<TargetValue>?
    /// `pass_gate` / `fail_gate`: the gate's name, its index (`-1`: the payload has no such gate), and `fail_gate`.
    let gateName: String
    let gateIndex: Int
    let negate: Bool
    /// A nested gate condition's number in its payload (for per-thread copies of `gateName`, `LocalCopies`).
    let gateSerial: Int
    /// `!gateName.isEmpty` (an unnamed gate is not memoised), `gateName.hasPrefix("segment:")` (no exposure).
    let gateNamed: Bool
    let gateIsSegment: Bool
    /// `experiment_group`: the experiment's name and index.
    let experimentName: String?
    let experimentIndex: Int?
    let unsupportedReason: String
    let source: Condition?
    /// The same condition as the legacy SDK evaluates it (nil for a `condition_map` key with no entry).
    let legacy: LegacyCondition?
    /// `legacy` unretained, for the hot path (`legacy` keeps it alive).
    let legacyRef: Unmanaged<LegacyCondition>?

    init(tag: Tag, source: Condition?, sourceKind: Source = .none, op: Operator = .eq, field: FieldRef? = nil, idType: IDType? = nil,
         saltPrefix: [UInt8] = [], target: TargetValue? = nil, gateName: String = "", gateIndex: Int = -1, gateSerial: Int = -1,
         negate: Bool = false, experimentName: String? = nil, experimentIndex: Int? = nil, unsupportedReason: String = "",
         legacy: LegacyCondition? = nil)
    {
        self.gateSerial = gateSerial
        self.tag = tag
        self.source = source
        self.sourceKind = sourceKind
        self.op = op
        self.field = field
        self.idType = idType
        fieldRef = field.map { Unmanaged.passUnretained($0) }
        idTypeRef = idType.map { Unmanaged.passUnretained($0) }
        saltPrefixBytes = ownedCopy(saltPrefix)
        self.target = target
        targetRef = target.map { Unmanaged.passUnretained($0) }
        self.gateName = gateName
        gateNamed = !gateName.isEmpty
        gateIsSegment = gateName.hasPrefix("segment:")
        self.gateIndex = gateIndex
        self.negate = negate
        self.experimentName = experimentName
        self.experimentIndex = experimentIndex
        self.unsupportedReason = unsupportedReason
        self.legacy = legacy
        legacyRef = legacy.map { Unmanaged.passUnretained($0) }
    }

    deinit { saltPrefixBytes.deallocate() }

    /// The same core condition with its legacy view attached.
    func with(legacy: LegacyCondition) -> CompiledCondition {
        CompiledCondition(tag: tag, source: source, sourceKind: sourceKind, op: op, field: field, idType: idType,
                          saltPrefix: Array(saltPrefixBytes),
                          target: target, gateName: gateName, gateIndex: gateIndex, gateSerial: gateSerial, negate: negate,
                          experimentName: experimentName, experimentIndex: experimentIndex, unsupportedReason: unsupportedReason,
                          legacy: legacy)
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
    /// The user field names of the payloads compiled with this cache.
    let fields = CoreFieldTable()
    private var entries: [JSONValue: (uses: [TargetValue.Use: TargetValue], generation: Int)] = [:]
    /// Counts the payloads compiled (`endPayload`): an entry remembers the last one that looked it up.
    private var generation = 0

    public init() {}

    func target(_ json: JSONValue, for use: TargetValue.Use) -> TargetValue {
        if let t = entries[json]?.uses[use] {
            entries[json]!.generation = generation
            return t
        }
        let t = TargetValue(core: json, use: use)
        entries[json, default: ([:], generation)].uses[use] = t
        entries[json]!.generation = generation
        return t
    }

    /// Ends a payload's compilation and forgets the targets none of the last `keep` payloads looked up, so that a
    /// long history holds the targets in use, not every target it ever had (a payload keeps its own alive).
    public func endPayload(keep: Int) {
        generation += 1
        if entries.count > 0 { entries = entries.filter { $0.value.generation > generation - keep } }
    }

    /// How many distinct target values are remembered.
    public var count: Int { entries.count }
}

struct Compiler {
    var targets: TargetValueCache? = nil
    var includesLegacy = true
    var fields = CoreFieldTable()
    let gateIndex: [String: Int]
    let configIndex: [String: Int]
    var usesUserAgent = false
    var usesCountry = false
    /// Numbering of specs, rules and nested gate conditions (see `LocalCopies`).
    var specCount = 0
    var ruleCount = 0
    var gateConditionCount = 0
    var legacyLoadFailed = false
    let legacyFields = LegacyFieldTable()

    mutating func compile(_ spec: Spec) -> CompiledSpec {
        var legacyDropped = false
        let rules = spec.rules.map { rule -> CompiledRule in
            let ruleSalt = rule.salt ?? rule.id
            let conditions = rule.conditions.map { compile($0) }
            for c in conditions {
                guard let l = c.legacy else { legacyDropped = true; continue }
                if l.unsupported { legacyDropped = true }
                if l.loadFailed { legacyLoadFailed = true }
            }
            ruleCount += 1
            return CompiledRule(
                serial: ruleCount - 1,
                id: rule.id,
                groupName: rule.groupName,
                passPercentage: rule.passPercentage,
                hashPrefix: Array("\(spec.salt).\(ruleSalt).".utf8),
                unitID: fields.idType(rule.idType),
                conditions: conditions,
                returnValue: rule.returnValue,
                isExperimentGroup: rule.isExperimentGroup,
                configDelegate: rule.configDelegate,
                configDelegateIndex: rule.configDelegate.flatMap { configIndex[$0] },
                samplingRate: rule.samplingRate,
                legacyUnitID: legacyFields.idType(rule.idType),
                legacySaltIsNull: rule.raw["salt"] == .null)
        }
        specCount += 1
        return CompiledSpec(source: spec, rules: rules, legacyDropped: legacyDropped, serial: specCount - 1)
    }

    mutating func compile(_ ref: RuleCondition) -> CompiledCondition {
        let core = compileCore(ref)
        guard includesLegacy, case .condition(let c) = ref else { return core }
        return core.with(legacy: LegacyCondition(c, gateIndex: gateIndex, fields: legacyFields))
    }

    mutating func compileCore(_ ref: RuleCondition) -> CompiledCondition {
        guard case .condition(let c) = ref else {
            if case .missing(let key) = ref {
                return CompiledCondition(tag: .unsupported, source: nil, unsupportedReason: "condition \(key) is not in condition_map")
            }
            fatalError("unreachable")
        }
        let field = c.field.map { fields.field($0) }
        var idType: IDType? = nil
        var saltPrefix: [UInt8] = []
        var experimentIndex: Int? = nil
        let source: CompiledCondition.Source
        switch c.type {
        case "public":
            return CompiledCondition(tag: .pass, source: c)
        case "pass_gate", "fail_gate":
            let name = c.targetValue.stringValue ?? ""
            gateConditionCount += 1
            return CompiledCondition(tag: .nestedGate, source: c, gateName: name, gateIndex: gateIndex[name] ?? -1,
                                     gateSerial: gateConditionCount - 1, negate: c.type == "fail_gate")
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
            let salt = c.additionalValues?["salt"]?.stringValue ?? ""
            source = .userBucket
            saltPrefix = Array("\(salt).".utf8)
            idType = fields.idType(c.idType)
        case "target_app": source = .targetApp
        case "unit_id":
            source = .unitID
            idType = fields.idType(c.idType)
        case "experiment_group":
            source = .experimentGroup
            experimentIndex = c.field.flatMap { configIndex[$0] }
        default:
            return CompiledCondition(tag: .unsupported, source: c, unsupportedReason: "unknown condition type \"\(c.type)\"")
        }
        guard let opName = c.operator else {
            return CompiledCondition(tag: .unsupported, source: c, unsupportedReason: "condition type \"\(c.type)\" without an operator")
        }
        guard let op = Operator(rawValue: opName) else {
            return CompiledCondition(tag: .unsupported, source: c, unsupportedReason: "unknown operator \"\(opName)\"")
        }
        let use = TargetValue.Use(op)
        let target = targets?.target(c.targetValue, for: use) ?? TargetValue(core: c.targetValue, use: use)
        return CompiledCondition(tag: .compare, source: c, sourceKind: source, op: op, field: field, idType: idType, saltPrefix: saltPrefix,
                                 target: target, experimentName: c.field, experimentIndex: experimentIndex)
    }
}
