import Foundation
import GRDB

/// What the database holds (`kvreplay status`).
public struct StoreStatus: Sendable, Equatable {
    public var path: String
    public var migrations: [String]
    public var sourceFiles: Int64
    public var failedFiles: Int64
    /// Distinct payloads, "no change" (`has_updates: false`) ones included.
    public var snapshots: Int64
    public var noChangeSnapshots: Int64
    public var snapshotCaptures: Int64
    public var snapshotEntities: Int64
    public var overKVLimit: Int64
    public var firstLcut: Int64?
    public var lastLcut: Int64?
    public var largestSnapshotBytes: Int64?
    public var users: Int64
    public var exposures: Int64
    public var firstExposureTime: Int64?
    public var lastExposureTime: Int64?
    public var idLists: Int64
    public var idListEntries: Int64
    public var rejects: Int64

    /// The JSON form: keys sorted, one object.
    public var json: String {
        func n(_ v: Int64?) -> String { v.map(String.init) ?? "null" }
        let migrationsJSON = "[" + migrations.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let members: [(String, String)] = [
            ("exposure_time_first", n(firstExposureTime)),
            ("exposure_time_last", n(lastExposureTime)),
            ("exposures", n(exposures)),
            ("failed_files", n(failedFiles)),
            ("id_list_entries", n(idListEntries)),
            ("id_lists", n(idLists)),
            ("lcut_first", n(firstLcut)),
            ("lcut_last", n(lastLcut)),
            ("migrations", migrationsJSON),
            ("rejects", n(rejects)),
            ("snapshot_bytes_max", n(largestSnapshotBytes)),
            ("snapshot_captures", n(snapshotCaptures)),
            ("snapshot_entities", n(snapshotEntities)),
            ("snapshots", n(snapshots)),
            ("snapshots_no_change", n(noChangeSnapshots)),
            ("snapshots_over_kv_limit", n(overKVLimit)),
            ("source_files", n(sourceFiles)),
            ("users", n(users)),
        ]
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// A snapshot as replay and reports read it (without its payload bytes).
public struct SnapshotInfo: Sendable, Equatable {
    public var id: Int64
    public var sha256: String
    public var kvKey: String?
    public var kvID: String?
    public var lcut: Int64?
    public var capturedAt: Int64?
    public var capturedAtSource: String?
    public var format: String
    public var hasUpdates: Bool
    public var sizeBytes: Int64
    public var overKVLimit: Bool
    public var counts: SnapshotCounts
}

/// A user of the population.
public struct UserRecord: Sendable, Equatable {
    /// Stable integer id (`users.id`), referenced by `exposures.user_row`.
    public var id: Int64
    public var unitKey: String
    public var userID: String?
    /// Custom IDs as a JSON object (keys sorted), nil when none.
    public var customIDs: String?
    /// The latest full user object, compact JSON.
    public var json: String
    public var firstSeen: Int64?
    public var lastSeen: Int64?
}

/// A stored exposure.
public struct ExposureRecord: Sendable, Equatable {
    public var id: Int64
    public var userRow: Int64?
    public var sourceFileID: Int64
    public var row: ExposureRow
}

extension Store {
    /// Counts and ranges of what the database holds.
    public func status() throws(StoreError) -> StoreStatus {
        let migrations = try appliedMigrations()
        return try read { db in
            func count(_ sql: String) throws -> Int64 { try Int64.fetchOne(db, sql: sql) ?? 0 }
            func value(_ sql: String) throws -> Int64? { try Int64.fetchOne(db, sql: sql) }
            return StoreStatus(
                path: path, migrations: migrations,
                sourceFiles: try count("SELECT count(*) FROM source_files"),
                failedFiles: try count("SELECT count(*) FROM source_files WHERE status = 'failed'"),
                snapshots: try count("SELECT count(*) FROM snapshots"),
                noChangeSnapshots: try count("SELECT count(*) FROM snapshots WHERE has_updates = 0"),
                snapshotCaptures: try count("SELECT count(*) FROM snapshot_captures"),
                snapshotEntities: try count("SELECT count(*) FROM snapshot_entities"),
                overKVLimit: try count("SELECT count(*) FROM snapshots WHERE over_kv_limit = 1"),
                firstLcut: try value("SELECT min(lcut) FROM snapshots WHERE has_updates = 1"),
                lastLcut: try value("SELECT max(lcut) FROM snapshots WHERE has_updates = 1"),
                largestSnapshotBytes: try value("SELECT max(size_bytes) FROM snapshots"),
                users: try count("SELECT count(*) FROM users"),
                exposures: try count("SELECT count(*) FROM exposures"),
                firstExposureTime: try value("SELECT min(time) FROM exposures"),
                lastExposureTime: try value("SELECT max(time) FROM exposures"),
                idLists: try count("SELECT count(*) FROM id_lists"),
                idListEntries: try count("SELECT count(*) FROM id_list_entries"),
                rejects: try count("SELECT count(*) FROM rejects"))
        }
    }

    /// The file with this content hash, if it was ingested before.
    public func sourceFile(sha256: String) throws(StoreError) -> SourceFileRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM source_files WHERE sha256 = ?", arguments: [sha256]).map(SourceFileRecord.init(row:))
        }
    }

    /// Files whose probe (size and first MiB) is this one.
    public func sourceFiles(probe: String) throws(StoreError) -> [SourceFileRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM source_files WHERE probe = ?", arguments: [probe]).map(SourceFileRecord.init(row:))
        }
    }

    /// Every ingested file, in ingest order.
    public func sourceFiles() throws(StoreError) -> [SourceFileRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM source_files ORDER BY id").map(SourceFileRecord.init(row:)) }
    }

    /// Snapshots in replay order: by lcut, then capture time, then id.
    /// - Parameter includeNoChange: include `has_updates: false` payloads (they carry no config).
    public func snapshots(includeNoChange: Bool = false) throws(StoreError) -> [SnapshotInfo] {
        try read { db in
            let filter = includeNoChange ? "" : "WHERE has_updates = 1"
            return try Row.fetchAll(db, sql: "SELECT * FROM snapshots \(filter) ORDER BY lcut, captured_at, id").map { row in
                var c = SnapshotCounts()
                c.featureGates = row["feature_gates"]
                c.dynamicConfigs = row["dynamic_configs"]
                c.layerConfigs = row["layer_configs"]
                c.gates = row["gates"]
                c.segments = row["segments"]
                c.holdouts = row["holdouts"]
                c.configs = row["configs"]
                c.experiments = row["experiments"]
                c.autotunes = row["autotunes"]
                c.layers = row["layers"]
                c.invalidSpecs = row["invalid_specs"]
                c.conditions = row["conditions"]
                c.idListNames = row["id_list_names"]
                return SnapshotInfo(
                    id: row["id"], sha256: row["sha256"], kvKey: row["kv_key"], kvID: row["kv_id"], lcut: row["lcut"],
                    capturedAt: row["captured_at"], capturedAtSource: row["captured_at_source"], format: row["format"],
                    hasUpdates: row["has_updates"], sizeBytes: row["size_bytes"], overKVLimit: row["over_kv_limit"], counts: c)
            }
        }
    }

    /// The payload of a snapshot, exactly as stored in KV (decompressed).
    public func payload(snapshotID: Int64) throws(StoreError) -> [UInt8] {
        try read { db in try ReplayReads.payload(db, snapshotID: snapshotID) }
    }

    /// The specs of a snapshot, by collection then name.
    public func entities(snapshotID: Int64) throws(StoreError) -> [SnapshotEntityRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM snapshot_entities WHERE snapshot_id = ? ORDER BY collection, name",
                             arguments: [snapshotID]).map { r in
                SnapshotEntityRow(
                    collection: r["collection"], name: r["name"], kind: r["kind"], entity: r["entity"], jsonBytes: r["json_bytes"],
                    specSHA256: r["spec_sha256"], rules: r["rules"], enabled: r["enabled"], isActive: r["is_active"],
                    version: r["version"], idType: r["id_type"], valid: r["valid"], problem: r["problem"])
            }
        }
    }

    public func userCount() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT count(*) FROM users") ?? 0 }
    }

    /// Visits every user in id order, `batchSize` at a time, without loading the population at once.
    public func forEachUserBatch(batchSize: Int = 10_000, _ body: ([UserRecord]) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch: [UserRecord] = try read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, unit_key, user_id, custom_ids, user_json, first_seen, last_seen FROM users
                    WHERE id > ? ORDER BY id LIMIT ?
                    """, arguments: [after, batchSize]).map { r in
                    UserRecord(id: r[0], unitKey: r[1], userID: r[2], customIDs: r[3], json: r[4], firstSeen: r[5], lastSeen: r[6])
                }
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
        }
    }

    /// Visits every exposure in id order with all its columns, `batchSize` at a time (the audit reads fewer:
    /// ``forEachAuditExposureBatch(batchSize:_:)``).
    public func forEachExposureBatch(batchSize: Int = 50_000, _ body: ([ExposureRecord]) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch: [ExposureRecord] = try read { db in
                try ExposureRecord.fetch(db, after: after, limit: batchSize)
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
        }
    }

    /// ID lists: name → sorted 8-character ID hashes.
    public func idLists() throws(StoreError) -> [String: [String]] {
        try read { db in
            var out: [String: [String]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT l.name, e.hash FROM id_lists l LEFT JOIN id_list_entries e ON e.list_id = l.id ORDER BY l.name, e.hash
                """)
            while let r = try rows.next() {
                let name: String = r[0]
                let hash: String? = r[1]
                if let hash { out[name, default: []].append(hash) } else { out[name] = out[name] ?? [] }
            }
            return out
        }
    }

    /// Rejected records, in the order they were found.
    public func rejects(limit: Int = Int.max) throws(StoreError) -> [(source: String, row: RejectRow)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rejects ORDER BY id LIMIT ?", arguments: [limit]).map { r in
                (r["source"], RejectRow(line: r["line"], record: r["record"], field: r["field"], reason: r["reason"], excerpt: r["excerpt"]))
            }
        }
    }

    /// Runs a read-only SQL query and returns the first column of the first row as an integer (for tests and tools).
    public func scalar(_ sql: String) throws(StoreError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: sql) }
    }

    /// Runs a read-only SQL query and returns every row as text columns (for tests and tools).
    public func rows(_ sql: String) throws(StoreError) -> [[String?]] {
        try read { db in
            try Row.fetchAll(db, sql: sql).map { r in
                (0..<r.count).map { i -> String? in
                    let v: DatabaseValue = r[i]
                    switch v.storage {
                    case .null: return nil
                    case .int64(let n): return String(n)
                    case .double(let d): return String(d)
                    case .string(let s): return s
                    case .blob(let b): return "<\(b.count) bytes>"
                    }
                }
            }
        }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound database.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }
}

extension ExposureRecord {
    /// Every column of `exposures`, in the order ``init(row:)`` reads them by index.
    static let columns = """
        id, dedupe_key, kind, CAST(entity AS BLOB), unit_type, unit_id, user_row, value, group_name, rule_id, rule_passed, parameter_name,
        allocated_experiment, is_explicit_parameter, time, lcut, received_at, config_version, reason, sdk_type, sdk_version,
        sampling_rate, sampling_mode, shadow_logged, is_manual, source_file_id, line, record
        """

    /// Up to `limit` exposures with ids above `after`, in id order.
    static func fetch(_ db: Database, after: Int64, limit: Int) throws -> [ExposureRecord] {
        try Row.fetchAll(db, sql: "SELECT \(columns) FROM exposures WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit]).map(ExposureRecord.init(row:))
    }

    /// A row of ``columns``, read by index.
    init(row r: Row) {
        var e = ExposureRow(dedupeKey: r[1], kind: ExposureKind(rawValue: r[2]) ?? .gate, entity: ExactText.read(r, at: 3))
        e.unitType = r[4]
        e.unitID = r[5]
        e.value = r[7]
        e.groupName = r[8]
        e.ruleID = r[9]
        e.rulePassed = r[10]
        e.parameterName = r[11]
        e.allocatedExperiment = r[12]
        e.isExplicitParameter = r[13]
        e.time = r[14]
        e.lcut = r[15]
        e.receivedAt = r[16]
        e.configVersion = r[17]
        e.reason = r[18]
        e.sdkType = r[19]
        e.sdkVersion = r[20]
        e.samplingRate = r[21]
        e.samplingMode = r[22]
        e.shadowLogged = r[23]
        e.isManual = r[24]
        e.line = r[26]
        e.record = r[27]
        self.init(id: r[0], userRow: r[6], sourceFileID: r[25], row: e)
    }
}
