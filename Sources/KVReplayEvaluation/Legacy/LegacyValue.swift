import KVReplayModel

/// `float(x)` as the legacy SDK's numeric operators call it.
enum PyFloat: Sendable, Equatable {
    /// `x` is `None`: the operator is false.
    case none
    case value(Double)
    /// `float(x)` raises (`ValueError`, `TypeError`): the SDK aborts the spec with rule ID `error`.
    case raises

    init(_ v: JSONValue) {
        switch v {
        case .null: self = .none
        case .bool(let b): self = .value(b ? 1 : 0)
        case .int(let i): self = .value(Double(i))
        case .double(let d): self = .value(d)
        case .string(let s): self = Python.float(s).map(PyFloat.value) ?? .raises
        case .array, .object: self = .raises
        }
    }
}

/// One `.`-separated part of a version string, read with `int(float(part))`.
enum VersionPart: Sendable, Equatable {
    /// The integer (exact in a `Double`, already truncated).
    case int(Double)
    /// `ValueError` (not a float, or NaN): the SDK's version comparison catches it and returns false.
    case invalid
    /// `OverflowError` (`inf`): not caught, the spec aborts with `error`.
    case overflow

    init(_ s: Substring) {
        guard let f = Python.float(String(s)) else { self = .invalid; return }
        if f.isNaN { self = .invalid } else if f.isInfinite { self = .overflow } else { self = .int(f.rounded(.towardZero)) }
    }

    /// `v.split("-")` at the first `-` unless it is the first character, then `split(".")`.
    static func parts(_ s: String) -> [VersionPart] {
        var v = Substring(s)
        if let dash = v.firstIndex(of: "-"), dash != v.startIndex { v = v[..<dash] }
        return v.split(separator: ".", omittingEmptySubsequences: false).map(VersionPart.init)
    }
}

/// `__get_date(x)` of the legacy SDK: `int(x)`, divided by 1000 when `str(x)` has 11 or more characters, then
/// `datetime.fromtimestamp` (the oracle runs with `TZ=UTC`).
enum PyDate: Sendable, Equatable {
    case none
    /// Seconds since the epoch, within what `datetime` can represent (years 1...9999).
    case seconds(Int64)
    case raises

    static let minSeconds: Int64 = -62_135_596_800  // 0001-01-01T00:00:00
    static let maxSeconds: Int64 = 253_402_300_799  // 9999-12-31T23:59:59

    init(_ v: JSONValue, text: String?) {
        var epoch: Int64
        switch v {
        case .null: self = .none; return
        case .bool(let b): epoch = b ? 1 : 0
        case .int(let i): epoch = i
        case .double(let d):
            guard d.isFinite, let i = Int64(exactly: d.rounded(.towardZero)) else { self = .raises; return }
            epoch = i
        case .string(let s):
            guard let i = Python.int(s)?.int64 else { self = .raises; return }
            epoch = i
        case .array, .object: self = .raises; return
        }
        if (text?.unicodeScalars.count ?? 0) >= 11 {
            // Python's // floors.
            epoch = epoch >= 0 ? epoch / 1000 : -((-(epoch + 1)) / 1000) - 1
        }
        guard epoch >= PyDate.minSeconds && epoch <= PyDate.maxSeconds else { self = .raises; return }
        self = .seconds(epoch)
    }

    /// The calendar day (UTC) of a time in seconds.
    static func day(_ s: Int64) -> Int64 { s >= 0 ? s / 86_400 : -((-(s + 1)) / 86_400) - 1 }
}

/// A user-side value as the legacy Python SDK holds it (what `json.loads` built, `None` for missing), with the views its
/// operators read, computed once. Immutable, so values can be shared (bucket numbers, the current time).
final class LegacyValue: Sendable {
    let json: JSONValue
    /// `str(x)`.
    let str: String
    /// `str(x).casefold()`.
    let folded: String
    let float: PyFloat
    let date: PyDate
    /// `str(x)` read as a version.
    let versionParts: [VersionPart]
    /// `ByteStringSet.hash` of `folded` and of `str` (the `any`/`none` lookups).
    let foldedHash: UInt64
    let strHash: UInt64

    init(_ json: JSONValue) {
        self.json = json
        let s = Python.str(json)
        str = s
        folded = Python.casefold(s)
        foldedHash = ByteStringSet.hash(folded)
        strHash = ByteStringSet.hash(s)
        float = PyFloat(json)
        date = PyDate(json, text: s)
        versionParts = VersionPart.parts(s)
    }

    /// `x == ""`.
    var isEmptyString: Bool { if case .string(let s) = json { return s.isEmpty } else { return false } }

    var isNone: Bool { json.isNull }

    /// The numbers `user_bucket` conditions produce.
    static let buckets: [LegacyValue] = (0..<1000).map { LegacyValue(.int(Int64($0))) }
}

/// Python's `==` between two values `json.loads` built: numbers (and booleans, which are integers) by value, exactly;
/// strings by code points; lists and dicts element by element; nothing across other types.
func pythonEquals(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)):
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where !pythonEquals(p, q) { return false }
        return true
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for (k, v) in x.members {
            guard let w = y[k], pythonEquals(v, w) else { return false }
        }
        return true
    default:
        guard let p = PythonNumber(a), let q = PythonNumber(b) else { return false }
        return p == q
    }
}

/// A number for Python's exact mixed `int`/`float` comparison.
enum PythonNumber: Equatable {
    case int(PythonInt)
    case float(Double)

    init?(_ v: JSONValue) {
        switch v {
        case .bool(let b): self = .int(PythonInt(b ? 1 : 0))
        case .int(let i): self = .int(PythonInt(i))
        case .double(let d): self = .float(d)
        default: return nil
        }
    }

    static func == (a: PythonNumber, b: PythonNumber) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.int(let x), .float(let y)), (.float(let y), .int(let x)): return x.equals(y)
        }
    }
}

/// Python's `x in some_list`: identity or `==` with an element.
func pythonContains(_ list: [JSONValue], _ x: JSONValue) -> Bool {
    list.contains { pythonEquals($0, x) }
}
