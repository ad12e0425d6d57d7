import Foundation
import GRDB
import GRDBSQLite

/// A statement GRDB prepared, bound and read through the SQLite C API by parameter and column index.
///
/// The replay's bulk paths (flips written and read, exposures read for the audit) move millions of rows; GRDB's
/// argument boxing and by-name column lookup cost more than SQLite's own work there. This is the one place of the
/// replay's storage that touches SQLite's pointers: text is copied out of a column before the next step (SQLite
/// owns it only until then), and a `RawStatement` is only used inside the GRDB access (`read`, the write
/// transaction) of the connection that prepared it, like any GRDB statement.
struct RawStatement {
    let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }
    private var connection: OpaquePointer? { sqlite3_db_handle(statement.sqliteStatement) }

    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
    }

    /// Resets the statement and clears its bindings (unbound parameters are NULL).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds parameter `index` (1-based).
    func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Steps once: true when a row is ready to read, false when the statement is done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let message = String(cString: sqlite3_errmsg(connection))
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message)
    }

    /// Steps a statement that returns no rows.
    func run() throws {
        _ = try step()
    }

    /// Column `index` (0-based) of the current row as an integer (0 for NULL).
    func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` as an integer, nil for NULL.
    func optionalInt64(_ index: Int32) -> Int64? {
        sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, index)
    }

    /// Column `index` as text, all of its bytes (a NUL included), nil for NULL.
    func text(_ index: Int32) -> String? {
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        // Text first, then its length (SQLite's documented order: the length is of the converted value).
        guard let p = sqlite3_column_text(handle, index) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Column `index` as text, "" for NULL.
    func string(_ index: Int32) -> String { text(index) ?? "" }
}
