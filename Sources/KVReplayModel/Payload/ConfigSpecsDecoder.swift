/// Why a payload could not be read at all.
public struct PayloadError: Error, Sendable, CustomStringConvertible {
    /// The file (or other source) the payload came from.
    public var source: String
    public var problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}

extension ConfigSpecs {
    /// Parses payload text (JSON, either format; detected from content).
    public init(jsonBytes bytes: some Collection<UInt8>, source: String) throws(PayloadError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes, limits: JSONParserLimits(maxDepth: 256))
        } catch {
            throw PayloadError(source: source, problem: "not valid JSON (\(error))")
        }
        try self.init(json: json, source: source)
    }

    /// Decodes a parsed payload. Specs that cannot be read are listed in `invalidSpecs`, as the core SDK skips them.
    public init(json: JSONValue, source: String) throws(PayloadError) {
        guard case .object(let top) = json else {
            throw PayloadError(source: source, problem: "a config-specs payload is a JSON object, found \(json.kindName)")
        }
        let hasUpdates = top["has_updates"]?.boolValue ?? true
        let format = ConfigSpecs.detectFormat(top)
        let collections = SpecCollection.allCases.map { top[$0.rawValue] }
        if hasUpdates && collections.allSatisfy({ $0 == nil || $0!.isNull }) {
            throw PayloadError(source: source, problem: "not a config-specs payload: none of feature_gates, dynamic_configs, layer_configs is present")
        }
        var conditionMap: JSONObject? = nil
        if format == .v2, let cm = top["condition_map"], !cm.isNull {
            guard let o = cm.objectValue else { throw PayloadError(source: source, problem: "condition_map is \(cm.kindName), expected an object") }
            conditionMap = o
        }

        var decoded: [SpecCollection: [Spec]] = [:]
        var invalid: [InvalidSpec] = []
        for (collection, value) in zip(SpecCollection.allCases, collections) {
            var specs: [Spec] = []
            guard let value, !value.isNull else { decoded[collection] = []; continue }
            var entries: [(String?, JSONValue)] = []
            switch (format, value) {
            case (.v1, .array(let a)): entries = a.map { (nil, $0) }
            case (.v2, .object(let o)): entries = o.members.map { ($0.0, $0.1) }
            default:
                throw PayloadError(source: source, problem: "\(collection.rawValue) is \(value.kindName), expected \(format == .v1 ? "an array (dcs-v1)" : "an object (dcs-v2)")")
            }
            for (position, (key, specJSON)) in entries.enumerated() {
                let name = key ?? specJSON["name"]?.stringValue
                guard let name else {
                    invalid.append(InvalidSpec(name: "#\(position)", collection: collection, entity: specJSON["entity"]?.stringValue, problem: "spec without a string \"name\""))
                    continue
                }
                do {
                    specs.append(try SpecReader(conditionMap: conditionMap).spec(specJSON, name: name, collection: collection))
                } catch {
                    invalid.append(InvalidSpec(name: name, collection: collection, entity: specJSON["entity"]?.stringValue, problem: error.message))
                }
            }
            decoded[collection] = specs
        }

        var experimentToLayer: [String: String] = [:]
        if format == .v2, let e2l = top["experiment_to_layer"]?.objectValue {
            for (e, l) in e2l.members { if let l = l.stringValue { experimentToLayer[e] = l } }
        } else if let layers = top["layers"]?.objectValue {
            for (layer, exps) in layers.members {
                for e in exps.arrayValue ?? [] { if let e = e.stringValue { experimentToLayer[e] = layer } }
            }
        }

        self.init(
            format: format,
            hasUpdates: hasUpdates,
            time: top["time"].flatMap { v -> Int64? in
                switch v {
                case .int(let i): return i
                case .double(let d): return d.isFinite && d.rounded() == d && abs(d) < 9.2e18 ? Int64(d) : nil
                case .string(let s): return Int64(s)
                default: return nil
                }
            },
            companyID: top["company_id"]?.stringValue,
            appID: top["app_id"].flatMap { $0.isNull ? nil : $0 },
            defaultEnvironment: top["default_environment"]?.stringValue,
            featureGates: decoded[.featureGates] ?? [],
            dynamicConfigs: decoded[.dynamicConfigs] ?? [],
            layerConfigs: decoded[.layerConfigs] ?? [],
            invalidSpecs: invalid,
            experimentToLayer: experimentToLayer,
            idListNames: (top["id_lists"]?.objectValue?.keys ?? []).sorted(by: JSONWriter.codePointLess),
            raw: top)
    }

    /// v2 when `response_format` says so or a spec collection (or `condition_map`) is shaped as v2.
    public static func detectFormat(_ top: JSONObject) -> PayloadFormat {
        if top["response_format"]?.stringValue == "dcs-v2" { return .v2 }
        if top["feature_gates"]?.objectValue != nil || top["dynamic_configs"]?.objectValue != nil
            || top["layer_configs"]?.objectValue != nil || top["condition_map"] != nil
        {
            return .v2
        }
        return .v1
    }
}

extension JSONValue {
    /// "an object", "a string", ... for messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

struct SpecProblem: Error {
    var message: String
}

/// Reads one spec with the core SDK's required keys and types
/// (spec: type, salt, defaultValue, enabled, rules, idType, entity; rule: name, passPercentage, returnValue, id,
/// conditions, idType; condition: type, idType). Optional keys may be absent or null but not of another type.
struct SpecReader {
    var conditionMap: JSONObject?

    func spec(_ json: JSONValue, name: String, collection: SpecCollection) throws(SpecProblem) -> Spec {
        guard case .object(let o) = json else { throw SpecProblem(message: "spec is \(json.kindName), expected an object") }
        let rulesJSON = try required(o, "rules", "spec").arrayValue
        guard let rulesJSON else { throw SpecProblem(message: "\"rules\" is not an array") }
        var rules: [Rule] = []
        rules.reserveCapacity(rulesJSON.count)
        for (i, r) in rulesJSON.enumerated() {
            do { rules.append(try rule(r)) } catch { throw SpecProblem(message: "rule \(i): \(error.message)") }
        }
        return Spec(
            name: name,
            collection: collection,
            type: try requiredString(o, "type", "spec"),
            entity: try requiredString(o, "entity", "spec"),
            salt: try requiredString(o, "salt", "spec"),
            enabled: try requiredBool(o, "enabled", "spec"),
            defaultValue: try required(o, "defaultValue", "spec"),
            rules: rules,
            idType: try requiredString(o, "idType", "spec"),
            explicitParameters: try optionalStringArray(o, "explicitParameters"),
            hasSharedParams: try optionalBool(o, "hasSharedParams"),
            isActive: try optionalBool(o, "isActive"),
            version: try optionalInt(o, "version"),
            targetAppIDs: try optionalStringArray(o, "targetAppIDs"),
            forwardAllExposures: try optionalBool(o, "forwardAllExposures"),
            useNewLayerEval: try optionalBool(o, "useNewLayerEval"))
    }

    func rule(_ json: JSONValue) throws(SpecProblem) -> Rule {
        guard case .object(let o) = json else { throw SpecProblem(message: "rule is \(json.kindName), expected an object") }
        guard let pp = try required(o, "passPercentage", "rule").doubleValue else {
            throw SpecProblem(message: "\"passPercentage\" is not a number")
        }
        guard let condsJSON = try required(o, "conditions", "rule").arrayValue else {
            throw SpecProblem(message: "\"conditions\" is not an array")
        }
        var conditions: [RuleCondition] = []
        conditions.reserveCapacity(condsJSON.count)
        for (i, c) in condsJSON.enumerated() {
            do throws(SpecProblem) {
                if let conditionMap {
                    guard let key = c.stringValue else { throw SpecProblem(message: "is \(c.kindName), expected a condition_map key") }
                    if let cj = conditionMap[key] {
                        conditions.append(.condition(try condition(cj, key: key)))
                    } else {
                        conditions.append(.missing(key: key))
                    }
                } else if case .string(let key) = c {
                    conditions.append(.missing(key: key))
                } else {
                    conditions.append(.condition(try condition(c, key: nil)))
                }
            } catch {
                throw SpecProblem(message: "condition \(i): \(error.message)")
            }
        }
        return Rule(
            name: try requiredString(o, "name", "rule"),
            id: try requiredString(o, "id", "rule"),
            salt: try optionalString(o, "salt"),
            passPercentage: pp,
            conditions: conditions,
            returnValue: try required(o, "returnValue", "rule"),
            idType: try requiredString(o, "idType", "rule"),
            groupName: try optionalString(o, "groupName"),
            isExperimentGroup: try optionalBool(o, "isExperimentGroup"),
            configDelegate: try optionalString(o, "configDelegate"),
            samplingRate: try optionalInt(o, "samplingRate"),
            raw: o)
    }

    func condition(_ json: JSONValue, key: String?) throws(SpecProblem) -> Condition {
        guard case .object(let o) = json else { throw SpecProblem(message: "condition is \(json.kindName), expected an object") }
        var additional: JSONObject? = nil
        if let av = o["additionalValues"], !av.isNull {
            guard let obj = av.objectValue else { throw SpecProblem(message: "\"additionalValues\" is \(av.kindName), expected an object") }
            additional = obj
        }
        return Condition(
            type: try requiredString(o, "type", "condition"),
            operator: try optionalString(o, "operator"),
            targetValue: o["targetValue"] ?? .null,
            field: try optionalString(o, "field"),
            additionalValues: additional,
            idType: try requiredString(o, "idType", "condition"),
            key: key,
            raw: o)
    }

    private func required(_ o: JSONObject, _ key: String, _ what: String) throws(SpecProblem) -> JSONValue {
        guard let v = o[key] else { throw SpecProblem(message: "\(what) has no \"\(key)\"") }
        return v
    }

    private func requiredString(_ o: JSONObject, _ key: String, _ what: String) throws(SpecProblem) -> String {
        let v = try required(o, key, what)
        guard let s = v.stringValue else { throw SpecProblem(message: "\"\(key)\" is \(v.kindName), expected a string") }
        return s
    }

    private func requiredBool(_ o: JSONObject, _ key: String, _ what: String) throws(SpecProblem) -> Bool {
        let v = try required(o, key, what)
        guard let b = v.boolValue else { throw SpecProblem(message: "\"\(key)\" is \(v.kindName), expected a boolean") }
        return b
    }

    private func optionalString(_ o: JSONObject, _ key: String) throws(SpecProblem) -> String? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw SpecProblem(message: "\"\(key)\" is \(v.kindName), expected a string") }
        return s
    }

    private func optionalBool(_ o: JSONObject, _ key: String) throws(SpecProblem) -> Bool? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw SpecProblem(message: "\"\(key)\" is \(v.kindName), expected a boolean") }
        return b
    }

    private func optionalInt(_ o: JSONObject, _ key: String) throws(SpecProblem) -> Int64? {
        guard let v = o[key], !v.isNull else { return nil }
        switch v {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        default: throw SpecProblem(message: "\"\(key)\" is \(v.kindName), expected an integer")
        }
    }

    private func optionalStringArray(_ o: JSONObject, _ key: String) throws(SpecProblem) -> [String]? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw SpecProblem(message: "\"\(key)\" is \(v.kindName), expected an array of strings") }
        var out: [String] = []
        for e in a {
            guard let s = e.stringValue else { throw SpecProblem(message: "\"\(key)\" holds \(e.kindName), expected strings") }
            out.append(s)
        }
        return out
    }
}
