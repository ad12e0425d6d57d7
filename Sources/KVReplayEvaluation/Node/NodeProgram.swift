import KVReplayModel
import Synchronization

/// A payload as statsig-node 6.5.1's `SpecStore` holds it (`ConfigSpec`, `ConfigRule`, `ConfigCondition`), compiled
/// for the walk: specs by name per collection (a later spec of the same name replaces an earlier one, as
/// `updatedGates[gate.name] = gate` does) and numbered, nested gates and delegates resolved to those numbers, condition
/// types and operators lower-cased where the evaluator lower-cases them, every target converted once (numbers, version
/// parts, dates, regexes, the `any`/`none` sets exactly when the SDK builds them, byte lists for the string operators),
/// and every user field, unit ID type and environment read numbered by slot (the per-user caches of `NodeUser`).
/// Immutable; built once per payload (`CompiledPayload.nodeProgram`). (`@unchecked Sendable`: its buffers are written
/// only while it is built, as those of its specs, rules and conditions.)
final class NodeProgram: @unchecked Sendable {
    let gates: [NodeSpec]
    let configs: [NodeSpec]
    let layers: [NodeSpec]
    /// `gates` and `configs` unretained (the arrays keep them alive), for the walk; in memory of their own, read
    /// without touching a shared reference count (as every table the walk reads: see `ownedBuffer`).
    let gateRefs: UnsafeBufferPointer<Unmanaged<NodeSpec>>
    let configRefs: UnsafeBufferPointer<Unmanaged<NodeSpec>>
    private let gateIndex: [JS.Key: Int]
    private let configIndex: [JS.Key: Int]
    private let layerIndex: [JS.Key: Int]
    /// For gate `i` of the payload (`CompiledPayload.gates`, the payload's order), the node gate its name selects.
    let payloadGates: UnsafeBufferPointer<Int>
    /// `store.getPrimaryTargetAppID()`: the payload's `app_id` (what `target_app` reads without a client key).
    let appID: JSONValue?
    /// The payload's `default_environment` (`_normalizeUser`'s `{tier: ...}` when the SDK has no `environment`).
    let defaultEnvironment: String?
    /// How many user field, unit ID and environment-dependent reads are numbered (the sizes of the caches).
    let fieldSlots: Int
    let unitSlots: Int
    let environmentSlots: Int
    /// How many hash inputs (rules' pass percentages, `user_bucket` conditions) are numbered: a user caches each
    /// bucket (statsig-node evaluates nested gates again each time they are reached).
    let hashSlots: Int
    /// How many conditions with a costly operator (ID lists, `array_contains_*`, `str_matches`, dates) are numbered:
    /// a walk caches their answers for its user.
    let answerSlots: Int
    /// Unique in the process: what a user's cache remembers the program by.
    let serial: UInt64

    private static let serials = Atomic<UInt64>(0)

    init(_ specs: ConfigSpecs) {
        func unique(_ list: [Spec]) -> (specs: [Spec], index: [JS.Key: Int]) {
            var index: [JS.Key: Int] = [:]
            var out: [Spec] = []
            for s in list {
                if let i = index[JS.Key(s.name)] { out[i] = s } else {
                    index[JS.Key(s.name)] = out.count
                    out.append(s)
                }
            }
            return (out, index)
        }
        let g = unique(specs.featureGates), c = unique(specs.dynamicConfigs), l = unique(specs.layerConfigs)
        var builder = NodeProgramBuilder(gates: g.specs, gateIndex: g.index, configs: c.specs, configIndex: c.index)
        gates = g.specs.map { builder.spec($0) }
        configs = c.specs.map { builder.spec($0) }
        layers = l.specs.map { builder.spec($0) }
        gateRefs = ownedBuffer(gates.map { Unmanaged.passUnretained($0) })
        configRefs = ownedBuffer(configs.map { Unmanaged.passUnretained($0) })
        gateIndex = g.index
        configIndex = c.index
        layerIndex = l.index
        payloadGates = ownedBuffer(specs.featureGates.map { g.index[JS.Key($0.name)]! })
        appID = specs.appID
        defaultEnvironment = specs.defaultEnvironment
        fieldSlots = builder.fields.count
        unitSlots = builder.units.count
        environmentSlots = builder.environmentReads.count
        hashSlots = builder.hashSlots
        answerSlots = builder.answerSlots
        serial = NodeProgram.serials.wrappingAdd(1, ordering: .relaxed).newValue
    }

    deinit {
        gateRefs.deallocate()
        configRefs.deallocate()
        payloadGates.deallocate()
    }

    func spec(_ ref: EntityRef) -> NodeSpec? {
        switch ref.kind {
        case .gate: gate(ref.name)
        case .config, .experiment: configIndex[JS.Key(ref.name)].map { configs[$0] }
        case .layer: layerIndex[JS.Key(ref.name)].map { layers[$0] }
        }
    }

    func gate(_ name: String) -> NodeSpec? {
        gateIndex[JS.Key(name)].map { gates[$0] }
    }
}

/// Numbers slots and resolves names while a `NodeProgram` is built.
struct NodeProgramBuilder {
    let gateIndex: [JS.Key: Int]
    let configIndex: [JS.Key: Int]
    var fields: [JS.Key: Int] = [:]
    var units: [JS.Key: Int] = [:]
    var environmentReads: [JS.Key: Int] = [:]
    private(set) var hashSlots = 0
    private(set) var answerSlots = 0
    /// Whether evaluating gate `i` can end the whole evaluation early, whatever it is nested in (`AbortSearch`).
    let gateAborts: [Bool]

    init(gates: [Spec], gateIndex: [JS.Key: Int], configs: [Spec], configIndex: [JS.Key: Int]) {
        self.gateIndex = gateIndex
        self.configIndex = configIndex
        var search = AbortSearch(gates: gates, configs: configs, gateIndex: gateIndex, configIndex: configIndex)
        gateAborts = search.run()
    }

    mutating func spec(_ s: Spec) -> NodeSpec {
        NodeSpec(s, rules: s.rules.map { rule($0, spec: s) })
    }

    mutating func rule(_ r: Rule, spec: Spec) -> NodeRule {
        NodeRule(r, specSalt: spec.salt, conditions: r.conditions.map { condition($0) }, unitSlot: unitSlot(r.idType), hashSlot: hashSlot(),
                 delegateIndex: r.configDelegate.flatMap { configIndex[JS.Key($0)] } ?? -1)
    }

    mutating func condition(_ rc: RuleCondition) -> NodeCondition {
        NodeCondition(rc, builder: &self)
    }

    mutating func fieldSlot(_ name: String) -> Int { slot(&fields, name) }
    mutating func unitSlot(_ idType: String) -> Int { slot(&units, idType) }
    mutating func environmentSlot(_ key: String) -> Int { slot(&environmentReads, key) }

    mutating func hashSlot() -> Int {
        hashSlots += 1
        return hashSlots - 1
    }

    mutating func answerSlot() -> Int {
        answerSlots += 1
        return answerSlots - 1
    }

    private func slot(_ table: inout [JS.Key: Int], _ name: String) -> Int {
        if let s = table[JS.Key(name)] { return s }
        table[JS.Key(name)] = table.count
        return table.count - 1
    }
}

/// Which specs can end an evaluation early: reach an unsupported condition (the whole evaluation is then
/// `unsupported`) or throw (a condition without a type, gates nested past the call stack). A gate check may skip the
/// rest of a rule once a condition failed, but only the conditions that cannot do either (see `NodeWalk.evalRule`).
/// Gates and configs reached in a cycle, or in chains over `AbortSearch.deep` specs, count as aborting.
private struct AbortSearch {
    let gates: [Spec]
    let configs: [Spec]
    let gateIndex: [JS.Key: Int]
    let configIndex: [JS.Key: Int]
    private enum State { case unvisited, visiting, done(Bool) }
    private var gateState: [State]
    private var configState: [State]
    private var tooDeep = false
    static let deep = 400

    init(gates: [Spec], configs: [Spec], gateIndex: [JS.Key: Int], configIndex: [JS.Key: Int]) {
        self.gates = gates
        self.configs = configs
        self.gateIndex = gateIndex
        self.configIndex = configIndex
        gateState = Array(repeating: .unvisited, count: gates.count)
        configState = Array(repeating: .unvisited, count: configs.count)
    }

    /// Whether each gate can abort.
    mutating func run() -> [Bool] {
        let g = gates.indices.map { visit(gate: true, $0, depth: 0) }
        // A chain that deep may overflow statsig-node's stack somewhere: trust no gate to finish.
        return tooDeep ? g.map { _ in true } : g
    }

    private mutating func visit(gate: Bool, _ i: Int, depth: Int) -> Bool {
        switch gate ? gateState[i] : configState[i] {
        case .done(let aborts): return aborts
        case .visiting: return true
        case .unvisited: break
        }
        if depth > AbortSearch.deep {
            tooDeep = true
            return true
        }
        if gate { gateState[i] = .visiting } else { configState[i] = .visiting }
        var aborts = false
        let spec = gate ? gates[i] : configs[i]
        for rule in spec.rules {
            for rc in rule.conditions {
                if NodeCondition.abortsItself(rc) { aborts = true }
                for name in NodeCondition.nestedGateNames(rc) {
                    if let g = gateIndex[JS.Key(name)], visit(gate: true, g, depth: depth + 1) { aborts = true }
                }
            }
            if let d = rule.configDelegate.flatMap({ configIndex[JS.Key($0)] }), visit(gate: false, d, depth: depth + 1) { aborts = true }
        }
        if gate { gateState[i] = .done(aborts) } else { configState[i] = .done(aborts) }
        return aborts
    }
}

final class NodeSpec: @unchecked Sendable {
    let name: String
    let salt: String
    let enabled: Bool
    let defaultValue: JSONValue
    let idType: String
    let rules: [NodeRule]
    /// `rules` unretained (the array keeps them alive), for the walk.
    let ruleRefs: UnsafeBufferPointer<Unmanaged<NodeRule>>
    let explicitParameters: [String]?
    let version: Int64?
    let isActive: Bool?

    init(_ s: Spec, rules: [NodeRule]) {
        name = s.name
        salt = s.salt
        enabled = s.enabled
        defaultValue = JS.normalized(s.defaultValue)
        idType = s.idType
        self.rules = rules
        ruleRefs = ownedBuffer(rules.map { Unmanaged.passUnretained($0) })
        explicitParameters = s.explicitParameters
        version = s.version
        isActive = s.isActive
    }

    deinit { ruleRefs.deallocate() }
}

final class NodeRule: @unchecked Sendable {
    let id: String
    /// `config.salt + '.' + (rule.salt ?? rule.id) + '.'` as UTF-8: the pass-percentage hash input before the unit
    /// ID. In memory of its own (freed with the rule): read without touching a shared reference count.
    let hashPrefix: UnsafeBufferPointer<UInt8>
    let passPercentage: Double
    let conditions: [NodeCondition]
    /// `conditions` unretained (the array keeps them alive), for the walk.
    let conditionRefs: UnsafeBufferPointer<Unmanaged<NodeCondition>>
    let returnValue: JSONValue
    let idType: String
    /// `idType`'s slot in the users' unit ID caches, and the pass-percentage hash's in their bucket caches.
    let unitSlot: Int
    let hashSlot: Int
    let groupName: String?
    let isExperimentGroup: Bool
    let configDelegate: String?
    /// The config `configDelegate` names (-1: none, or no such config).
    let delegateIndex: Int

    init(_ r: Rule, specSalt: String, conditions: [NodeCondition], unitSlot: Int, hashSlot: Int, delegateIndex: Int) {
        id = r.id
        hashPrefix = ownedCopy(Array((specSalt + "." + (r.salt ?? r.id) + ".").utf8))
        passPercentage = r.passPercentage
        self.conditions = conditions
        conditionRefs = ownedBuffer(conditions.map { Unmanaged.passUnretained($0) })
        returnValue = JS.normalized(r.returnValue)
        idType = r.idType
        self.unitSlot = unitSlot
        self.hashSlot = hashSlot
        groupName = r.groupName
        isExperimentGroup = r.isExperimentGroup ?? false
        configDelegate = r.configDelegate
        self.delegateIndex = delegateIndex
    }

    deinit {
        hashPrefix.deallocate()
        conditionRefs.deallocate()
    }
}

final class NodeCondition: @unchecked Sendable {
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

    /// Where `getFromUser` finds a `user_field` / `ua_based` / `ip_based` field: in the user alone (cached per user
    /// by `slot`), or, for the member `statsigEnvironment`, in the environment the evaluator gives the user (cached
    /// per walk by `slot`).
    enum Read: UInt8, Sendable { case none, user, environment }

    let source: Source
    let op: Op
    let type: String
    let operatorText: String?
    let field: String?
    /// `field.toLowerCase()`.
    let fieldLower: String?
    let read: Read
    /// The field's slot (`read`), the `environment_field` key's environment slot, or -1.
    let slot: Int
    /// `idType`'s slot in the users' unit ID caches (`user_bucket`, `unit_id`), or -1.
    let unitSlot: Int
    /// `user_bucket`: the hash's slot in the users' bucket caches, or -1.
    let hashSlot: Int
    /// `field === 'country'` (`ip_based` then falls back to the IP's country).
    let isCountry: Bool
    /// `additionalValues.salt + '.'` as UTF-8 (`user_bucket`), in memory of its own (freed with the condition).
    let bucketPrefix: UnsafeBufferPointer<UInt8>
    /// `targetValue` as the payload holds it; nil when the key is absent (`undefined`).
    let target: JSONValue?
    /// `target == null`.
    let targetNullish: Bool
    /// `Number(target)` (`gt`...).
    let targetNumber: Double
    /// A string target's `versionCompare` parts (nil: not a string, or nothing before the `-`), in memory of its own.
    let targetVersion: UnsafeBufferPointer<Double>?
    /// `additionalValues.salt` (nil: `undefined`).
    let bucketSalt: JSONValue?
    let idType: String?
    /// `any`/`none` and their case-sensitive forms: the strings a value's `String()` (and, `probesLower`, its lower
    /// case) is looked up in, nil when the target is not an array (the operator is then false, its negation true).
    /// Spelled exactly `any`/`none`, the SDK's `targetValueSet` built at load (each element's `String()` and its lower
    /// case; `any_case_sensitive`/`none_case_sensitive`: the `String()`s). Spelled otherwise (`ANY`), `arrayAny`
    /// element by element: `null` elements skipped, a `null`/`undefined` value matches nothing (`nullishFails`).
    let targetSet: ByteStringSet?
    let targetSetRef: Unmanaged<ByteStringSet>?
    let probesExact: Bool
    let probesLower: Bool
    let nullishFails: Bool
    /// `str_starts_with_any` / `str_ends_with_any` / `str_contains_any` / `str_contains_none`: the lower-cased
    /// `String()` of each non-null element of an array target (nil: not an array).
    let targetStrings: ByteStringList?
    let targetStringsRef: Unmanaged<ByteStringList>?
    /// `array_contains_*`: for each element of an array target, its identity and that of its `parseInt` (nil when it
    /// has none: an object, or NaN); nil when the target is not an array.
    let targetMembers: [(JS.Primitive?, JS.Primitive?)]?
    /// `in_segment_list` / `not_in_segment_list`: `String(target)`, the list's name.
    let listName: String
    /// The condition's slot in a walk's cache of answers, for the operators that cost more than a comparison (ID lists,
    /// `array_contains_*`, `str_matches`, `before`/`after`/`on`); -1 for the others.
    let answerSlot: Int
    /// `pass_gate` / `fail_gate`: the gate's name and number (-1: no such gate). `multi_*_gate`: each listed gate's
    /// (nil: the target is not an array).
    let gateName: String
    let gateIndex: Int
    let multiGates: [(name: String, index: Int)]?
    /// The `str_matches` pattern compiled on ICU (nil: a JS SyntaxError, always false), and unretained.
    let regex: BoundedRegex?
    let regexRef: Unmanaged<BoundedRegex>?
    /// `current_time`, `before`/`after`/`on`: the target's time, computed once (NaN when it is not a date).
    let targetDate: Double
    /// Evaluating this condition can end the evaluation early (it is unsupported, throws, or a nested gate can).
    let mayAbort: Bool
    let raw: Condition?

    init(_ rc: RuleCondition, builder: inout NodeProgramBuilder) {
        mayAbort = NodeCondition.aborts(rc, gateIndex: builder.gateIndex, gateAborts: builder.gateAborts)
        guard case .condition(let c) = rc else {
            source = .throwsTypeError
            op = .unsupported
            type = ""
            operatorText = nil
            field = nil
            fieldLower = nil
            read = .none
            slot = -1
            unitSlot = -1
            hashSlot = -1
            isCountry = false
            bucketPrefix = ownedCopy([])
            target = nil
            targetNullish = true
            targetNumber = .nan
            targetVersion = nil
            bucketSalt = nil
            idType = nil
            targetSet = nil
            targetSetRef = nil
            probesExact = false
            probesLower = false
            nullishFails = false
            targetStrings = nil
            targetStringsRef = nil
            targetMembers = nil
            listName = ""
            answerSlot = -1
            gateName = ""
            gateIndex = -1
            multiGates = nil
            regex = nil
            regexRef = nil
            targetDate = .nan
            raw = nil
            return
        }
        raw = c
        type = c.type
        operatorText = c.operator
        field = c.field
        fieldLower = c.field.map(JS.lower)
        let target = JS.property(c.raw, "targetValue")
        self.target = target
        targetNullish = target == nil || target!.isNull
        targetNumber = targetNullish ? .nan : JS.number(target)
        if case .string(let s)? = target, let parts = NodeValue.versionParts(s) {
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, parts.count))
            _ = buffer.initialize(from: parts)
            targetVersion = UnsafeBufferPointer(rebasing: buffer[0..<parts.count])
        } else {
            targetVersion = nil
        }
        idType = c.idType
        bucketSalt = c.additionalValues.flatMap { JS.property($0, "salt") }
        bucketPrefix = ownedCopy(Array(((bucketSalt.map { JS.string($0) } ?? "undefined") + ".").utf8))
        source = NodeCondition.source(c.type)
        let op = NodeCondition.op(c.operator)
        self.op = op

        var read = Read.none, slot = -1, unitSlot = -1, hashSlot = -1
        switch source {
        case .ipBased, .uaBased, .userField:
            if let f = c.field {
                if JS.same(f, "statsigEnvironment") {
                    read = .environment
                    slot = builder.environmentSlot("member:" + f)
                } else {
                    read = .user
                    slot = builder.fieldSlot(f)
                }
            }
        case .environment:
            if let f = c.field { slot = builder.environmentSlot("key:" + f) }
        case .userBucket:
            unitSlot = builder.unitSlot(c.idType)
            hashSlot = builder.hashSlot()
        case .unitID:
            unitSlot = builder.unitSlot(c.idType)
        default:
            break
        }
        self.read = read
        self.slot = slot
        self.unitSlot = unitSlot
        self.hashSlot = hashSlot
        isCountry = c.field.map { JS.same($0, "country") } ?? false

        let items = target?.arrayValue
        var set: ByteStringSet? = nil
        var exact = false, lower = false, nullish = false
        if let items {
            switch op {
            case .any, .none:
                if c.operator == "any" || c.operator == "none" {
                    set = ByteStringSet(items.flatMap { v -> [String] in
                        let s = JS.string(v)
                        return [s, JS.lower(s)]
                    })
                    (exact, lower) = (true, true)
                } else {
                    set = ByteStringSet(items.filter { !$0.isNull }.map { JS.lower(JS.string($0)) })
                    (lower, nullish) = (true, true)
                }
            case .anyCaseSensitive, .noneCaseSensitive:
                if c.operator == "any_case_sensitive" || c.operator == "none_case_sensitive" {
                    set = ByteStringSet(items.map { JS.string($0) })
                    exact = true
                } else {
                    set = ByteStringSet(items.filter { !$0.isNull }.map { JS.string($0) })
                    (exact, nullish) = (true, true)
                }
            default:
                break
            }
        }
        targetSet = set
        targetSetRef = set.map { Unmanaged.passUnretained($0) }
        probesExact = exact
        probesLower = lower
        nullishFails = nullish
        switch op {
        case .startsWith, .endsWith, .contains, .containsNone:
            targetStrings = items.map { ByteStringList($0.filter { !$0.isNull }.map { JS.lower(JS.string($0)) }) }
        default:
            targetStrings = nil
        }
        targetStringsRef = targetStrings.map { Unmanaged.passUnretained($0) }
        switch op {
        case .arrayContainsAny, .arrayContainsNone, .arrayContainsAll, .notArrayContainsAll:
            targetMembers = items?.map { t in
                let n = JS.parseInt(t)
                return (JS.Primitive(t), n.isNaN ? nil : JS.Primitive(number: n))
            }
        default:
            targetMembers = nil
        }
        listName = target.map { JS.string($0) } ?? "undefined"
        switch op {
        case .inList, .notInList, .arrayContainsAny, .arrayContainsNone, .arrayContainsAll, .notArrayContainsAll, .matches, .before, .after, .on:
            answerSlot = builder.answerSlot()
        default:
            answerSlot = -1
        }

        switch source {
        case .gate:
            let name = NodeCondition.gateName(target)
            gateName = name
            gateIndex = builder.gateIndex[JS.Key(name)] ?? -1
            multiGates = nil
        case .multiGate:
            gateName = ""
            gateIndex = -1
            multiGates = items?.map { n in
                let name = JS.string(n)
                return (name, builder.gateIndex[JS.Key(name)] ?? -1)
            }
        default:
            gateName = ""
            gateIndex = -1
            multiGates = nil
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
        regexRef = regex.map { Unmanaged.passUnretained($0) }
        targetDate = (op == .before || op == .after || op == .on) ? NodeDates.time(target) : .nan
    }

    deinit {
        bucketPrefix.deallocate()
        targetVersion?.deallocate()
    }

    static func source(_ type: String) -> Source {
        switch JS.lower(type) {
        case "public": .pass
        case "pass_gate": .gate(negate: false)
        case "fail_gate": .gate(negate: true)
        case "multi_pass_gate", "multi_fail_gate": .multiGate(typeIsMultiPass: type == "multi_pass_gate")
        case "ip_based": .ipBased
        case "ua_based": .uaBased
        case "user_field": .userField
        case "environment_field": .environment
        case "current_time": .currentTime
        case "user_bucket": .userBucket
        case "unit_id": .unitID
        case "target_app": .targetApp
        default: .unsupported
        }
    }

    static func op(_ text: String?) -> Op {
        switch text.map(JS.lower) {
        case "gt": .gt
        case "gte": .gte
        case "lt": .lt
        case "lte": .lte
        case "version_gt": .versionGT
        case "version_gte": .versionGTE
        case "version_lt": .versionLT
        case "version_lte": .versionLTE
        case "version_eq": .versionEQ
        case "version_neq": .versionNEQ
        case "any": .any
        case "none": .none
        case "any_case_sensitive": .anyCaseSensitive
        case "none_case_sensitive": .noneCaseSensitive
        case "str_starts_with_any": .startsWith
        case "str_ends_with_any": .endsWith
        case "str_contains_any": .contains
        case "str_contains_none": .containsNone
        case "str_matches": .matches
        case "eq": .eq
        case "neq": .neq
        case "before": .before
        case "after": .after
        case "on": .on
        case "in_segment_list": .inList
        case "not_in_segment_list": .notInList
        case "array_contains_any": .arrayContainsAny
        case "array_contains_none": .arrayContainsNone
        case "array_contains_all": .arrayContainsAll
        case "not_array_contains_all": .notArrayContainsAll
        default: .unsupported
        }
    }

    /// A `pass_gate` / `fail_gate` target as the gate's name (`String()` of anything but a string).
    static func gateName(_ target: JSONValue?) -> String {
        if case .string(let s)? = target { return s }
        return target.map { JS.string($0) } ?? "undefined"
    }

    /// The gates a condition evaluates (none for other types).
    static func nestedGateNames(_ rc: RuleCondition) -> [String] {
        guard case .condition(let c) = rc else { return [] }
        let target = JS.property(c.raw, "targetValue")
        switch source(c.type) {
        case .gate: return [gateName(target)]
        case .multiGate: return target?.arrayValue?.map { JS.string($0) } ?? []
        default: return []
        }
    }

    /// Whether the condition itself (not a gate it nests) makes the evaluation unsupported or throws.
    static func abortsItself(_ rc: RuleCondition) -> Bool {
        guard case .condition(let c) = rc else { return true }
        switch source(c.type) {
        case .throwsTypeError, .unsupported: return true
        case .pass, .gate: return false
        case .multiGate: return JS.property(c.raw, "targetValue")?.arrayValue == nil
        default: return op(c.operator) == .unsupported
        }
    }

    static func aborts(_ rc: RuleCondition, gateIndex: [JS.Key: Int], gateAborts: [Bool]) -> Bool {
        abortsItself(rc) || nestedGateNames(rc).contains { gateIndex[JS.Key($0)].map { gateAborts[$0] } ?? false }
    }
}

/// A copy of `elements` in memory of its own, which its owner deallocates (the walk reads the program's tables through
/// these, so that no evaluation writes a reference count of the shared program; elements are plain values or
/// unretained references).
func ownedBuffer<T>(_ elements: [T]) -> UnsafeBufferPointer<T> {
    let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, elements.count))
    _ = p.initialize(from: elements)
    return UnsafeBufferPointer(rebasing: p[0..<elements.count])
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
