import Foundation
import GRDB
import GRDBSQLite

/// Writes inside one transaction of ``Store/writeTransaction(_:)``. Valid only inside that call.
///
/// Statements are prepared once per transaction and reused for every row. Users go through a write-behind
/// cache: the first sighting of a unit key in a transaction looks the user up (or inserts it, which gives it
/// its id); later sightings only update the cached entry, and changed entries are written on ``flush()``
/// (at commit, or when the cache is full), so a user seen a million times costs one lookup and one update.
public final class StoreWriter {
    let db: Database
    private var statements: [String: Statement] = [:]
    private var exposureStatement: Statement?
    private var users: [String: CachedUser] = [:]
    private var cachedUserBytes = 0
    /// Entries are written and the cache emptied when it holds more than this many bytes of keys and objects.
    public var userCacheLimit = 32 << 20

    /// Users inserted in this transaction.
    public private(set) var usersAdded: Int64 = 0

    init(db: Database) {
        self.db = db
    }

    func close() {
        statements.removeAll()
        exposureStatement = nil
    }

    private func statement(_ sql: String) throws -> Statement {
        if let s = statements[sql] { return s }
        let s = try db.makeStatement(sql: sql)
        statements[sql] = s
        return s
    }

    /// Writes pending user updates.
    public func flush() throws {
        try flushUsers()
    }

    // MARK: Source files

    /// The file with this content hash, if it was ingested before.
    public func sourceFile(sha256: String) throws -> SourceFileRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM source_files WHERE sha256 = ?", arguments: [sha256]).map(SourceFileRecord.init(row:))
    }

    /// Records a file at the start of its ingest; its counts are set by ``finishSourceFile(id:result:)``.
    public func beginSourceFile(sha256: String, path: String, kind: SourceKind, bytes: Int64, ingestedAt: Int64) throws -> Int64 {
        try statement("""
            INSERT INTO source_files (sha256, path, kind, bytes, status, ingested_at) VALUES (?, ?, ?, ?, 'ok', ?)
            """).execute(arguments: [sha256, path, kind.rawValue, bytes, ingestedAt])
        return db.lastInsertedRowID
    }

    /// Sets the content hash and size of a file known only after it was read (standard input).
    public func updateSourceFileIdentity(id: Int64, sha256: String, bytes: Int64) throws {
        try statement("UPDATE source_files SET sha256 = ?, bytes = ? WHERE id = ?").execute(arguments: [sha256, bytes, id])
    }

    public func finishSourceFile(id: Int64, result: SourceFileResult) throws {
        try statement("""
            UPDATE source_files SET format = ?, status = ?, records = ?, added = ?, duplicates = ?, rejected = ?, error = ?
            WHERE id = ?
            """).execute(arguments: [result.format, result.status.rawValue, result.records, result.added, result.duplicates,
                                     result.rejected, result.error, id])
    }

    // MARK: Rejects

    public func insertReject(_ r: RejectRow, sourceFileID: Int64?, source: String) throws {
        try statement("""
            INSERT INTO rejects (source_file_id, source, line, record, field, reason, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sourceFileID, source, r.line, r.record, r.field, r.reason, r.excerpt])
    }

    // MARK: Snapshots

    /// Stores a payload (once per content hash) and records this capture of it.
    /// - Returns: the snapshot's id and whether the payload was new.
    public func insertSnapshot(_ s: SnapshotInsert, sourceFileID: Int64) throws -> (id: Int64, isNew: Bool) {
        var id = try Int64.fetchOne(db, sql: "SELECT id FROM snapshots WHERE sha256 = ?", arguments: [s.sha256])
        let isNew = id == nil
        if isNew {
            let c = s.counts
            let args1: [(any DatabaseValueConvertible)?] = [
                s.sha256, s.kvKey, s.kvID, s.lcut, s.capturedAt, s.capturedAtSource?.rawValue, s.format, s.hasUpdates,
                s.sizeBytes, s.overKVLimit, s.companyID,
            ]
            let args2: [(any DatabaseValueConvertible)?] = [
                c.featureGates, c.dynamicConfigs, c.layerConfigs, c.gates, c.segments, c.holdouts, c.configs, c.experiments,
                c.autotunes, c.layers, c.invalidSpecs, c.conditions, c.idListNames,
                Data(s.payloadZlib), s.payloadZlib.count, sourceFileID, s.sourceRecord,
            ]
            try statement("""
                INSERT INTO snapshots (sha256, kv_key, kv_id, lcut, captured_at, captured_at_source, format, has_updates,
                    size_bytes, over_kv_limit, company_id, feature_gates, dynamic_configs, layer_configs, gates, segments,
                    holdouts, configs, experiments, autotunes, layers, invalid_specs, conditions, id_list_names,
                    payload_zlib, payload_zlib_bytes, source_file_id, source_record)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: StatementArguments(args1 + args2))
            id = db.lastInsertedRowID
            let insertEntity = try statement("""
                INSERT OR IGNORE INTO snapshot_entities (snapshot_id, collection, name, kind, entity, json_bytes, spec_sha256,
                    rules, enabled, is_active, version, id_type, valid, problem)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for e in s.entities {
                try insertEntity.execute(arguments: [id, e.collection, e.name, e.kind, e.entity, e.jsonBytes, e.specSHA256,
                                                     e.rules, e.enabled, e.isActive, e.version, e.idType, e.valid, e.problem])
            }
        } else if let capturedAt = s.capturedAt {
            // The snapshot's capture time is its earliest capture.
            try statement("""
                UPDATE snapshots SET captured_at = ?, captured_at_source = ?
                WHERE id = ? AND (captured_at IS NULL OR captured_at > ?)
                """).execute(arguments: [capturedAt, s.capturedAtSource?.rawValue, id, capturedAt])
        }
        try statement("""
            INSERT OR IGNORE INTO snapshot_captures (snapshot_id, source_file_id, source_record, kv_key, captured_at, captured_at_source)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, sourceFileID, s.sourceRecord, s.kvKey, s.capturedAt, s.capturedAtSource?.rawValue])
        return (id!, isNew)
    }

    // MARK: Users

    private struct CachedUser {
        var id: Int64
        var firstSeen: Int64?
        var lastSeen: Int64?
        var json: String
        var sourceFileID: Int64?
        var sourceLine: Int64?
        var dirty: Bool
    }

    /// True when `(t1, j1)` is later than `(t2, j2)`: by event time, then (for a deterministic tie-break) by the object's text.
    static func isLater(time t1: Int64?, json j1: String, than t2: Int64?, json j2: String) -> Bool {
        let a = t1 ?? Int64.min
        let b = t2 ?? Int64.min
        if a != b { return a > b }
        return j2.utf8.lexicographicallyPrecedes(j1.utf8)
    }

    /// Folds a sighting into a user. The kept object is always the one seen at `lastSeen` (a later sighting
    /// replaces it), so comparing with `lastSeen` compares with the kept object's time.
    private static func merge(_ u: UserObservation, into c: inout CachedUser, sourceFileID: Int64) {
        if isLater(time: u.time, json: u.json, than: c.lastSeen, json: c.json) {
            c.json = u.json
            c.sourceFileID = sourceFileID
            c.sourceLine = u.line
            c.dirty = true
        }
        if let t = u.time {
            if c.firstSeen == nil || t < c.firstSeen! { c.firstSeen = t; c.dirty = true }
            if c.lastSeen == nil || t > c.lastSeen! { c.lastSeen = t; c.dirty = true }
        }
    }

    /// The id of the user with this unit key, inserting it when new; keeps the latest full object.
    public func resolveUser(_ u: UserObservation, sourceFileID: Int64) throws -> Int64 {
        if var c = users[u.unitKey] {
            let before = c.json.utf8.count
            Self.merge(u, into: &c, sourceFileID: sourceFileID)
            cachedUserBytes += c.json.utf8.count - before
            users[u.unitKey] = c
            return c.id
        }
        var entry: CachedUser
        if let row = try Row.fetchOne(
            try statement("SELECT id, first_seen, last_seen, user_json, source_file_id, source_line FROM users WHERE unit_key = ?"),
            arguments: [u.unitKey])
        {
            entry = CachedUser(id: row[0], firstSeen: row[1], lastSeen: row[2], json: row[3], sourceFileID: row[4],
                               sourceLine: row[5], dirty: false)
            Self.merge(u, into: &entry, sourceFileID: sourceFileID)
        } else {
            try statement("""
                INSERT INTO users (unit_key, user_id, custom_ids, user_json, first_seen, last_seen, source_file_id, source_line)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [u.unitKey, u.userID, u.customIDs, u.json, u.time, u.time, sourceFileID, u.line])
            usersAdded += 1
            entry = CachedUser(id: db.lastInsertedRowID, firstSeen: u.time, lastSeen: u.time, json: u.json,
                               sourceFileID: sourceFileID, sourceLine: u.line, dirty: false)
        }
        if cachedUserBytes > userCacheLimit { try flushUsers() }
        users[u.unitKey] = entry
        cachedUserBytes += u.unitKey.utf8.count + entry.json.utf8.count + 96
        return entry.id
    }

    private func flushUsers() throws {
        let update = try statement("""
            UPDATE users SET user_json = ?, first_seen = ?, last_seen = ?, source_file_id = ?, source_line = ? WHERE id = ?
            """)
        for (_, c) in users where c.dirty {
            try update.execute(arguments: [c.json, c.firstSeen, c.lastSeen, c.sourceFileID, c.sourceLine, c.id])
        }
        users.removeAll(keepingCapacity: true)
        cachedUserBytes = 0
    }

    // MARK: Exposures

    /// Inserts an exposure unless one with the same dedupe key exists. Returns true when it was new.
    ///
    /// The hot path of a log ingest: the statement is prepared once and bound through the SQLite C API
    /// (GRDB's argument boxing costs about half the insert rate).
    public func insertExposure(_ e: ExposureRow, userRow: Int64?, sourceFileID: Int64) throws -> Bool {
        let s: Statement
        if let existing = exposureStatement {
            s = existing
        } else {
            s = try db.makeStatement(sql: """
                INSERT INTO exposures (dedupe_key, kind, entity, unit_type, unit_id, user_row, value, group_name, rule_id,
                    rule_passed, parameter_name, allocated_experiment, is_explicit_parameter, time, lcut, received_at,
                    config_version, reason, sdk_type, sdk_version, sampling_rate, sampling_mode, shadow_logged, is_manual,
                    source_file_id, line, record)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dedupe_key) DO NOTHING
                """)
            exposureStatement = s
        }
        let stmt = s.sqliteStatement
        sqlite3_reset(stmt)
        var b = RawBinder(stmt: stmt)
        b.bind(e.dedupeKey)
        b.bind(e.kind.rawValue)
        b.bind(e.entity)
        b.bind(e.unitType)
        b.bind(e.unitID)
        b.bind(userRow)
        b.bind(e.value)
        b.bind(e.groupName)
        b.bind(e.ruleID)
        b.bind(e.rulePassed)
        b.bind(e.parameterName)
        b.bind(e.allocatedExperiment)
        b.bind(e.isExplicitParameter)
        b.bind(e.time)
        b.bind(e.lcut)
        b.bind(e.receivedAt)
        b.bind(e.configVersion)
        b.bind(e.reason)
        b.bind(e.sdkType)
        b.bind(e.sdkVersion)
        b.bind(e.samplingRate)
        b.bind(e.samplingMode)
        b.bind(e.shadowLogged)
        b.bind(e.isManual)
        b.bind(sourceFileID)
        b.bind(e.line)
        b.bind(e.record)
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(stmt)
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: s.sql)
        }
        return sqlite3_changes(db.sqliteConnection) > 0
    }

    // MARK: ID lists

    /// The id of the ID list named `name`, created when missing.
    public func idList(named name: String, sourceFileID: Int64) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM id_lists WHERE name = ?", arguments: [name]) {
            try statement("UPDATE id_lists SET source_file_id = ? WHERE id = ?").execute(arguments: [sourceFileID, id])
            return id
        }
        try statement("INSERT INTO id_lists (name, source_file_id) VALUES (?, ?)").execute(arguments: [name, sourceFileID])
        return db.lastInsertedRowID
    }

    /// Adds an 8-character ID hash to a list. Returns true when it was not there.
    public func addIDListEntry(list: Int64, hash: String) throws -> Bool {
        try statement("INSERT OR IGNORE INTO id_list_entries (list_id, hash) VALUES (?, ?)").execute(arguments: [list, hash])
        return db.changesCount > 0
    }

    /// Removes an 8-character ID hash from a list. Returns true when it was there.
    public func removeIDListEntry(list: Int64, hash: String) throws -> Bool {
        try statement("DELETE FROM id_list_entries WHERE list_id = ? AND hash = ?").execute(arguments: [list, hash])
        return db.changesCount > 0
    }

    /// Empties a list (before it is replaced by a full copy).
    public func clearIDList(_ list: Int64) throws {
        try statement("DELETE FROM id_list_entries WHERE list_id = ?").execute(arguments: [list])
    }

    /// Recomputes the `entries` count of a list.
    public func refreshIDListCount(_ list: Int64) throws {
        try statement("UPDATE id_lists SET entries = (SELECT count(*) FROM id_list_entries WHERE list_id = ?) WHERE id = ?")
            .execute(arguments: [list, list])
    }
}

/// Binds parameters 1, 2, 3, ... of a prepared statement through the C API.
struct RawBinder {
    let stmt: OpaquePointer
    var index: Int32 = 1

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    @inline(__always) mutating func bind(_ v: Int64?) {
        if let v { sqlite3_bind_int64(stmt, index, v) } else { sqlite3_bind_null(stmt, index) }
        index += 1
    }

    @inline(__always) mutating func bind(_ v: Bool?) {
        if let v { sqlite3_bind_int64(stmt, index, v ? 1 : 0) } else { sqlite3_bind_null(stmt, index) }
        index += 1
    }

    @inline(__always) mutating func bind(_ v: String?) {
        if var v {
            let i = index
            v.withUTF8 { u in
                if let base = u.baseAddress {
                    _ = UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: u.count) { p in
                        sqlite3_bind_text(stmt, i, p, Int32(u.count), RawBinder.transient)
                    }
                } else {
                    _ = sqlite3_bind_text(stmt, i, "", 0, RawBinder.transient)
                }
            }
        } else {
            sqlite3_bind_null(stmt, index)
        }
        index += 1
    }
}

extension SourceFileRecord {
    init(row: Row) {
        self.init(
            id: row["id"], sha256: row["sha256"], path: row["path"], kind: SourceKind(rawValue: row["kind"]) ?? .logs,
            format: row["format"], bytes: row["bytes"], status: SourceStatus(rawValue: row["status"]) ?? .failed,
            records: row["records"], added: row["added"], duplicates: row["duplicates"], rejected: row["rejected"],
            error: row["error"], ingestedAt: row["ingested_at"])
    }
}
