import Foundation
import GRDB
import GRDBSQLite

/// Writes inside one transaction of ``Store/writeTransaction(_:)``. Valid only inside that call.
///
/// Statements are prepared once per transaction and reused for every row. Users go through a write-behind
/// cache keyed by a hash of their unit key: the first sighting of a user in a transaction looks it up (or inserts
/// it, which gives it its id); later sightings only update the cached entry, and changed entries are written on
/// ``flush()`` (at commit, or when the cache is full), so a user seen a million times costs one lookup and one update.
public final class StoreWriter {
    let db: Database
    private var statements: [String: Statement] = [:]
    private var exposureStatements: [Int: Statement] = [:]
    private var connection: OpaquePointer?
    private var userIndex: [Int64: Int32] = [:]
    private var userEntries: [CachedUser] = []
    private var userJSON: [[UInt8]] = []
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
        exposureStatements.removeAll()
    }

    private func statement(_ sql: String) throws -> Statement {
        if let s = statements[sql] { return s }
        let s = try db.makeStatement(sql: sql)
        statements[sql] = s
        return s
    }

    /// Bytes of memory SQLite holds (page cache, statements), for diagnostics.
    public var sqliteMemoryUsed: Int64 { sqlite3_memory_used() }

    /// Users held in the write-behind cache, for diagnostics.
    public var cachedUsers: Int { userEntries.count }

    /// Writes pending user updates.
    public func flush() throws {
        try flushUsers()
    }

    // MARK: Source files

    /// Files whose probe (size and first MiB) is this one.
    public func sourceFiles(probe: String) throws -> [SourceFileRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM source_files WHERE probe = ?", arguments: [probe]).map(SourceFileRecord.init(row:))
    }

    /// The file with this content hash, if it was ingested before.
    public func sourceFile(sha256: String) throws -> SourceFileRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM source_files WHERE sha256 = ?", arguments: [sha256]).map(SourceFileRecord.init(row:))
    }

    /// Records a file at the start of its ingest; its counts are set by ``finishSourceFile(id:result:)``.
    public func beginSourceFile(sha256: String, probe: String, path: String, kind: SourceKind, bytes: Int64, ingestedAt: Int64) throws -> Int64 {
        try statement("""
            INSERT INTO source_files (sha256, probe, path, kind, bytes, status, ingested_at) VALUES (?, ?, ?, ?, ?, 'ok', ?)
            """).execute(arguments: [sha256, probe, path, kind.rawValue, bytes, ingestedAt])
        return db.lastInsertedRowID
    }

    /// Sets the content hash and size of a file known only after it was read (standard input).
    public func updateSourceFileIdentity(id: Int64, sha256: String, probe: String, bytes: Int64) throws {
        try statement("UPDATE source_files SET sha256 = ?, probe = ?, bytes = ? WHERE id = ?").execute(arguments: [sha256, probe, bytes, id])
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
                VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for e in s.entities {
                try insertEntity.execute(arguments: [id, e.collection, ExactText.argument(e.name), e.kind, e.entity, e.jsonBytes, e.specSHA256,
                                                     e.rules, e.enabled, e.isActive, e.version, e.idType, e.valid, e.problem])
            }
        } else if let capturedAt = s.capturedAt {
            // The snapshot's capture time is its earliest capture; a time that was given (option, metadata, file name)
            // wins over one taken from the payload's lcut.
            let given = s.capturedAtSource != .lcut
            try statement("""
                UPDATE snapshots SET captured_at = ?, captured_at_source = ?
                WHERE id = ? AND (captured_at IS NULL
                    OR (? AND captured_at_source = 'lcut')
                    OR (captured_at > ? AND (? OR captured_at_source = 'lcut')))
                """).execute(arguments: [capturedAt, s.capturedAtSource?.rawValue, id, given, capturedAt, given])
        }
        try statement("""
            INSERT OR IGNORE INTO snapshot_captures (snapshot_id, source_file_id, source_record, kv_key, captured_at, captured_at_source)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, sourceFileID, s.sourceRecord, s.kvKey, s.capturedAt, s.capturedAtSource?.rawValue])
        return (id!, isNew)
    }

    // MARK: Users and exposures

    /// A user in the write-behind cache: plain values, so that a sighting touches one small record
    /// (the object's text is in `userJSON`, read only when the object changes or times tie).
    struct CachedUser {
        var id: Int64
        var keyHash2: Int64
        var firstSeen: Int64
        var lastSeen: Int64
        var jsonHash: Int64
        var sourceFileID: Int64
        var sourceLine: Int64
        var dirty = false
    }

    /// What ``write(_:sourceFileID:)`` did.
    public struct BatchResult: Sendable {
        public init() {}
        public var exposuresAdded = 0
        public var exposureDuplicates = 0
        public var usersAdded = 0
    }

    /// Writes a batch: every user sighting joins the population (keeping each user's latest object), then every
    /// exposure is inserted unless one with the same dedupe key exists.
    ///
    /// The hot path of a log ingest. Statements are prepared once and bound through the SQLite C API straight
    /// from the batch's arena (GRDB's argument boxing costs about half the insert rate).
    public func write(_ batch: RowBatch, sourceFileID: Int64) throws -> BatchResult {
        var result = BatchResult()
        connection = db.sqliteConnection
        let usersBefore = usersAdded
        try batch.arena.withUnsafeBufferPointer { arena in
            var ids = [Int64](repeating: 0, count: batch.users.count)
            for i in batch.users.indices {
                ids[i] = try resolveUser(batch.users[i], arena: arena, sourceFileID: sourceFileID)
            }
            // Sixteen rows per statement (SQLite's per-statement work is then shared), the rest one by one.
            let multi = try exposureStatement(rows: Self.rowsPerInsert).sqliteStatement
            let single = try exposureStatement(rows: 1).sqliteStatement
            try batch.exposures.withUnsafeBufferPointer { xs in
                var i = 0
                while i < xs.count {
                    let rows = xs.count - i >= Self.rowsPerInsert ? Self.rowsPerInsert : 1
                    let stmt = rows == 1 ? single : multi
                    sqlite3_reset(stmt)
                    for r in 0..<rows {
                        let x = xs.baseAddress! + i + r
                        bindExposure(x, userRow: x.pointee.user >= 0 ? ids[Int(x.pointee.user)] : .min, arena: arena, stmt: stmt,
                                     firstParameter: Int32(r * Self.exposureColumns + 1), sourceFileID: sourceFileID)
                    }
                    try step(stmt)
                    sqlite3_clear_bindings(stmt)
                    let added = Int(sqlite3_changes(connection))
                    result.exposuresAdded += added
                    result.exposureDuplicates += rows - added
                    i += rows
                }
            }
        }
        result.usersAdded = Int(usersAdded - usersBefore)
        return result
    }

    @inline(__always) private static func bytes(_ r: TextRef, _ arena: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        r.isNull ? UnsafeBufferPointer(start: nil, count: 0) : UnsafeBufferPointer(rebasing: arena[Int(r.start)..<(Int(r.start) + Int(r.length))])
    }

    @inline(__always) private static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 }
    }

    /// Byte order of two texts (UTF-8 byte order is code-point order).
    private static func less(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = min(a.count, b.count)
        let c = n == 0 ? 0 : a.withUnsafeBufferPointer { memcmp($0.baseAddress!, b.baseAddress!, n) }
        return c < 0 || (c == 0 && a.count < b.count)
    }

    /// Folds a sighting into a cached user. The kept object is the one seen at `lastSeen` (a later sighting
    /// replaces it; equal times are decided by the object's text, so the result does not depend on input order).
    private func merge(_ u: UserSlots, json: UnsafeBufferPointer<UInt8>, into index: Int, sourceFileID: Int64) {
        var c = userEntries[index]
        let later: Bool
        if u.time != c.lastSeen {
            later = u.time > c.lastSeen
        } else {
            later = u.jsonHash != c.jsonHash && Self.less(userJSON[index], json)
        }
        if later {
            if u.jsonHash != c.jsonHash {
                cachedUserBytes += json.count - userJSON[index].count
                userJSON[index] = Array(json)
                c.jsonHash = u.jsonHash
            }
            c.sourceFileID = sourceFileID
            c.sourceLine = u.line
            c.dirty = true
        }
        if u.time != .min {
            if c.firstSeen == .min || u.time < c.firstSeen { c.firstSeen = u.time; c.dirty = true }
            if c.lastSeen == .min || u.time > c.lastSeen { c.lastSeen = u.time; c.dirty = true }
        }
        userEntries[index] = c
    }

    private func resolveUser(_ u: UserSlots, arena: UnsafeBufferPointer<UInt8>, sourceFileID: Int64) throws -> Int64 {
        let json = Self.bytes(u.json, arena)
        if let i = userIndex[u.keyHash] {
            let index = Int(i)
            // 128 bits of hash tell unit keys apart.
            if userEntries[index].keyHash2 == u.keyHash2 {
                merge(u, json: json, into: index, sourceFileID: sourceFileID)
                return userEntries[index].id
            }
            // Two unit keys with the same first hash: write the cache out and start it again.
            try flushUsers()
        }
        let key = Self.bytes(u.unitKey, arena)
        let select = try statement("SELECT id, first_seen, last_seen, user_json, source_file_id, source_line FROM users WHERE unit_key = ?")
            .sqliteStatement
        sqlite3_reset(select)
        var b = RawBinder(stmt: select)
        b.bindStatic(key)
        let rc = sqlite3_step(select)
        if cachedUserBytes > userCacheLimit { try flushUsers() }
        let index = userEntries.count
        if rc == SQLITE_ROW {
            func int(_ i: Int32) -> Int64 { sqlite3_column_type(select, i) == SQLITE_NULL ? .min : sqlite3_column_int64(select, i) }
            let n = Int(sqlite3_column_bytes(select, 3))
            let text = sqlite3_column_text(select, 3)
            let stored = text.map { Array(UnsafeBufferPointer(start: $0, count: n)) } ?? []
            let entry = CachedUser(id: sqlite3_column_int64(select, 0), keyHash2: u.keyHash2, firstSeen: int(1), lastSeen: int(2),
                                   jsonHash: stored.withUnsafeBytes { RowBatch.keyHash($0) }, sourceFileID: int(4), sourceLine: int(5))
            sqlite3_reset(select)
            userEntries.append(entry)
            userJSON.append(stored)
            userIndex[u.keyHash] = Int32(index)
            cachedUserBytes += stored.count + 96
            merge(u, json: json, into: index, sourceFileID: sourceFileID)
        } else if rc == SQLITE_DONE {
            sqlite3_reset(select)
            let insert = try statement("""
                INSERT INTO users (unit_key, user_id, custom_ids, user_json, first_seen, last_seen, source_file_id, source_line)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).sqliteStatement
            sqlite3_reset(insert)
            var ib = RawBinder(stmt: insert)
            ib.bindStatic(key)
            ib.bindStatic(u.userID.isNull ? nil : Self.bytes(u.userID, arena))
            ib.bindStatic(u.customIDs.isNull ? nil : Self.bytes(u.customIDs, arena))
            ib.bindStatic(json)
            ib.bind(u.time)
            ib.bind(u.time)
            ib.bind(sourceFileID)
            ib.bind(u.line)
            try step(insert)
            usersAdded += 1
            userEntries.append(CachedUser(id: db.lastInsertedRowID, keyHash2: u.keyHash2, firstSeen: u.time, lastSeen: u.time,
                                          jsonHash: u.jsonHash, sourceFileID: sourceFileID, sourceLine: u.line))
            userJSON.append(Array(json))
            userIndex[u.keyHash] = Int32(index)
            cachedUserBytes += json.count + 96
        } else {
            sqlite3_reset(select)
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        return userEntries[index].id
    }

    private func flushUsers() throws {
        let update = try statement("""
            UPDATE users SET user_json = ?, first_seen = ?, last_seen = ?, source_file_id = ?, source_line = ? WHERE id = ?
            """).sqliteStatement
        for (i, c) in userEntries.enumerated() where c.dirty {
            sqlite3_reset(update)
            try userJSON[i].withUnsafeBufferPointer { json in
                var b = RawBinder(stmt: update)
                b.bindStatic(json)
                b.bind(c.firstSeen)
                b.bind(c.lastSeen)
                b.bind(c.sourceFileID)
                b.bind(c.sourceLine)
                b.bind(c.id)
                try step(update)
            }
        }
        userIndex.removeAll(keepingCapacity: true)
        userEntries.removeAll(keepingCapacity: true)
        userJSON.removeAll(keepingCapacity: true)
        cachedUserBytes = 0
    }

    private func step(_ stmt: OpaquePointer) throws {
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(stmt)
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message)
        }
    }

    static let rowsPerInsert = 16
    static let exposureColumns = 27

    private func exposureStatement(rows: Int) throws -> Statement {
        if let s = exposureStatements[rows] { return s }
        let values = Array(repeating: "(" + Array(repeating: "?", count: Self.exposureColumns).joined(separator: ", ") + ")", count: rows)
        let s = try db.makeStatement(sql: """
            INSERT OR IGNORE INTO exposures (dedupe_key, kind, entity, unit_type, unit_id, user_row, value, group_name, rule_id,
                rule_passed, parameter_name, allocated_experiment, is_explicit_parameter, time, lcut, received_at,
                config_version, reason, sdk_type, sdk_version, sampling_rate, sampling_mode, shadow_logged, is_manual,
                source_file_id, line, record)
            VALUES \(values.joined(separator: ", "))
            """)
        exposureStatements[rows] = s
        return s
    }

    /// Binds one exposure's 27 values from `firstParameter` on. Parameters left unbound are NULL (the bindings are
    /// cleared after each step).
    private func bindExposure(_ x: UnsafePointer<ExposureSlots>, userRow: Int64, arena: UnsafeBufferPointer<UInt8>, stmt: OpaquePointer,
                              firstParameter: Int32, sourceFileID: Int64)
    {
        let e = x
        var b = RawBinder(stmt: stmt, index: firstParameter)
        @inline(__always) func t(_ r: TextRef) {
            if r.isNull { b.index += 1 } else { b.bindStatic(Self.bytes(r, arena)) }
        }
        b.bind(e.pointee.dedupeKey)
        b.bindStatic(e.pointee.kind.staticText)
        t(e.pointee.entity)
        t(e.pointee.unitType)
        t(e.pointee.unitID)
        b.bind(userRow)
        t(e.pointee.value)
        t(e.pointee.groupName)
        t(e.pointee.ruleID)
        b.bind(flag: e.pointee.rulePassed)
        t(e.pointee.parameterName)
        t(e.pointee.allocatedExperiment)
        b.bind(flag: e.pointee.isExplicitParameter)
        b.bind(e.pointee.time)
        b.bind(e.pointee.lcut)
        b.bind(e.pointee.receivedAt)
        t(e.pointee.configVersion)
        t(e.pointee.reason)
        t(e.pointee.sdkType)
        t(e.pointee.sdkVersion)
        b.bind(e.pointee.samplingRate)
        t(e.pointee.samplingMode)
        t(e.pointee.shadowLogged)
        b.bind(flag: e.pointee.isManual)
        b.bind(sourceFileID)
        b.bind(e.pointee.line)
        b.bind(e.pointee.record)
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

    /// Binds `Int64.min` as NULL.
    @inline(__always) mutating func bind(_ v: Int64) {
        if v == .min { sqlite3_bind_null(stmt, index) } else { sqlite3_bind_int64(stmt, index, v) }
        index += 1
    }

    /// Binds -1 as NULL, else 0 or 1.
    @inline(__always) mutating func bind(flag v: Int8) {
        if v < 0 { sqlite3_bind_null(stmt, index) } else { sqlite3_bind_int64(stmt, index, Int64(v)) }
        index += 1
    }

    /// Binds text without copying it: the bytes must stay valid until the statement is stepped.
    @inline(__always) mutating func bindStatic(_ v: UnsafeBufferPointer<UInt8>?) {
        if let v {
            let p = UnsafeRawPointer(v.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            sqlite3_bind_text(stmt, index, p.assumingMemoryBound(to: CChar.self), Int32(v.count), nil)
        } else {
            sqlite3_bind_null(stmt, index)
        }
        index += 1
    }

    @inline(__always) mutating func bindStatic(_ v: StaticString) {
        sqlite3_bind_text(stmt, index, UnsafeRawPointer(v.utf8Start).assumingMemoryBound(to: CChar.self), Int32(v.utf8CodeUnitCount), nil)
        index += 1
    }
}

extension ExposureKind {
    var staticText: StaticString {
        switch self {
        case .gate: "gate"
        case .config: "config"
        case .layer: "layer"
        }
    }
}

extension SourceFileRecord {
    init(row: Row) {
        self.init(
            id: row["id"], sha256: row["sha256"], probe: row["probe"], path: row["path"], kind: SourceKind(rawValue: row["kind"]) ?? .logs,
            format: row["format"], bytes: row["bytes"], status: SourceStatus(rawValue: row["status"]) ?? .failed,
            records: row["records"], added: row["added"], duplicates: row["duplicates"], rejected: row["rejected"],
            error: row["error"], ingestedAt: row["ingested_at"])
    }
}
