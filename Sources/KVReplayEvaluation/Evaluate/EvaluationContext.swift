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
    var json: JSONValue?
    var ruleID: String?
    var groupName: String?
    var explicitParameters: [String]?
    var configDelegate: String?
    var secondary: [SecondaryExposure] = []
    var undelegated: [SecondaryExposure]?
    var version: Int64?
    var samplingRate: Int64?
    var nested = 0
    var usedIDList = false
    /// The evaluation read an ID list it was not given (answered as "not in list").
    var missingIDList = false
    var memo: [(name: String, index: Int?, bool: Bool, ruleID: String?, exposures: [SecondaryExposure])] = []
    /// Set when a legacy-flavour condition raised (the SDK aborts the spec with rule ID `error`).
    var failed = false
    /// Nesting of the evaluations that started this one (legacy `multi_pass_gate` evaluates gates as separate
    /// top-level evaluations), for the depth limit.
    var depthOffset = 0
    /// Legacy: gather and clean secondary exposures. `checkGate` only needs the boolean, which exposures never
    /// change, so it turns this off.
    var collectsExposures = true
    /// Optional recorder for `explain`.
    public var trace: EvaluationTrace?

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
        json = nil
        ruleID = nil
        groupName = nil
        explicitParameters = nil
        configDelegate = nil
        secondary.removeAll(keepingCapacity: true)
        undelegated = nil
        version = nil
        samplingRate = nil
        nested = 0
        usedIDList = false
        missingIDList = false
        memo.removeAll(keepingCapacity: true)
        failed = false
        depthOffset = 0
        collectsExposures = true
    }
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
