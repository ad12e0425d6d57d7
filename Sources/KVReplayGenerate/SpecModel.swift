import KVReplayModel

/// Condition objects in the DCS v1 shape (key order as Statsig writes them).
enum Cond {
    static func make(_ type: String, _ op: String?, _ target: JSONValue, field: String? = nil, idType: String = "userID",
                     additional: JSONValue = .object(JSONObject())) -> JSONValue {
        var o = JSONObject()
        o["type"] = .string(type)
        o["targetValue"] = target
        o["operator"] = op.map { .string($0) } ?? .null
        o["field"] = field.map { .string($0) } ?? .null
        o["additionalValues"] = additional
        o["isDeviceBased"] = false
        o["idType"] = .string(idType)
        return .object(o)
    }

    static func pub(_ idType: String = "userID") -> JSONValue { make("public", nil, .null, idType: idType, additional: .null) }
    static func passGate(_ g: String) -> JSONValue { make("pass_gate", nil, .string(g), additional: .null) }
    static func failGate(_ g: String) -> JSONValue { make("fail_gate", nil, .string(g)) }
    static func user(_ field: String, _ op: String, _ target: JSONValue) -> JSONValue { make("user_field", op, target, field: field) }
    static func ua(_ field: String, _ op: String, _ target: JSONValue) -> JSONValue { make("ua_based", op, target, field: field) }
    static func ip(_ op: String, _ target: JSONValue) -> JSONValue { make("ip_based", op, target, field: "country") }
    static func env(_ op: String, _ target: JSONValue) -> JSONValue { make("environment_field", op, target, field: "tier") }
    static func unit(_ op: String, _ target: JSONValue, idType: String) -> JSONValue { make("unit_id", op, target, idType: idType) }
    static func bucket(_ op: String, _ target: JSONValue, salt: String, idType: String) -> JSONValue {
        make("user_bucket", op, target, idType: idType, additional: ["salt": .string(salt)])
    }
    static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
    static func ints(_ a: [Int]) -> JSONValue { .array(a.map { .int(Int64($0)) }) }
}

/// A rule of a spec, as the console writes it into the v1 payload.
struct RuleModel: Sendable {
    var id: String
    var name: String
    /// nil: no `salt` key (the hash then uses the ID).
    var salt: String?
    var passPercentage: Double
    var conditions: [JSONValue]
    var returnValue: JSONValue
    var idType: String
    var groupName: String? = nil
    var isExperimentGroup: Bool? = nil
    var configDelegate: String? = nil
    var samplingRate: Int? = nil

    init(id: String, salt: String?, pass: Double = 100, conditions: [JSONValue], returns: JSONValue, idType: String = "userID") {
        self.id = id
        name = id
        self.salt = salt
        passPercentage = pass
        self.conditions = conditions
        returnValue = returns
        self.idType = idType
    }

    var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        if let g = groupName { o["groupName"] = .string(g) }
        o["passPercentage"] = percentJSON(passPercentage)
        o["conditions"] = .array(conditions)
        o["returnValue"] = returnValue
        o["id"] = .string(id)
        if let s = salt { o["salt"] = .string(s) }
        o["isDeviceBased"] = false
        o["idType"] = .string(idType)
        if let e = isExperimentGroup { o["isExperimentGroup"] = .bool(e) }
        if let d = configDelegate { o["configDelegate"] = .string(d) }
        if let r = samplingRate { o["samplingRate"] = .int(Int64(r)) }
        return .object(o)
    }
}

func percentJSON(_ p: Double) -> JSONValue {
    p == p.rounded() && abs(p) < 1e15 ? .int(Int64(p)) : .double(p)
}

/// A spec (gate, segment, holdout, dynamic config, experiment or layer) with its serialised form cached until it
/// changes; a payload is assembled from the cached pieces, so a change costs the size of what changed.
struct SpecModel: Sendable {
    var name: String
    var entity: String
    var salt: String
    var enabled = true
    var defaultValue: JSONValue
    var rules: [RuleModel]
    var idType: String
    var version: Int64
    var isActive: Bool? = nil
    var hasSharedParams: Bool? = nil
    var explicitParameters: [String]? = nil
    var targetAppIDs: [String]? = nil
    private var cachedJSON: JSONValue? = nil
    private var cachedBytes: [UInt8]? = nil

    init(name: String, entity: String, salt: String, defaultValue: JSONValue, rules: [RuleModel], idType: String, version: Int64) {
        self.name = name
        self.entity = entity
        self.salt = salt
        self.defaultValue = defaultValue
        self.rules = rules
        self.idType = idType
        self.version = version
    }

    var collection: SpecCollection {
        switch entity {
        case "feature_gate", "segment", "holdout": .featureGates
        case "layer": .layerConfigs
        default: .dynamicConfigs
        }
    }

    /// Records an edit: the version goes up and the cached text is dropped.
    mutating func touch() {
        version += 1
        cachedJSON = nil
        cachedBytes = nil
    }

    mutating func json() -> JSONValue {
        if let j = cachedJSON { return j }
        var o = JSONObject()
        o["name"] = .string(name)
        o["type"] = .string(collection == .featureGates ? "feature_gate" : "dynamic_config")
        o["salt"] = .string(salt)
        o["enabled"] = .bool(enabled)
        o["defaultValue"] = defaultValue
        o["rules"] = .array(rules.map(\.json))
        o["isDeviceBased"] = false
        o["idType"] = .string(idType)
        o["entity"] = .string(entity)
        o["version"] = .int(version)
        if let a = isActive { o["isActive"] = .bool(a) }
        if let h = hasSharedParams { o["hasSharedParams"] = .bool(h) }
        if let e = explicitParameters { o["explicitParameters"] = Cond.strings(e) }
        if let t = targetAppIDs { o["targetAppIDs"] = Cond.strings(t) }
        let j = JSONValue.object(o)
        cachedJSON = j
        return j
    }

    mutating func bytes() -> [UInt8] {
        if let b = cachedBytes { return b }
        let b = JSONWriter(style: .serde).bytes(json())
        cachedBytes = b
        return b
    }
}
