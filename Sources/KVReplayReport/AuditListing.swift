public import KVReplayStore
import KVReplayEngine
import KVReplayModel

/// `kvreplay audit`: audited exposures, one per line, in text, JSON Lines or CSV.
public struct AuditListing: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text, json, csv
    }

    public var format: Format
    /// Show unit IDs as logged instead of short hashes.
    public var includePII = false
    /// Keep CSV cells that a spreadsheet would run as formulas as they are.
    public var rawCSVFormulas = false

    public init(format: Format, includePII: Bool = false, rawCSVFormulas: Bool = false) {
        self.format = format
        self.includePII = includePII
        self.rawCSVFormulas = rawCSVFormulas
    }

    static let csvColumns = ["exposure_id", "verdict", "cause", "kind", "entity", "event_time", "source", "user", "edge", "logged_value",
                             "logged_rule_id", "logged_group", "expected_value", "expected_rule_id", "expected_group", "newer_value",
                             "newer_rule_id", "newer_group", "stale_lag_ms", "summary"]

    /// The first line (CSV: the header), if the format has one.
    public var header: String? {
        format == .csv ? csvRow(Self.csvColumns, rawFormulas: true) : nil
    }

    func user(_ e: AuditEntry) -> String? {
        e.userLabel.map { includePII ? $0 : ReportModel.showID($0, ReportOptions()) }
    }

    /// One exposure, as a line ending in `\n`.
    public func line(_ e: AuditEntry) -> String {
        let detail = e.causeDetail.flatMap { try? JSONParser.parse($0) }
        let summary = detail?["summary"]?.stringValue ?? ""
        let stale = e.verdict == Verdict.stale.rawValue
        let gate = e.kind == "gate"
        switch format {
        case .text:
            let logged = ReportModel.outcomeText(value: gate ? e.loggedValue : nil, rule: e.loggedRuleID, group: e.loggedGroup)
            let expected = stale ? ReportModel.outcomeText(value: gate ? e.newerValue : nil, rule: e.newerRuleID, group: e.newerGroup)
                : ReportModel.outcomeText(value: gate ? e.expectedValue : nil, rule: e.expectedRuleID, group: e.expectedGroup)
            var parts = ["#\(e.exposureID)", e.verdict, e.cause ?? "-", "\(e.kind) \(e.entity)",
                         e.eventTime.map(ReportModel.dateTimeSeconds) ?? "-", e.location, user(e) ?? "(no user)",
                         "logged \(logged)", "\(stale ? "newer" : "expected") \(expected)"]
            if let lag = e.staleLagMs { parts.append("lag \(ReportModel.durationText(lag))") }
            if !summary.isEmpty { parts.append(summary) }
            return parts.map(\.visibleEscaped).joined(separator: "  ") + "\n"
        case .json:
            func s(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
            func i(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
            func outcome(_ value: String?, _ rule: String?, _ group: String?) -> JSONValue {
                .object(JSONObject([("value", s(value)), ("rule_id", s(rule)), ("group", s(group))]))
            }
            var m: [(String, JSONValue)] = [
                ("exposure_id", .int(e.exposureID)), ("verdict", .string(e.verdict)), ("cause", s(e.cause)),
                ("cause_detail", detail ?? .null), ("kind", .string(e.kind)), ("entity", .string(e.entity)),
                ("event_time", i(e.eventTime)), ("source", .string(e.location)), ("user", s(user(e))), ("unit_type", s(e.unitType)),
                ("edge", .string(e.edge)), ("sdk_type", s(e.sdkType)), ("fields", .array(e.fields.split(separator: ",").map { .string(String($0)) })),
                ("inferred", .bool(e.inferred)), ("flavor", .string(e.flavor)), ("logged_lcut", i(e.loggedLcut)), ("served_lcut", i(e.servedLcut)),
                ("logged", outcome(e.loggedValue, e.loggedRuleID, e.loggedGroup)),
                ("expected", outcome(e.expectedValue, e.expectedRuleID, e.expectedGroup)),
            ]
            if stale {
                m.append(("newer", outcome(e.newerValue, e.newerRuleID, e.newerGroup)))
                m.append(("newer_lcut", i(e.newerLcut)))
                m.append(("stale_lag_ms", i(e.staleLagMs)))
            }
            return JSONWriter(style: .serde).string(.object(JSONObject(m))).jsonInvisibleEscaped + "\n"
        case .csv:
            return csvRow([String(e.exposureID), e.verdict, e.cause ?? "", e.kind, e.entity, e.eventTime.map(String.init) ?? "", e.location,
                           user(e) ?? "", e.edge, e.loggedValue ?? "", e.loggedRuleID ?? "", e.loggedGroup ?? "", e.expectedValue ?? "",
                           e.expectedRuleID ?? "", e.expectedGroup ?? "", e.newerValue ?? "", e.newerRuleID ?? "", e.newerGroup ?? "",
                           e.staleLagMs.map(String.init) ?? "", summary], rawFormulas: rawCSVFormulas)
        }
    }
}
