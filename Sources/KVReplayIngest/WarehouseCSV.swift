import Foundation
import KVReplayModel
import KVReplayStore

/// CSV (RFC 4180: comma separated, `"` quoting with `""` for a quote, quoted fields may hold line breaks).
enum CSV {
    /// True when the text has an odd number of quotes, i.e. a quoted field is still open at its end.
    static func opensQuote(_ bytes: some Sequence<UInt8>, initiallyOpen: Bool) -> Bool {
        var open = initiallyOpen
        for b in bytes where b == UInt8(ascii: "\"") { open.toggle() }
        return open
    }

    /// Splits one complete record into fields.
    static func fields(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        var field = [UInt8]()
        var i = 0
        var quoted = false
        var atStart = true
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(c); i += 2; continue }
                    quoted = false
                } else {
                    field.append(c)
                }
            } else if c == UInt8(ascii: ",") {
                out.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                atStart = true
                i += 1
                continue
            } else if c == UInt8(ascii: "\"") && atStart {
                quoted = true
            } else {
                field.append(c)
            }
            atStart = false
            i += 1
        }
        out.append(String(decoding: field, as: UTF8.self))
        return out
    }
}

/// The columns of a warehouse exposures export (formats doc §4.4), with the aliases of Pulse and
/// Warehouse Native assignment exports.
struct WarehouseLayout {
    var count: Int
    var unitID: Int
    var unitType: Int?
    var exposureType: Int?
    var name: Int
    var rule: Int?
    var ruleName: Int?
    var group: Int?
    var time: Int?
    var userDimensions: Int?
    var companyID: Int?

    static let aliases: [String: [String]] = [
        "unit_id": ["unit_id", "unitid", "user_id"],
        "unit_type": ["unit_type", "id_type", "unittype"],
        "exposure_type": ["exposure_type", "type"],
        "name": ["name", "experiment", "experiment_name", "experiment_id", "gate", "gate_name", "config"],
        "rule": ["rule", "rule_id"],
        "rule_name": ["rule_name"],
        "group": ["experiment_group", "group", "group_name"],
        "time": ["first_exposure_utc", "timestamp", "exposure_time", "first_exposure", "time"],
        "user_dimensions": ["user_dimensions"],
        "company_id": ["company_id"],
    ]

    /// Reads the header; nil when it lacks a unit ID or an entity name column.
    init?(header: [String]) {
        let names = header.map { h -> String in
            var s = h.trimmingCharacters(in: .whitespaces).lowercased()
            if s.hasPrefix("\u{FEFF}") { s.removeFirst() }
            return s
        }
        func find(_ key: String) -> Int? {
            for alias in Self.aliases[key]! { if let i = names.firstIndex(of: alias) { return i } }
            return nil
        }
        guard let unitID = find("unit_id"), let name = find("name") else { return nil }
        count = names.count
        self.unitID = unitID
        self.name = name
        unitType = find("unit_type")
        exposureType = find("exposure_type")
        rule = find("rule")
        ruleName = find("rule_name")
        group = find("group")
        time = find("time")
        userDimensions = find("user_dimensions")
        companyID = find("company_id")
    }

    /// True when a first line looks like a header of this format.
    static func looksLikeHeader(_ line: String) -> Bool {
        let l = line.lowercased()
        return l.contains(",") && (l.contains("unit_id") || l.contains("unitid"))
    }

    func map(_ f: [String], line: Int64) throws(RecordProblem) -> (ExposureRow, UserObservation) {
        guard f.count == count else { throw RecordProblem(field: nil, reason: "expected \(count) fields, found \(f.count)") }
        func value(_ i: Int?) -> String? {
            guard let i else { return nil }
            let s = f[i]
            return s.isEmpty ? nil : s
        }
        guard let unitID = value(unitID) else { throw RecordProblem(field: "unit_id", reason: "missing value") }
        guard let name = value(name) else { throw RecordProblem(field: "name", reason: "missing value") }
        let unitType = value(unitType) ?? "userID"
        let kind: ExposureKind
        let type = value(exposureType)?.lowercased() ?? ""
        if type.contains("layer") {
            kind = .layer
        } else if type.contains("gate") || type.contains("holdout") || type.contains("segment") {
            kind = .gate
        } else if type.isEmpty || type.contains("config") || type.contains("experiment") || type.contains("autotune") {
            kind = .config
        } else {
            throw RecordProblem(field: "exposure_type", reason: "\"\(type)\" is not a gate, config, experiment or layer exposure")
        }
        var time: Int64? = nil
        if let t = value(self.time) {
            guard let ms = Timestamps.parse(t) else { throw RecordProblem(field: "first_exposure_utc", reason: "\"\(t.prefix(40))\" is not a time") }
            time = ms
        }

        // The user: the unit ID under its type, plus what user_dimensions says about it.
        var user = JSONObject()
        if let dims = value(userDimensions) {
            let parsed: JSONValue
            do { parsed = try JSONParser.parse(dims) } catch {
                throw RecordProblem(field: "user_dimensions", reason: "not valid JSON (\(error))")
            }
            guard case .object(let d) = parsed else { throw RecordProblem(field: "user_dimensions", reason: "is \(parsed.kindName), expected an object") }
            var custom = JSONObject()
            for (k, v) in d.members {
                switch k {
                case "userID", "email", "ip", "userAgent", "country", "locale", "appVersion":
                    if v.objectValue == nil && v.arrayValue == nil { user[k] = v } else { custom[k] = v }
                case "customIDs", "statsigEnvironment", "custom":
                    if let o = v.objectValue {
                        if k == "custom" { for (ck, cv) in o.members { custom[ck] = cv } } else { user[k] = .object(o) }
                    }
                default:
                    custom[k] = v
                }
            }
            if !custom.isEmpty { user["custom"] = .object(custom) }
        }
        if unitType.lowercased() == "userid" || unitType.lowercased() == "user_id" {
            user["userID"] = .string(unitID)
        } else {
            var ids = user["customIDs"]?.objectValue ?? JSONObject()
            ids[unitType] = .string(unitID)
            user["customIDs"] = .object(ids)
        }
        let observation = try UserKeys.observation(.object(user), time: time, line: line)

        var x = ExposureRow(dedupeKey: 0, kind: kind, entity: name)
        x.unitType = unitType
        x.unitID = unitID
        x.ruleID = value(rule)
        x.groupName = value(group) ?? value(ruleName)
        switch kind {
        case .gate:
            let g = (value(group) ?? value(ruleName))?.lowercased()
            x.value = g == "pass" || g == "true" ? "true" : (g == "fail" || g == "false" ? "false" : nil)
        case .config:
            x.value = x.ruleID
        case .layer:
            x.value = nil
        }
        x.time = time
        x.line = line
        var key = [UInt8]("warehouse".utf8)
        for part in [kind.rawValue, name, unitType, unitID, x.ruleID ?? "", x.groupName ?? "", time.map(String.init) ?? ""] {
            key.append(0x1F)
            key.append(contentsOf: part.utf8)
        }
        x.dedupeKey = SHA256Stream.prefix64(key)
        return (x, observation)
    }
}
