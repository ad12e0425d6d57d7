public import KVReplayModel

/// The mutable state of one evaluation (the core SDK's `EvaluatorContext` + `EvaluatorResult`).
/// Reuse one per thread: `reset()` keeps its buffers.
public final class EvaluationContext {
    var bool = false
    var unsupported = false
    var unsupportedReason: String?
    var isExperimentGroup = false
    var isExperimentActive = false
    var isInLayer = false
    var idType: String?
    /// The result's value, rule ID and group, held as references to the compiled rule or spec they come from (no
    /// reference counting on the hot path); `json`, `ruleID` and `groupName` read and write them as values.
    var value = ResultValue.none
    var ruleRef: Unmanaged<CompiledRule>?
    var ruleText: String?
    var groupRef: Unmanaged<CompiledRule>?
    var groupText: String?
    /// `explicitParameters` and `configDelegate`, held like the value (see `value`).
    var explicitRef: Unmanaged<CompiledSpec>?
    var explicitOwned: [String]?
    var delegateRef: Unmanaged<CompiledRule>?
    var delegateOwned: String?
    var secondary: [SecondaryExposure] = []
    var undelegated: [SecondaryExposure]?
    var version: Int64?
    var samplingRate: Int64?
    var nested = 0
    var usedIDList = false
    /// The evaluation read an ID list it was not given (answered as "not in list").
    var missingIDList = false
    var memo: [NestedGateMemo] = []
    /// Set when a legacy-flavour condition raised (the SDK aborts the spec with rule ID `error`).
    var failed = false
    /// Nesting of the evaluations that started this one (legacy `multi_pass_gate` evaluates gates as separate
    /// top-level evaluations), for the depth limit.
    var depthOffset = 0
    /// Gather (legacy: and clean) secondary exposures. `checkGate` only needs the boolean, which exposures never
    /// change, so it turns this off.
    var collectsExposures = true
    /// `UserSession.evaluateOutcome`: the result, when the evaluation ended outside the walk.
    var finished: Evaluation?
    /// Per-thread copies of what records take from the payload being evaluated (`bindLocals`).
    private(set) var locals: LocalCopies?
    private var localsByPayload: [UInt64: LocalCopies] = [:]
    /// Optional recorder for `explain`.
    public var trace: EvaluationTrace?
    /// The node flavour's walk, kept between evaluations on this context.
    var nodeWalk: NodeWalk?

    public init() {
        secondary.reserveCapacity(16)
        memo.reserveCapacity(8)
    }

    func reset() {
        bool = false
        unsupported = false
        unsupportedReason = nil
        isExperimentGroup = false
        isExperimentActive = false
        isInLayer = false
        idType = nil
        value = .none
        ruleRef = nil
        ruleText = nil
        groupRef = nil
        groupText = nil
        explicitRef = nil
        if explicitOwned != nil { explicitOwned = nil }
        delegateRef = nil
        if delegateOwned != nil { delegateOwned = nil }
        if !secondary.isEmpty { secondary.removeAll(keepingCapacity: true) }
        undelegated = nil
        version = nil
        samplingRate = nil
        nested = 0
        usedIDList = false
        missingIDList = false
        if !memo.isEmpty { memo.removeAll(keepingCapacity: true) }
        failed = false
        depthOffset = 0
        collectsExposures = true
        if case .some = finished { finished = nil }
    }
}

extension EvaluationContext {
    /// Makes `locals` the copies for `payload` (kept for the context's life, one per payload it evaluates).
    @discardableResult
    func bindLocals(_ payload: CompiledPayload) -> LocalCopies {
        if let l = locals, l.payload == payload.serial { return l }
        let l = localsByPayload[payload.serial] ?? LocalCopies(payload)
        localsByPayload[payload.serial] = l
        locals = l
        return l
    }

    /// The result's parts as a record takes them: from `locals` when bound, else from the payload.
    var localJSON: JSONValue? {
        switch value {
        case .none: nil
        case .ruleReturn(let r): r._withUnsafeGuaranteedRef { locals?.returnValue($0) ?? $0.returnValue }
        case .specDefault(let s): s._withUnsafeGuaranteedRef { locals?.defaultValue($0) ?? $0.defaultValue }
        case .owned(let j): j
        }
    }

    var localRuleID: String? {
        if let r = ruleRef { return r._withUnsafeGuaranteedRef { locals?.ruleID($0) ?? $0.id } }
        return ruleText
    }

    var localGroupName: String? {
        if let r = groupRef { return r._withUnsafeGuaranteedRef { r in locals.map { $0.groupName(r) } ?? r.groupName } }
        return groupText
    }

    var localExplicitParameters: [String]? {
        if let s = explicitRef { return s._withUnsafeGuaranteedRef { s in locals.map { $0.explicitParameters(s) } ?? s.explicitParameters } }
        return explicitOwned
    }

    var localConfigDelegate: String? {
        if let r = delegateRef { return r._withUnsafeGuaranteedRef { r in locals.map { $0.configDelegate(r) } ?? r.configDelegate } }
        return delegateOwned
    }

    func localGateName(_ c: CompiledCondition) -> String {
        locals?.gateName(c) ?? c.gateName
    }

    var json: JSONValue? {
        get {
            switch value {
            case .none: nil
            case .ruleReturn(let r): r._withUnsafeGuaranteedRef { $0.returnValue }
            case .specDefault(let s): s._withUnsafeGuaranteedRef { $0.defaultValue }
            case .owned(let j): j
            }
        }
        set { value = newValue.map(ResultValue.owned) ?? .none }
    }

    var ruleID: String? {
        get { ruleRef.map { $0._withUnsafeGuaranteedRef { $0.id } } ?? ruleText }
        set {
            ruleRef = nil
            ruleText = newValue
        }
    }

    var groupName: String? {
        get { groupRef.map { $0._withUnsafeGuaranteedRef { $0.groupName } } ?? groupText }
        set {
            groupRef = nil
            groupText = newValue
        }
    }

    var explicitParameters: [String]? {
        get { explicitRef.map { $0._withUnsafeGuaranteedRef { $0.explicitParameters } } ?? explicitOwned }
        set {
            explicitRef = nil
            explicitOwned = newValue
        }
    }

    /// A spec's `explicitParameters` (the payload keeps the spec alive).
    @inline(__always)
    func setExplicitParameters(of spec: CompiledSpec) {
        explicitRef = Unmanaged.passUnretained(spec)
        if explicitOwned != nil { explicitOwned = nil }
    }

    var configDelegate: String? {
        get { delegateRef.map { $0._withUnsafeGuaranteedRef { $0.configDelegate } } ?? delegateOwned }
        set {
            delegateRef = nil
            delegateOwned = newValue
        }
    }

    /// The rule ID and group of a matched rule (the payload keeps the rule alive).
    @inline(__always)
    func setRule(_ rule: CompiledRule) {
        let r = Unmanaged.passUnretained(rule)
        ruleRef = r
        groupRef = r
        if ruleText != nil { ruleText = nil }
        if groupText != nil { groupText = nil }
    }

    /// A rule ID that is a literal (`default`, `disabled`, ...): small strings, no reference counting.
    @inline(__always)
    func setRuleID(literal: String) {
        ruleRef = nil
        ruleText = literal
    }
}

extension EvaluationContext {
    /// The identity of the outcome in the context (nil when it has none: a computed value, or an evaluation that
    /// stopped on an unsupported condition or a raise).
    var outcomeKey: OutcomeKey? {
        if unsupported || failed { return nil }
        let v: UInt
        switch value {
        case .none: v = 0
        case .ruleReturn(let r): v = UInt(bitPattern: r.toOpaque()) | 1
        case .specDefault(let s): v = UInt(bitPattern: s.toOpaque()) | 2
        case .owned: return nil
        }
        // Rule IDs that are not a rule's are the walk's literals; a group is always a rule's (or none).
        let text: UInt8
        switch ruleText {
        case nil: text = 0
        case "default"?: text = 1
        case "disabled"?: text = 2
        case ""?: text = 3
        case "error"?: text = 4
        default: return nil
        }
        if groupText != nil { return nil }
        return OutcomeKey(bool: bool, ruleText: text, value: v, rule: ruleRef.map { UInt(bitPattern: $0.toOpaque()) } ?? 0,
                          group: groupRef.map { UInt(bitPattern: $0.toOpaque()) } ?? 0)
    }
}

/// The identity of an evaluation's outcome (value, rule ID, group name) within one payload and entity: where each
/// comes from in the compiled payload, with no copy of any of them. Equal keys mean equal outcomes.
public struct OutcomeKey: Hashable, Sendable {
    let bool: Bool
    /// A literal rule ID (`OutcomeKey` is made only for those), by number.
    let ruleText: UInt8
    /// Tagged addresses of the compiled rule or spec each part comes from (0: none).
    let value: UInt
    let rule: UInt
    let group: UInt
}

/// Where a result's value comes from (the payload owns the first two).
enum ResultValue {
    case none
    case ruleReturn(Unmanaged<CompiledRule>)
    case specDefault(Unmanaged<CompiledSpec>)
    case owned(JSONValue)
}

/// A nested gate already evaluated within one top-level evaluation (the core memoises them).
struct NestedGateMemo {
    /// The gate's index in the payload, or -1 for a gate the payload does not have (then `condition` names it).
    var index: Int
    var condition: Unmanaged<CompiledCondition>
    var bool: Bool
    var ruleRef: Unmanaged<CompiledRule>?
    var ruleText: String?
    var exposures: [SecondaryExposure]
}

/// What `explain` records: the evaluator's own steps, in order.
public final class EvaluationTrace {
    public enum Step: Sendable {
        case enterSpec(kind: EntityKind, name: String, depth: Int)
        case disabled(name: String)
        case rule(index: Int, id: String, depth: Int)
        /// A condition's verdict; `id` identifies the compiled condition (the same object in every flavour).
        case condition(id: ObjectIdentifier, type: String, operator: String?, field: String?, target: JSONValue, userValue: JSONValue?, userString: String?, result: Bool, depth: Int)
        /// Legacy: the condition raised (the SDK aborts the spec with rule ID `error`).
        case conditionRaised(id: ObjectIdentifier, type: String, operator: String?, field: String?, reason: String, depth: Int)
        case unsupported(reason: String, depth: Int)
        case nestedGateStart(name: String, depth: Int)
        case nestedGate(name: String, negate: Bool, result: Bool, ruleID: String?, memoized: Bool, depth: Int)
        case userBucket(salt: String, unitID: String, bucket: UInt64, depth: Int)
        case passPercentage(ruleID: String, unitID: String, bucket: UInt64, percentage: Double, passed: Bool, depth: Int)
        case delegate(experiment: String, depth: Int)
        case ruleMatched(id: String, passed: Bool, depth: Int)
        case fellThrough(ruleID: String, depth: Int)
        case error(String, depth: Int)
    }

    public private(set) var steps: [Step] = []

    public init() {}

    func record(_ step: Step) { steps.append(step) }
}
