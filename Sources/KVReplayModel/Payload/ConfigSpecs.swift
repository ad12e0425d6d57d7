/// The two wire formats of a `download_config_specs` payload.
public enum PayloadFormat: String, Sendable, Codable {
    /// Arrays of specs with inline conditions; what Cloudflare KV holds and the legacy SDKs read.
    case v1 = "dcs-v1"
    /// Maps of specs keyed by name plus a `condition_map`; what the Rust core reads.
    case v2 = "dcs-v2"
}

/// The collection a spec lives in.
public enum SpecCollection: String, Sendable, CaseIterable {
    case featureGates = "feature_gates"
    case dynamicConfigs = "dynamic_configs"
    case layerConfigs = "layer_configs"
}

/// The kind of an evaluable entity, in report order (`gate` < `config` < `experiment` < `layer`).
public enum EntityKind: String, Sendable, Codable, CaseIterable, Comparable {
    case gate, config, experiment, layer

    public var order: Int {
        switch self {
        case .gate: 0
        case .config: 1
        case .experiment: 2
        case .layer: 3
        }
    }

    public static func < (a: EntityKind, b: EntityKind) -> Bool { a.order < b.order }
}

/// One condition of a rule, normalised from either format.
public struct Condition: Sendable, Equatable {
    public var type: String
    public var `operator`: String?
    /// `.null` when absent.
    public var targetValue: JSONValue
    public var field: String?
    public var additionalValues: JSONObject?
    public var idType: String
    /// v2 only: the `condition_map` key this condition was read from.
    public var key: String?
    /// The condition object as read. The legacy flavour reads it with Python's `dict.get` semantics, which tell an
    /// absent key from a `null` one.
    public var raw: JSONObject

    public init(type: String, operator: String?, targetValue: JSONValue, field: String?, additionalValues: JSONObject?, idType: String,
                key: String? = nil, raw: JSONObject = JSONObject())
    {
        self.type = type
        self.operator = `operator`
        self.targetValue = targetValue
        self.field = field
        self.additionalValues = additionalValues
        self.idType = idType
        self.key = key
        self.raw = raw
    }
}

/// A reference from a rule to a condition: inline (v1), resolved from `condition_map` (v2), or a v2 key with no entry.
public enum RuleCondition: Sendable, Equatable {
    case condition(Condition)
    case missing(key: String)
}

public struct Rule: Sendable, Equatable {
    public var name: String
    public var id: String
    /// `nil` when the key is absent (the hash then uses `id`); `""` stays `""`.
    public var salt: String?
    public var passPercentage: Double
    public var conditions: [RuleCondition]
    public var returnValue: JSONValue
    public var idType: String
    public var groupName: String?
    public var isExperimentGroup: Bool?
    public var configDelegate: String?
    public var samplingRate: Int64?
    /// The rule object as read (see `Condition.raw`).
    public var raw: JSONObject = JSONObject()
}

public struct Spec: Sendable, Equatable {
    public var name: String
    public var collection: SpecCollection
    public var type: String
    /// `feature_gate`, `segment`, `holdout`, `dynamic_config`, `experiment`, `autotune`, `layer`.
    public var entity: String
    public var salt: String
    public var enabled: Bool
    public var defaultValue: JSONValue
    public var rules: [Rule]
    public var idType: String
    public var explicitParameters: [String]?
    public var hasSharedParams: Bool?
    public var isActive: Bool?
    public var version: Int64?
    public var targetAppIDs: [String]?
    public var forwardAllExposures: Bool?
    public var useNewLayerEval: Bool?

    /// The record kind this spec is reported as.
    public var kind: EntityKind {
        switch collection {
        case .featureGates: .gate
        case .dynamicConfigs: entity == "experiment" ? .experiment : .config
        case .layerConfigs: .layer
        }
    }
}

/// A spec the payload names but that could not be read (a required key missing or of the wrong type).
/// The core SDK skips such specs, so they evaluate as unrecognized.
public struct InvalidSpec: Sendable, Equatable {
    public var name: String
    public var collection: SpecCollection
    public var entity: String?
    public var problem: String

    public var kind: EntityKind {
        switch collection {
        case .featureGates: .gate
        case .dynamicConfigs: entity == "experiment" ? .experiment : .config
        case .layerConfigs: .layer
        }
    }
}

/// A decoded `download_config_specs` payload in one normalised shape, whatever its wire format.
public struct ConfigSpecs: Sendable {
    public var format: PayloadFormat
    /// `has_updates`; `false` means "no change" and carries no specs.
    public var hasUpdates: Bool
    /// `time`: the last config update time (lcut), ms since the epoch.
    public var time: Int64?
    public var companyID: String?
    public var appID: JSONValue?
    public var defaultEnvironment: String?
    public var featureGates: [Spec]
    public var dynamicConfigs: [Spec]
    public var layerConfigs: [Spec]
    public var invalidSpecs: [InvalidSpec]
    /// Experiment name → layer name.
    public var experimentToLayer: [String: String]
    /// Names of the ID lists the project defines (`id_lists`).
    public var idListNames: [String]
    /// The top-level members as read, for fields the evaluator does not model.
    public var raw: JSONObject

    public func specs(in collection: SpecCollection) -> [Spec] {
        switch collection {
        case .featureGates: featureGates
        case .dynamicConfigs: dynamicConfigs
        case .layerConfigs: layerConfigs
        }
    }

    /// Every readable spec, gates then configs then layers, in payload order.
    public var allSpecs: [Spec] { featureGates + dynamicConfigs + layerConfigs }
}

extension Spec {
    /// An experiment's allocation across its groups, from its group rules (`isExperimentGroup`, a `user_bucket lt N`
    /// condition with cumulative thresholds out of 1000): each group's share of the users in the experiment.
    /// Empty when the spec has no such rules.
    public var groupAllocation: [(group: String, share: Double)] {
        var out: [(String, Double)] = []
        var previous = 0.0
        for rule in rules where rule.isExperimentGroup == true {
            guard let group = rule.groupName else { continue }
            var threshold: Double? = nil
            for case .condition(let c) in rule.conditions where c.type == "user_bucket" && c.operator == "lt" {
                threshold = c.targetValue.doubleValue ?? c.targetValue.stringValue.flatMap(Double.init)
            }
            guard let t = threshold else { continue }
            out.append((group, max(0, t - previous)))
            previous = max(previous, t)
        }
        let total = out.reduce(0) { $0 + $1.1 }
        return total > 0 ? out.map { (group: $0.0, share: $0.1 / total) } : []
    }
}
