import KVReplayModel
import KVReplayStore

/// SDK identity from a log_event body's `statsigMetadata`.
struct LogContext: Sendable {
    var sdkType: String?
    var sdkVersion: String?

    static let none = LogContext(sdkType: nil, sdkVersion: nil)

    init(sdkType: String?, sdkVersion: String?) {
        self.sdkType = sdkType
        self.sdkVersion = sdkVersion
    }

    init(statsigMetadata: JSONValue?) {
        sdkType = statsigMetadata?["sdkType"]?.stringValue
        sdkVersion = statsigMetadata?["sdkVersion"]?.stringValue
    }
}

/// What one log record becomes: a user for the population and, for exposure events, an exposure.
struct MappedRecord {
    var user: UserObservation?
    var exposure: ExposureRow?
}

/// Maps Statsig event objects to store rows (`../shared/docs/statsig-evaluation.md` §6).
enum EventMapper {
    static let gateExposure = "statsig::gate_exposure"
    static let configExposure = "statsig::config_exposure"
    static let layerExposure = "statsig::layer_exposure"

    /// Maps one event. Throws for a record that is malformed (wrong type, missing field); returns a record
    /// without exposure for other events (their user still joins the population).
    static func map(_ event: JSONValue, context: LogContext, line: Int64?, record: Int64?) throws(RecordProblem) -> MappedRecord {
        guard case .object(let e) = event else {
            throw RecordProblem(field: nil, reason: "an event is a JSON object, found \(event.kindName)")
        }
        guard let nameValue = e["eventName"] else { throw RecordProblem(field: "eventName", reason: "missing field") }
        guard case .string(let eventName) = nameValue else {
            throw RecordProblem(field: "eventName", reason: "is \(nameValue.kindName), expected a string")
        }
        let kind: ExposureKind?
        switch eventName {
        case gateExposure: kind = .gate
        case configExposure: kind = .config
        case layerExposure: kind = .layer
        default: kind = nil
        }
        let time = try eventTime(e["time"], required: kind != nil)

        var user: UserObservation? = nil
        if let u = e["user"], !u.isNull {
            user = try UserKeys.observation(u, time: time, line: line)
        } else if kind != nil {
            throw RecordProblem(field: "user", reason: "missing field")
        }
        guard let kind else { return MappedRecord(user: user, exposure: nil) }

        guard let metadataValue = e["metadata"], !metadataValue.isNull else { throw RecordProblem(field: "metadata", reason: "missing field") }
        guard case .object(let m) = metadataValue else {
            throw RecordProblem(field: "metadata", reason: "is \(metadataValue.kindName), expected an object")
        }
        let entityKey = kind == .gate ? "gate" : "config"
        let entity = try requiredString(m, entityKey)
        var x = ExposureRow(dedupeKey: 0, kind: kind, entity: entity)
        x.ruleID = try requiredString(m, "ruleID")
        switch kind {
        case .gate:
            guard let v = try flag(m, "gateValue") else { throw RecordProblem(field: "metadata.gateValue", reason: "missing field") }
            x.value = v ? "true" : "false"
        case .config:
            x.rulePassed = try flag(m, "rulePassed")
            x.value = x.ruleID
        case .layer:
            let parameter = try requiredString(m, "parameterName")
            x.parameterName = parameter
            x.value = parameter
            x.allocatedExperiment = try optionalString(m, "allocatedExperiment")
            x.isExplicitParameter = try flag(m, "isExplicitParameter")
        }
        x.time = time
        if let lcut = try optionalInt(m, "lcut") { x.lcut = lcut } else { x.lcut = try optionalInt(m, "configSyncTime") }
        x.receivedAt = try optionalInt(m, "receivedAt")
        x.configVersion = try optionalText(m, "configVersion")
        x.reason = try optionalString(m, "reason")
        x.isManual = try flag(m, "isManualExposure")
        let sm = e["statsigMetadata"]?.objectValue
        x.sdkType = sm?["sdkType"]?.stringValue ?? context.sdkType
        x.sdkVersion = sm?["sdkVersion"]?.stringValue ?? context.sdkVersion
        if let sm {
            x.samplingRate = try optionalInt(sm, "samplingRate", prefix: "statsigMetadata")
            x.samplingMode = try optionalString(sm, "samplingMode", prefix: "statsigMetadata")
            x.shadowLogged = try optionalString(sm, "shadowLogged", prefix: "statsigMetadata")
        }
        x.line = line
        x.record = record
        x.dedupeKey = dedupeKey(eventName: eventName, time: time, unitKey: user!.unitKey, metadata: m)
        return MappedRecord(user: user, exposure: x)
    }

    /// The identity of a logged event: its name, time, the user's unit IDs and every metadata member.
    /// The same event read twice (from one file or two, as NDJSON or inside a body) gets the same key.
    static func dedupeKey(eventName: String, time: Int64?, unitKey: String, metadata: JSONObject) -> Int64 {
        var buf = [UInt8]()
        buf.reserveCapacity(256)
        buf.append(contentsOf: eventName.utf8)
        buf.append(0x1F)
        if let time { buf.append(contentsOf: String(time).utf8) }
        buf.append(0x1F)
        buf.append(contentsOf: unitKey.utf8)
        let order = metadata.keys.indices.sorted { metadata.keys[$0].utf8.lexicographicallyPrecedes(metadata.keys[$1].utf8) }
        for i in order {
            buf.append(0x1E)
            buf.append(contentsOf: metadata.keys[i].utf8)
            buf.append(0x1F)
            switch metadata.values[i] {
            case .string(let s): buf.append(contentsOf: s.utf8)
            case let v: JSONWriter(style: .serde).write(v, into: &buf)
            }
        }
        return SHA256Stream.prefix64(buf)
    }

    static func eventTime(_ v: JSONValue?, required: Bool) throws(RecordProblem) -> Int64? {
        switch v {
        case nil, .null?:
            if required { throw RecordProblem(field: "time", reason: "missing field") }
            return nil
        case .int(let i)?: return i
        case .double(let d)? where d.isFinite && abs(d) < 9e18: return Int64(d.rounded())
        case .string(let s)?:
            if let i = Int64(s) { return i }
            if let t = Timestamps.parse(s) { return t }
            throw RecordProblem(field: "time", reason: "\"\(s.prefix(40))\" is not a time (ms since the epoch or ISO 8601)")
        case let other?:
            throw RecordProblem(field: "time", reason: "is \(other.kindName), expected ms since the epoch")
        }
    }

    static func requiredString(_ m: JSONObject, _ key: String) throws(RecordProblem) -> String {
        guard let v = m[key], !v.isNull else { throw RecordProblem(field: "metadata.\(key)", reason: "missing field") }
        guard case .string(let s) = v else { throw RecordProblem(field: "metadata.\(key)", reason: "is \(v.kindName), expected a string") }
        return s
    }

    static func optionalString(_ m: JSONObject, _ key: String, prefix: String = "metadata") throws(RecordProblem) -> String? {
        guard let v = m[key], !v.isNull else { return nil }
        guard case .string(let s) = v else { throw RecordProblem(field: "\(prefix).\(key)", reason: "is \(v.kindName), expected a string") }
        return s
    }

    /// A string or a number, kept as text.
    static func optionalText(_ m: JSONObject, _ key: String) throws(RecordProblem) -> String? {
        switch m[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return JSONWriter(style: .serde).string(.double(d))
        case let v?: throw RecordProblem(field: "metadata.\(key)", reason: "is \(v.kindName), expected a string")
        }
    }

    /// An integer given as a number or as decimal text (metadata values are strings).
    static func optionalInt(_ m: JSONObject, _ key: String, prefix: String = "metadata") throws(RecordProblem) -> Int64? {
        switch m[key] {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case .double(let d)? where d.isFinite && abs(d) < 9e18: return Int64(d.rounded())
        case .string(let s)?:
            if s.isEmpty { return nil }
            if let i = Int64(s) { return i }
            if let d = Double(s), d.isFinite, abs(d) < 9e18 { return Int64(d.rounded()) }
            throw RecordProblem(field: "\(prefix).\(key)", reason: "\"\(s.prefix(40))\" is not a number")
        case let v?: throw RecordProblem(field: "\(prefix).\(key)", reason: "is \(v.kindName), expected a number")
        }
    }

    /// `"true"` / `"false"` (how the SDKs log booleans in metadata) or a JSON boolean.
    static func flag(_ m: JSONObject, _ key: String) throws(RecordProblem) -> Bool? {
        switch m[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .string(let s)?:
            if s == "true" { return true }
            if s == "false" { return false }
            throw RecordProblem(field: "metadata.\(key)", reason: "\"\(s.prefix(40))\" is neither \"true\" nor \"false\"")
        case let v?: throw RecordProblem(field: "metadata.\(key)", reason: "is \(v.kindName), expected \"true\" or \"false\"")
        }
    }
}

/// User identity: the unit IDs a user carries (userID and customIDs).
enum UserKeys {
    /// Reads a logged user object. Throws (naming the field) when it is not a valid Statsig user.
    static func observation(_ json: JSONValue, time: Int64?, line: Int64?) throws(RecordProblem) -> UserObservation {
        do {
            _ = try StatsigUser(json: json)
        } catch {
            throw RecordProblem(field: error.field.map { "user.\($0)" } ?? "user", reason: error.problem)
        }
        guard case .object(let o) = json else { throw RecordProblem(field: "user", reason: "expected an object") }
        var text = [UInt8]()
        text.reserveCapacity(256)
        JSONWriter(style: .serde).write(json, into: &text)
        let userID = o["userID"].flatMap(idText)
        var ids: [(String, String)] = []
        if let c = o["customIDs"]?.objectValue {
            for (k, v) in c.members {
                guard let t = idText(v) else { continue }
                ids.append((k, t))
            }
            ids.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            // A repeated key keeps its last value, as the parsed object does.
            var dedup: [(String, String)] = []
            for p in ids { if let last = dedup.last, last.0 == p.0 { dedup[dedup.count - 1] = p } else { dedup.append(p) } }
            ids = dedup
        }
        let json = String(decoding: text, as: UTF8.self)
        return UserObservation(unitKey: unitKey(userID: userID, customIDs: ids, wholeObject: text), userID: userID,
                               customIDs: ids.isEmpty ? nil : customIDsJSON(ids), json: json, time: time, line: line)
    }

    /// `{"customIDs":{...},"userID":"..."}` with keys sorted; a user with no unit ID at all is keyed by a hash of
    /// its whole object, so distinct anonymous users stay distinct.
    static func unitKey(userID: String?, customIDs: [(String, String)], wholeObject: [UInt8]) -> String {
        if userID == nil && customIDs.isEmpty {
            return "{\"anonymous\":\"\(SHA256Stream.hex(wholeObject).prefix(32))\"}"
        }
        var out = [UInt8]()
        out.append(UInt8(ascii: "{"))
        if !customIDs.isEmpty {
            out.append(contentsOf: "\"customIDs\":".utf8)
            out.append(contentsOf: customIDsJSON(customIDs).utf8)
            if userID != nil { out.append(UInt8(ascii: ",")) }
        }
        if let userID {
            out.append(contentsOf: "\"userID\":".utf8)
            JSONWriter.writeString(userID, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func customIDsJSON(_ ids: [(String, String)]) -> String {
        var out = [UInt8]()
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in ids.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.writeString(v, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A unit ID as text; null and empty IDs are no IDs.
    static func idText(_ v: JSONValue) -> String? {
        switch v {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        default: return JSONWriter(style: .serde).string(v)
        }
    }
}
