public import KVReplayModel

/// A user-side value with the views conditions read (the core SDK's `DynamicValue`), computed once.
///
/// Numbers print in Rust's `Display` form (`9.0` → `"9"`), strings also carry their number, integer and
/// timestamp readings, arrays their compact JSON text. A missing value and JSON `null` are the same empty value.
public final class UserValue: Sendable {
    public let json: JSONValue
    public let string: String?
    public let lowercased: String?
    /// `ByteStringSet.hash(lowercased)`, for `any` / `none` membership.
    let lowercasedHash: UInt64
    /// The string read as a version (`CoreComparisons.versionParts`; nil: no string, or one that compares with no version).
    let versionParts: [Int128?]?
    public let number: Double?
    public let integer: Int64?
    public let timestamp: Int64?
    public let bool: Bool?
    public let array: [UserValue]?
    /// Object members by key, each as its string view (for `eq` against an object target).
    public let objectStrings: [String: String?]?

    public static let empty = UserValue(json: .null, string: nil, number: nil, integer: nil, timestamp: nil, bool: nil, array: nil, objectStrings: nil)

    init(json: JSONValue, string: String?, number: Double?, integer: Int64?, timestamp: Int64?, bool: Bool?,
         array: [UserValue]?, objectStrings: [String: String?]?)
    {
        self.json = json
        self.string = string
        let lowercased = string.map(rustLowercase)
        self.lowercased = lowercased
        lowercasedHash = ByteStringSet.hash(lowercased ?? "")
        versionParts = string.flatMap(CoreComparisons.versionParts)
        self.number = number
        self.integer = integer
        self.timestamp = timestamp
        self.bool = bool
        self.array = array
        self.objectStrings = objectStrings
    }

    /// The core SDK's conversion (`DynamicValue::from(serde_json::Value)`).
    public static func core(_ json: JSONValue) -> UserValue {
        switch json {
        case .null:
            return .empty
        case .bool(let b):
            return UserValue(json: json, string: b ? "true" : "false", number: nil, integer: nil, timestamp: nil, bool: b, array: nil, objectStrings: nil)
        case .int(let i):
            return UserValue(json: json, string: NumberFormatting.rustDisplay(Double(i)), number: Double(i), integer: i, timestamp: nil, bool: nil, array: nil, objectStrings: nil)
        case .double(let d):
            let iv = RustParsing.saturatingInt64(d)
            return UserValue(json: json, string: NumberFormatting.rustDisplay(d), number: d, integer: Double(iv) == d ? iv : nil, timestamp: nil, bool: nil, array: nil, objectStrings: nil)
        case .string(let s):
            return UserValue(json: json, string: s, number: RustParsing.double(s), integer: RustParsing.int64(s),
                             timestamp: TimestampParsing.userValue(s), bool: nil, array: nil, objectStrings: nil)
        case .array(let a):
            return UserValue(json: json, string: JSONWriter(style: .serde).string(json), number: nil, integer: nil, timestamp: nil, bool: nil,
                             array: a.map(UserValue.core), objectStrings: nil)
        case .object(let o):
            var m: [String: String?] = [:]
            for (k, e) in o.members { m[k] = UserValue.core(e).string }
            return UserValue(json: json, string: nil, number: nil, integer: nil, timestamp: nil, bool: nil, array: nil, objectStrings: m)
        }
    }

    /// A string value (user agent fields, country, experiment group).
    public static func coreString(_ s: String) -> UserValue { core(.string(s)) }

    /// A bucket number produced by the evaluator itself.
    static func coreUnsigned(_ n: UInt64) -> UserValue { core(.int(Int64(n))) }

    /// `current_time`: the core gives it only an integer view.
    static func coreTimestamp(_ ms: Int64) -> UserValue {
        UserValue(json: .null, string: nil, number: nil, integer: ms, timestamp: nil, bool: nil, array: nil, objectStrings: nil)
    }
}

/// Rust's `str::to_lowercase` (full Unicode lowercase mapping), with an ASCII fast path.
@inline(__always)
func rustLowercase(_ s: String) -> String {
    if s.utf8.allSatisfy({ $0 < 0x80 }) {
        if !s.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) { return s }
        return String(decoding: s.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
    return s.lowercased()
}
