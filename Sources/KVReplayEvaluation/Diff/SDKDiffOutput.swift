public import KVReplayModel
import Foundation

extension SDKDiff {
    /// Where the inputs came from, for the report's header.
    public struct Inputs: Sendable {
        public var payloadFile: String
        public var payloadFormat: PayloadFormat
        public var usersFile: String
        /// User lines that could not be read (not evaluated).
        public var skippedUserLines: Int

        public init(payloadFile: String, payloadFormat: PayloadFormat, usersFile: String, skippedUserLines: Int) {
            self.payloadFile = payloadFile
            self.payloadFormat = payloadFormat
            self.usersFile = usersFile
            self.skippedUserLines = skippedUserLines
        }
    }


    static func object(_ members: [(String, JSONValue)]) -> JSONValue {
        var o = JSONObject()
        for (k, v) in members { o[k] = v }
        return .object(o)
    }

    static func int(_ n: Int) -> JSONValue { .int(Int64(n)) }
}

extension SDKDiff.Outcome {
    var json: JSONValue {
        var o = JSONObject()
        o["value"] = value
        o["rule_id"] = .string(ruleID)
        o["group_name"] = groupName.map(JSONValue.string) ?? .null
        o["reason"] = .string(reason.rawValue)
        return .object(o)
    }
}

extension SDKDiff.Report {
    /// The report as JSON (keys sorted when written with `JSONWriter(style: .python)`):
    /// `{inputs, from, to, sdks, now_ms, summary, entities: [{kind, name, id_type, users, differing_users, value_differs,
    /// rule_differs, group_differs, causes: [{cause, users}], examples: [{u, unit_id, cause, from, to}]}]}`.
    public func json(_ inputs: SDKDiff.Inputs) -> JSONValue {
        var root = JSONObject()
        let int = SDKDiff.int
        root["inputs"] = SDKDiff.object([
            ("payload", .string(inputs.payloadFile)), ("payload_format", .string(inputs.payloadFormat.rawValue)),
            ("users", .string(inputs.usersFile)), ("users_evaluated", int(users)),
            ("user_lines_skipped", int(inputs.skippedUserLines)), ("users_rejected", int(rejected)),
        ])
        root["from"] = .string(from.rawValue)
        root["to"] = .string(to.rawValue)
        root["sdks"] = SDKDiff.object([(from.rawValue, .string(from.sdkName)), (to.rawValue, .string(to.sdkName))])
        root["now_ms"] = .int(now)
        root["summary"] = SDKDiff.object([
            ("entities", int(entities.count)), ("entities_differing", int(entitiesDiffering)),
            ("evaluations", int(recordsCompared)), ("evaluations_differing", int(recordsDiffering)),
        ])
        root["entities"] = .array(entities.map { e in
            var o = JSONObject()
            o["kind"] = .string(e.entity.kind.rawValue)
            o["name"] = .string(e.entity.name)
            o["id_type"] = .string(e.idType)
            o["users"] = .int(Int64(e.users))
            o["differing_users"] = .int(Int64(e.differing))
            o["value_differs"] = .int(Int64(e.valueDiffers))
            o["rule_differs"] = .int(Int64(e.ruleDiffers))
            o["group_differs"] = .int(Int64(e.groupDiffers))
            o["causes"] = .array(e.sortedCauses.map { c in SDKDiff.object([("cause", .string(c.cause)), ("users", int(c.users))]) })
            o["examples"] = .array(e.examples.map { x in
                var ex = JSONObject()
                ex["u"] = .int(Int64(x.u))
                ex["unit_id"] = .string(x.unitID)
                ex["cause"] = .string(x.cause)
                ex["from"] = x.from.json
                ex["to"] = x.to.json
                return .object(ex)
            })
            return .object(o)
        })
        return .object(root)
    }

    /// The report as Markdown: a summary table of the entities with differences, then one section per such entity
    /// (causes and example users).
    public func markdown(_ inputs: SDKDiff.Inputs) -> String {
        var out = "# SDK migration audit: \(from.rawValue) (\(from.sdkName)) → \(to.rawValue) (\(to.sdkName))\n\n"
        out += "- payload: `\(inputs.payloadFile)` (\(inputs.payloadFormat.rawValue), \(entities.count) entities)\n"
        out += "- users: `\(inputs.usersFile)`, \(users) evaluated"
        if inputs.skippedUserLines > 0 { out += ", \(inputs.skippedUserLines) unreadable line(s) skipped" }
        out += "\n"
        if rejected > 0 {
            out += "- \(rejected) user(s) rejected by one of the SDKs (neither userID nor customIDs): every entity is an error there\n"
        }
        out += "- now: \(now) ms\n\n"
        let differing = entities.filter { $0.differing > 0 }
        if differing.isEmpty {
            out += "**Every entity gives every user the same value, rule ID and group name under both SDKs.** "
            out += "(\(recordsCompared) evaluations compared.)\n"
            return out
        }
        out += "**\(differing.count) of \(entities.count) entities** give at least one user a different value, rule ID or group name; "
        out += "\(recordsDiffering) of \(recordsCompared) evaluations differ.\n\n"
        out += "| entity | kind | users | differing | value | rule | group | main cause |\n|---|---|---:|---:|---:|---:|---:|---|\n"
        for e in differing {
            let main = e.sortedCauses.first.map { "\(md($0.cause)) (\($0.users))" } ?? ""
            out += "| `\(md(e.entity.name))` | \(e.entity.kind.rawValue) | \(e.users) | \(e.differing) (\(percent(e.differing, e.users))) "
            out += "| \(e.valueDiffers) | \(e.ruleDiffers) | \(e.groupDiffers) | \(main) |\n"
        }
        let same = entities.count - differing.count
        if same > 0 { out += "\n\(same) other entit\(same == 1 ? "y agrees" : "ies agree") for every user.\n" }
        for e in differing {
            out += "\n## \(e.entity.kind.rawValue) `\(md(e.entity.name))`\n\n"
            out += "\(e.differing) of \(e.users) users differ (value \(e.valueDiffers), rule \(e.ruleDiffers), group \(e.groupDiffers)).\n\n"
            out += "| cause | users |\n|---|---:|\n"
            for c in e.sortedCauses { out += "| \(md(c.cause)) | \(c.users) |\n" }
            out += "\n| user | unit ID (\(md(e.idType))) | \(from.rawValue): value / rule / group | \(to.rawValue): value / rule / group | cause |\n|---:|---|---|---|---|\n"
            for x in e.examples {
                out += "| \(x.u) | `\(md(x.unitID))` | \(outcome(x.from)) | \(outcome(x.to)) | \(md(x.cause)) |\n"
            }
        }
        return out
    }

    private func outcome(_ o: SDKDiff.Outcome) -> String {
        var v = JSONWriter(style: .python).string(o.value)
        if v.count > 60 { v = String(v.prefix(57)) + "..." }
        let reason = o.reason == .ok ? "" : " (\(o.reason.rawValue))"
        return "`\(md(v))` / `\(md(o.ruleID))` / \(o.groupName.map { "`\(md($0))`" } ?? "—")\(reason)"
    }

    private func percent(_ n: Int, _ d: Int) -> String {
        guard d > 0 else { return "0%" }
        let p = Double(n) * 100 / Double(d)
        return p >= 10 || p == 0 ? "\(Int(p.rounded()))%" : String(format: "%.1f%%", p)
    }

    /// Escapes `|` and line breaks for a table cell.
    private func md(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "`", with: "'")
    }
}
