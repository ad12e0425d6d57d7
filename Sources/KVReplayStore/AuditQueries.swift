import Foundation
import GRDB

/// Which audited exposures to read (`kvreplay audit`, the report's findings). Every filter is optional.
public struct AuditFilter: Sendable {
    /// Verdicts to keep (any when empty).
    public var verdicts: [String] = []
    /// Only matches are left out (the default of reports and `kvreplay audit`).
    public var nonMatchesOnly = false
    /// The entity's exact name.
    public var entity: String?
    /// The exposure's unit ID, or the userID of its user.
    public var userID: String?
    /// A cause code, or a prefix of one ending at `:` or `/` (`condition` selects every `condition:…`).
    public var cause: String?
    public var limit: Int?

    public init() {}
}

/// One audited exposure with what an operator needs to act on it.
public struct AuditEntry: Sendable, Equatable {
    public var exposureID: Int64
    public var verdict: String
    public var cause: String?
    /// The cause's detail object as JSON (`summary` first).
    public var causeDetail: String?
    public var fields: String
    public var inferred: Bool
    public var flavor: String
    public var kind: String
    public var entity: String
    public var unitType: String?
    public var unitID: String?
    /// How the user is named: the exposure's unit ID, else the user's userID, else its unit key (the set of its IDs).
    public var userLabel: String?
    /// The population row of the exposure's user.
    public var userRow: Int64?
    public var eventTime: Int64?
    /// The lcut the edge logged.
    public var loggedLcut: Int64?
    public var loggedValue: String?
    public var loggedRuleID: String?
    public var loggedGroup: String?
    public var parameterName: String?
    public var expectedValue: String?
    public var expectedRuleID: String?
    public var expectedGroup: String?
    /// The lcut of the config the audit evaluated (the served one).
    public var servedLcut: Int64?
    public var newerLcut: Int64?
    public var newerValue: String?
    public var newerRuleID: String?
    public var newerGroup: String?
    public var staleLagMs: Int64?
    public var sdkType: String?
    public var sdkVersion: String?
    public var sourcePath: String?
    public var line: Int64?
    public var record: Int64?

    public init(exposureID: Int64, verdict: String, cause: String? = nil, causeDetail: String? = nil, fields: String = "", inferred: Bool = false, flavor: String = "core", kind: String, entity: String, unitType: String? = nil, unitID: String? = nil, userLabel: String? = nil, userRow: Int64? = nil, eventTime: Int64? = nil, loggedLcut: Int64? = nil, loggedValue: String? = nil, loggedRuleID: String? = nil, loggedGroup: String? = nil, parameterName: String? = nil, expectedValue: String? = nil, expectedRuleID: String? = nil, expectedGroup: String? = nil, servedLcut: Int64? = nil, newerLcut: Int64? = nil, newerValue: String? = nil, newerRuleID: String? = nil, newerGroup: String? = nil, staleLagMs: Int64? = nil, sdkType: String? = nil, sdkVersion: String? = nil, sourcePath: String? = nil, line: Int64? = nil, record: Int64? = nil) {
        self.exposureID = exposureID
        self.verdict = verdict
        self.cause = cause
        self.causeDetail = causeDetail
        self.fields = fields
        self.inferred = inferred
        self.flavor = flavor
        self.kind = kind
        self.entity = entity
        self.unitType = unitType
        self.unitID = unitID
        self.userLabel = userLabel
        self.userRow = userRow
        self.eventTime = eventTime
        self.loggedLcut = loggedLcut
        self.loggedValue = loggedValue
        self.loggedRuleID = loggedRuleID
        self.loggedGroup = loggedGroup
        self.parameterName = parameterName
        self.expectedValue = expectedValue
        self.expectedRuleID = expectedRuleID
        self.expectedGroup = expectedGroup
        self.servedLcut = servedLcut
        self.newerLcut = newerLcut
        self.newerValue = newerValue
        self.newerRuleID = newerRuleID
        self.newerGroup = newerGroup
        self.staleLagMs = staleLagMs
        self.sdkType = sdkType
        self.sdkVersion = sdkVersion
        self.sourcePath = sourcePath
        self.line = line
        self.record = record
    }

    /// Where the event was read: `path:line`, `path:line#record` (the record's index in a batch body), or the path.
    public var location: String {
        let path = sourcePath ?? "?"
        if let line, let record { return "\(path):\(line)#\(record)" }
        if let line { return "\(path):\(line)" }
        if let record { return "\(path)#\(record)" }
        return path
    }

    /// The edge that logged the exposure: its SDK type and the log source with dates and timestamps taken out of
    /// the path (`logs/2026-03-01/edge-02_log_event_1772….json.gz` → `logs/edge-02`; `isolate-3/1772….json` → `isolate-3`).
    public var edge: String {
        var parts: [String] = []
        let components = (sourcePath ?? "").split(separator: "/").map(String.init)
        for (i, c) in components.enumerated() {
            var token = c
            if i == components.count - 1 {
                token = String(c.prefix { $0 != "_" && $0 != "." })
            }
            let digitsOnly = token.allSatisfy { $0.isNumber || $0 == "-" || $0 == "T" || $0 == ":" }
            if token.isEmpty || digitsOnly || token == "." || token == ".." { continue }
            parts.append(token)
        }
        let source = parts.suffix(2).joined(separator: "/")
        return [sdkType, source.isEmpty ? nil : source].compactMap { $0 }.joined(separator: " ")
    }
}

extension Store {
    /// Visits the audited exposures that pass `filter`, in exposure order, `batchSize` at a time.
    public func forEachAuditEntryBatch(_ filter: AuditFilter, batchSize: Int = 10_000, _ body: ([AuditEntry]) throws -> Void) throws {
        var conditions: [String] = ["a.exposure_id > ?"]
        var arguments: [(any DatabaseValueConvertible)?] = []
        if !filter.verdicts.isEmpty {
            conditions.append("a.verdict IN (\(filter.verdicts.map { _ in "?" }.joined(separator: ",")))")
            arguments.append(contentsOf: filter.verdicts.map { $0 })
        }
        if filter.nonMatchesOnly { conditions.append("a.verdict <> 'match'") }
        if let e = filter.entity {
            conditions.append("e.entity = CAST(? AS TEXT)")
            arguments.append(ExactText.argument(e))
        }
        if let u = filter.userID {
            conditions.append("(e.unit_id = ? OR u.user_id = ?)")
            arguments.append(u)
            arguments.append(u)
        }
        if let c = filter.cause {
            conditions.append("(a.cause = ? OR (substr(a.cause, 1, length(?)) = ? AND substr(a.cause, length(?) + 1, 1) IN (':', '/')))")
            arguments.append(contentsOf: [c, c, c, c])
        }
        let sql = """
            SELECT a.exposure_id, a.verdict, a.cause, a.cause_detail, a.fields, a.inferred, a.flavor, e.kind,
                   CAST(e.entity AS BLOB) AS entity_bytes, e.unit_type, e.unit_id, coalesce(e.unit_id, u.user_id, u.unit_key) AS user_label, e.user_row, coalesce(e.time, e.received_at) AS time,
                   e.lcut, e.value, e.rule_id, e.group_name, e.parameter_name, a.expected_value, a.expected_rule_id, a.expected_group,
                   s.lcut AS served_lcut, n.lcut AS newer_lcut, a.newer_value, a.newer_rule_id, a.newer_group, a.stale_lag_ms,
                   e.sdk_type, e.sdk_version, f.path, e.line, e.record
            FROM audit a JOIN exposures e ON e.id = a.exposure_id
                 LEFT JOIN users u ON u.id = e.user_row
                 LEFT JOIN snapshots s ON s.id = a.snapshot_id
                 LEFT JOIN snapshots n ON n.id = a.newer_snapshot_id
                 LEFT JOIN source_files f ON f.id = e.source_file_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY a.exposure_id LIMIT ?
            """
        var after: Int64 = -1
        var left = filter.limit ?? Int.max
        while left > 0 {
            let n = min(batchSize, left)
            let batch: [AuditEntry] = try read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments([after] + arguments + [n])).map { r in
                    // By index, in the order of the SELECT list.
                    AuditEntry(exposureID: r[0], verdict: r[1], cause: r[2], causeDetail: r[3], fields: r[4], inferred: r[5], flavor: r[6], kind: r[7],
                               entity: ExactText.read(r, at: 8), unitType: r[9], unitID: r[10], userLabel: r[11], userRow: r[12], eventTime: r[13],
                               loggedLcut: r[14], loggedValue: r[15], loggedRuleID: r[16], loggedGroup: r[17], parameterName: r[18],
                               expectedValue: r[19], expectedRuleID: r[20], expectedGroup: r[21], servedLcut: r[22], newerLcut: r[23],
                               newerValue: r[24], newerRuleID: r[25], newerGroup: r[26], staleLagMs: r[27], sdkType: r[28], sdkVersion: r[29],
                               sourcePath: r[30], line: r[31], record: r[32])
                }
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.exposureID
            left -= batch.count
            if batch.count < n { return }
        }
    }

    /// Whether the database holds an audit (a replay ran).
    public func hasAudit() throws(StoreError) -> Bool {
        try read { db in
            // A database opened read-only before any replay may not have the replay tables yet.
            guard try db.tableExists("replay_runs"), try db.columns(in: "audit").contains(where: { $0.name == "cause" }) else { return false }
            return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM replay_runs)") ?? false
        }
    }
}
