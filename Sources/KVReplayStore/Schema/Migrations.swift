import GRDB

/// One versioned schema step: SQL run once, in a transaction, and recorded in `grdb_migrations`.
///
/// Migrations run in the order they are listed: first ``StoreSchema/migrations`` (this module's), then any
/// that the caller of ``Store/init(path:mode:additionalMigrations:)`` appends. A later stage (replay, reports)
/// adds its tables by appending its own migrations with new identifiers; identifiers are never reused and an
/// applied migration is never edited. A database that holds migrations a binary does not know (written by a
/// newer kvreplay) still opens: unknown identifiers are left alone.
public struct StoreMigration: Sendable {
    public var identifier: String
    public var sql: String

    public init(identifier: String, sql: String) {
        self.identifier = identifier
        self.sql = sql
    }
}

/// The store's own schema, one migration per version. Documented table by table in the README ("The database").
public enum StoreSchema {
    /// Every migration of the store, oldest first. Append; never edit or reorder.
    public static let migrations: [StoreMigration] = [v1]

    /// The identifier of the newest migration of this module.
    public static var latest: String { migrations.last!.identifier }

    static let v1 = StoreMigration(identifier: "v1-store", sql: """
        -- Every input file read, identified by the SHA-256 of its bytes (as stored on disk, before gunzip).
        CREATE TABLE source_files (
            id          INTEGER PRIMARY KEY,
            sha256      TEXT NOT NULL UNIQUE,
            probe       TEXT NOT NULL,
            path        TEXT NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('snapshots', 'logs', 'idlists')),
            format      TEXT,
            bytes       INTEGER NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('ok', 'rejects', 'failed')),
            records     INTEGER NOT NULL DEFAULT 0,
            added       INTEGER NOT NULL DEFAULT 0,
            duplicates  INTEGER NOT NULL DEFAULT 0,
            rejected    INTEGER NOT NULL DEFAULT 0,
            error       TEXT,
            ingested_at INTEGER NOT NULL
        );
        CREATE INDEX source_files_by_probe ON source_files(probe);

        -- One row per distinct payload (content SHA-256 of the value as stored in KV).
        CREATE TABLE snapshots (
            id                 INTEGER PRIMARY KEY,
            sha256             TEXT NOT NULL UNIQUE,
            kv_key             TEXT,
            kv_id              TEXT,
            lcut               INTEGER,
            captured_at        INTEGER,
            captured_at_source TEXT CHECK (captured_at_source IN ('option', 'metadata', 'filename', 'lcut')),
            format             TEXT NOT NULL CHECK (format IN ('dcs-v1', 'dcs-v2')),
            has_updates        INTEGER NOT NULL,
            size_bytes         INTEGER NOT NULL,
            over_kv_limit      INTEGER NOT NULL,
            company_id         TEXT,
            feature_gates      INTEGER NOT NULL,
            dynamic_configs    INTEGER NOT NULL,
            layer_configs      INTEGER NOT NULL,
            gates              INTEGER NOT NULL,
            segments           INTEGER NOT NULL,
            holdouts           INTEGER NOT NULL,
            configs            INTEGER NOT NULL,
            experiments        INTEGER NOT NULL,
            autotunes          INTEGER NOT NULL,
            layers             INTEGER NOT NULL,
            invalid_specs      INTEGER NOT NULL,
            conditions         INTEGER NOT NULL,
            id_list_names      INTEGER NOT NULL,
            payload_zlib       BLOB NOT NULL,
            payload_zlib_bytes INTEGER NOT NULL,
            source_file_id     INTEGER NOT NULL REFERENCES source_files(id),
            source_record      TEXT NOT NULL
        );
        CREATE INDEX snapshots_by_lcut ON snapshots(lcut, captured_at, id);

        -- Every time a payload was seen: several captures of an unchanged payload share one snapshot.
        CREATE TABLE snapshot_captures (
            snapshot_id        INTEGER NOT NULL REFERENCES snapshots(id),
            source_file_id     INTEGER NOT NULL REFERENCES source_files(id),
            source_record      TEXT NOT NULL,
            kv_key             TEXT,
            captured_at        INTEGER,
            captured_at_source TEXT,
            PRIMARY KEY (source_file_id, source_record)
        );
        CREATE INDEX snapshot_captures_by_snapshot ON snapshot_captures(snapshot_id, captured_at);

        -- One row per spec of each snapshot.
        CREATE TABLE snapshot_entities (
            snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            collection  TEXT NOT NULL CHECK (collection IN ('feature_gates', 'dynamic_configs', 'layer_configs')),
            name        TEXT NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('gate', 'config', 'experiment', 'layer')),
            entity      TEXT,
            json_bytes  INTEGER NOT NULL,
            spec_sha256 TEXT NOT NULL,
            rules       INTEGER,
            enabled     INTEGER,
            is_active   INTEGER,
            version     INTEGER,
            id_type     TEXT,
            valid       INTEGER NOT NULL,
            problem     TEXT,
            PRIMARY KEY (snapshot_id, collection, name)
        ) WITHOUT ROWID;
        CREATE INDEX snapshot_entities_by_name ON snapshot_entities(name, snapshot_id);

        -- The population: one row per distinct set of unit IDs, with the latest full user object.
        CREATE TABLE users (
            id             INTEGER PRIMARY KEY,
            unit_key       TEXT NOT NULL UNIQUE,
            user_id        TEXT,
            custom_ids     TEXT,
            user_json      TEXT NOT NULL,
            first_seen     INTEGER,
            last_seen      INTEGER,
            source_file_id INTEGER REFERENCES source_files(id),
            source_line    INTEGER
        );

        -- Logged exposures, deduplicated by dedupe_key.
        CREATE TABLE exposures (
            id                    INTEGER PRIMARY KEY,
            dedupe_key            INTEGER NOT NULL,
            kind                  TEXT NOT NULL CHECK (kind IN ('gate', 'config', 'layer')),
            entity                TEXT NOT NULL,
            unit_type             TEXT,
            unit_id               TEXT,
            user_row              INTEGER REFERENCES users(id),
            value                 TEXT,
            group_name            TEXT,
            rule_id               TEXT,
            rule_passed           INTEGER,
            parameter_name        TEXT,
            allocated_experiment  TEXT,
            is_explicit_parameter INTEGER,
            time                  INTEGER,
            lcut                  INTEGER,
            received_at           INTEGER,
            config_version        TEXT,
            reason                TEXT,
            sdk_type              TEXT,
            sdk_version           TEXT,
            sampling_rate         INTEGER,
            sampling_mode         TEXT,
            shadow_logged         TEXT,
            is_manual             INTEGER,
            source_file_id        INTEGER NOT NULL REFERENCES source_files(id),
            line                  INTEGER,
            record                INTEGER
        );
        -- Time first: logs are mostly in time order, so new keys land at the end of the index.
        CREATE UNIQUE INDEX exposures_by_dedupe_key ON exposures(coalesce(time, 0), dedupe_key);

        -- ID lists (for in_segment_list / not_in_segment_list), as Statsig's 8-character ID hashes.
        CREATE TABLE id_lists (
            id             INTEGER PRIMARY KEY,
            name           TEXT NOT NULL UNIQUE,
            entries        INTEGER NOT NULL DEFAULT 0,
            source_file_id INTEGER REFERENCES source_files(id)
        );
        CREATE TABLE id_list_entries (
            list_id INTEGER NOT NULL REFERENCES id_lists(id),
            hash    TEXT NOT NULL,
            PRIMARY KEY (list_id, hash)
        ) WITHOUT ROWID;

        -- Records that could not be ingested, with where and why.
        CREATE TABLE rejects (
            id             INTEGER PRIMARY KEY,
            source_file_id INTEGER REFERENCES source_files(id),
            source         TEXT NOT NULL,
            line           INTEGER,
            record         TEXT,
            field          TEXT,
            reason         TEXT NOT NULL,
            excerpt        TEXT
        );
        CREATE INDEX rejects_by_file ON rejects(source_file_id);
        """)

    static func migrator(_ all: [StoreMigration]) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for m in all {
            let sql = m.sql
            migrator.registerMigration(m.identifier) { db in try db.execute(sql: sql) }
        }
        return migrator
    }
}
