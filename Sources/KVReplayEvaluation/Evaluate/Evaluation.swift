public import KVReplayModel

/// How an evaluation ended, normalised across SDKs.
public enum EvaluationReason: String, Sendable, Codable {
    /// The spec was found and evaluated.
    case ok
    /// No spec of that name (or it could not be read).
    case unrecognized
    /// A condition type or operator the SDK does not support was reached.
    case unsupported
    /// The SDK failed while evaluating (nesting too deep; in the legacy SDK, an exception in a condition).
    case error
}

/// The result of evaluating one entity for one user: what the SDK reports.
public struct Evaluation: Sendable, Equatable {
    public var kind: EntityKind
    public var name: String
    /// A boolean for gates; a JSON object otherwise (`{}` when the result has no object value).
    public var value: JSONValue
    public var ruleID: String
    public var groupName: String?
    public var idType: String
    public var reason: EvaluationReason
    /// Gates, configs and layers: cleaned (no `segment:` gates, no duplicates), as the core's client-initialize
    /// response reports them. Experiments: the list `get_experiment` returns and the exposure event carries,
    /// duplicates kept (a holdout checked by both the experiment and its targeting gate appears twice).
    public var secondaryExposures: [SecondaryExposure]
    /// Layers only.
    public var allocatedExperiment: String?
    public var undelegatedSecondaryExposures: [SecondaryExposure]?
    public var explicitParameters: [String]?
    /// The matched rule is an experiment group (`is_user_in_experiment`).
    public var isExperimentGroup: Bool
    public var isExperimentActive: Bool
    /// The spec's `version` (exposure `configVersion`).
    public var version: Int64?
    /// The result read an ID list (its answer depends on list contents the payload does not carry).
    public var usedIDList: Bool
    /// The result read an ID list that the evaluation was not given (answered as "not in list").
    public var missingIDList: Bool = false

    public var boolValue: Bool { value.boolValue ?? false }
}
