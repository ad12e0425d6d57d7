import Foundation
import GRDB

/// Text that may hold a NUL (an entity name from a payload or a log is any JSON string, `\u0000` included).
///
/// GRDB binds a Swift `String` as a C string and reads text with `String(cString:)`: both stop at the first NUL, so
/// `gate\u0000x` would be stored and read back as `gate`. Columns that hold names are therefore written through
/// `CAST(? AS TEXT)` with the UTF-8 bytes bound as a blob when the text has a NUL (SQLite keeps the whole byte
/// string as TEXT; `=` and the BINARY collation compare all of it), and read as `CAST(column AS BLOB)`.
enum ExactText {
    /// The argument for a `CAST(? AS TEXT)` parameter.
    static func argument(_ s: String?) -> (any DatabaseValueConvertible)? {
        guard let s else { return nil }
        return s.utf8.contains(0) ? Data(s.utf8) : s
    }

    /// A column read as `CAST(column AS BLOB)` (or as plain text): the exact string, NULs included.
    static func read(_ r: Row, _ column: String) -> String? { text(r[column]) }

    /// Column `index` read as `CAST(column AS BLOB)` (or as plain text), "" for NULL.
    static func read(_ r: Row, at index: Int) -> String { text(r[index]) ?? "" }

    private static func text(_ v: DatabaseValue) -> String? {
        switch v.storage {
        case .blob(let d): return String(decoding: d, as: UTF8.self)
        case .string(let s): return s
        case .int64(let i): return String(i)
        case .double(let d): return String(d)
        case .null: return nil
        }
    }

    static func read(_ r: Row, _ column: String) -> String { read(r, column) ?? "" }
}
