import CSQLiteConfig
import Foundation
import GRDB

/// Why the store could not do what was asked.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The kvreplay database: one SQLite file in WAL mode, its schema created and upgraded by versioned migrations.
///
/// Writers work one transaction per input file (``writeTransaction(_:)``); readers use the query methods
/// (see `Queries.swift`). A `Store` is safe to share between threads: access is serialized.
public final class Store: Sendable {
    public enum Mode: Sendable {
        /// Creates the file when it does not exist and applies pending migrations.
        case readWrite
        /// Opens an existing database without changing it; fails when the file is missing or not a kvreplay database.
        case readOnly
    }

    /// The default database file, in the working directory.
    public static let defaultPath = "kvreplay.sqlite"

    public let path: String
    public let mode: Mode
    let dbQueue: DatabaseQueue

    /// Opens (and in `.readWrite` mode creates and migrates) the database at `path`.
    /// - Parameter additionalMigrations: migrations of later stages, run after ``StoreSchema/migrations``.
    public init(path: String, mode: Mode = .readWrite, additionalMigrations: [StoreMigration] = []) throws(StoreError) {
        _ = Store.sqliteConfigured
        self.path = path
        self.mode = mode
        var config = Configuration()
        // A busy database (another kvreplay writing) is waited for rather than failing at once.
        config.busyMode = .timeout(30)
        if mode == .readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError("\(path): no such database (run `kvreplay ingest` first)")
            }
            config.readonly = true
        } else {
            // WAL; GRDB then sets synchronous = NORMAL, which is what the only copy of the data should have.
            config.journalMode = .wal
        }
        // Foreign keys are declared (they document the schema) but not enforced: the writers only reference rows
        // they have just read or written, and the checks cost two lookups per exposure.
        config.foreignKeysEnabled = false
        config.prepareDatabase { db in
            // A 48 MiB page cache keeps the indexes a large ingest touches in memory; the WAL file is truncated
            // back to 64 MiB after checkpoints so that one large file's transaction does not leave a huge file.
            try db.execute(sql: "PRAGMA cache_size = -49152")
            // 8 KiB pages (applies when the file is created): fewer pages and WAL frames per row of a bulk load.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA page_size = 8192") }
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            }
        }
        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw StoreError("\(path): cannot open the database (\(Store.describe(error)))")
        }
        let all = StoreSchema.migrations + additionalMigrations
        do {
            if mode == .readWrite {
                try StoreSchema.migrator(all).migrate(dbQueue)
            } else {
                let applied = try dbQueue.read { db in try StoreSchema.migrator(all).appliedIdentifiers(db) }
                guard applied.contains(StoreSchema.migrations[0].identifier) else {
                    throw StoreError("\(path): not a kvreplay database")
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("\(path): \(Store.describe(error))")
        }
    }

    /// Identifiers of the migrations applied to the database, in the order they were applied.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
    }

    /// Runs `body` in one immediate transaction: everything it wrote is committed when it returns normally,
    /// and nothing when it throws or asks for a rollback.
    public func writeTransaction<T>(_ body: (StoreWriter) throws -> (T, commit: Bool)) throws -> T {
        guard mode == .readWrite else { throw StoreError("\(path): opened read-only") }
        var result: T?
        try dbQueue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let writer = StoreWriter(db: db)
                defer { writer.close() }
                let (value, commit) = try body(writer)
                if commit { try writer.flush() }
                result = value
                return commit ? .commit : .rollback
            }
        }
        return result!
    }

    /// Writes pending WAL frames back into the database file and truncates the WAL.
    public func checkpoint() throws(StoreError) {
        do {
            _ = try dbQueue.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch {
            throw StoreError("\(path): checkpoint failed (\(Store.describe(error)))")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try dbQueue.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("\(path): \(Store.describe(error))")
        }
    }

    /// SQLite in multi-thread mode without memory statistics, set once before the first connection opens:
    /// each connection is used by one thread at a time (GRDB serializes it), so SQLite's own mutexes only cost time.
    static let sqliteConfigured: Bool = kv_sqlite_configure_for_bulk_load() != 0

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? e.description }
        return String(describing: error)
    }
}
