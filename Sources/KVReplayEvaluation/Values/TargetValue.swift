public import KVReplayModel
import Foundation

/// A condition's `targetValue`, converted once at compile time (the core SDK's `MemoizedEvaluatorValue`).
public final class TargetValue: Sendable {
    public enum Kind: Sendable { case null, bool, number, string, array, object }

    public struct Entry: Sendable {
        public var lowercased: String
        public var original: String
        public var index: Int
    }

    public let kind: Kind
    public let json: JSONValue
    public let bool: Bool?
    public let number: Double?
    public let string: String?
    public let lowercased: String?
    /// The string read as a version (`CoreComparisons.versionParts`; nil: no string, or one that compares with no version).
    let versionParts: [Int128?]?
    public let timestamp: Int64?
    /// Array targets: element strings keyed by their lowercase form; a later case-colliding element replaces an earlier one.
    public let entries: [Entry]?
    let lowercasedSet: ByteStringSet?
    /// `entries`' lower-case and original strings as bytes, and both unretained (kept alive by the lists).
    let lowercasedList: ByteStringList?
    let originalList: ByteStringList?
    let lowercasedListRef: Unmanaged<ByteStringList>?
    let originalListRef: Unmanaged<ByteStringList>?
    /// `lowercasedSet` unretained (kept alive by it).
    let lowercasedSetRef: Unmanaged<ByteStringSet>?
    /// Object targets: key → value string.
    public let objectStrings: [String: String]?
    public let regex: CompiledRegex?

    /// Which operator family a target is compiled for: the lookup structures only that family reads are built
    /// (a large inline list would otherwise be held several times over).
    public enum Use: Hashable, Sendable {
        /// Every structure, the regex included (for callers that do not know the operator).
        case all
        /// `str_matches`: the compiled pattern.
        case regex
        /// `any` / `none`: the lower-case hash set.
        case membership
        /// `str_starts_with_any`, `str_ends_with_any`, `str_contains_any`, `str_contains_none`: lower-case bytes.
        case lowercasedList
        /// `any_case_sensitive` / `none_case_sensitive`: the original bytes.
        case originalList
        /// Every other operator: the plain views only.
        case plain

        init(_ op: Operator) {
            switch op {
            case .matches: self = .regex
            case .any, .none: self = .membership
            case .startsWithAny, .endsWithAny, .containsAny, .containsNone: self = .lowercasedList
            case .anyCaseSensitive, .noneCaseSensitive: self = .originalList
            default: self = .plain
            }
        }
    }

    /// The core SDK's conversion of a target (`MemoizedEvaluatorValue`), with the lookup structures of one
    /// operator family.
    public init(core json: JSONValue, use: Use) {
        let compileRegex = use == .regex || use == .all
        self.json = json
        var kind = Kind.null
        var bool: Bool? = nil, number: Double? = nil, string: String? = nil, lowercased: String? = nil
        var timestamp: Int64? = nil, entries: [Entry]? = nil, lowercasedSet: ByteStringSet? = nil
        var objectStrings: [String: String]? = nil, regex: CompiledRegex? = nil
        switch json {
        case .null: break
        case .bool(let b):
            kind = .bool
            bool = b
        case .int, .double:
            kind = .number
            number = json.doubleValue
        case .string(let s):
            kind = .string
            string = s
            lowercased = rustLowercase(s)
            number = RustParsing.double(s)
            timestamp = TimestampParsing.target(s)
            if compileRegex { regex = CompiledRegex(pattern: s) }
        case .array(let a):
            kind = .array
            var byLower: [ExactString: Int] = [:]
            var list: [Entry] = []
            for (i, e) in a.enumerated() {
                let s = e.stringValue ?? JSONWriter(style: .serde).string(e)
                let lower = rustLowercase(s)
                if let at = byLower[ExactString(lower)] {
                    list[at] = Entry(lowercased: lower, original: s, index: i)
                } else {
                    byLower[ExactString(lower)] = list.count
                    list.append(Entry(lowercased: lower, original: s, index: i))
                }
            }
            entries = list
            if use == .membership || use == .all { lowercasedSet = ByteStringSet(list.map(\.lowercased)) }
        case .object(let o):
            kind = .object
            var m: [String: String] = [:]
            for (k, v) in o.members { m[k] = v.stringValue ?? JSONWriter(style: .serde).string(v) }
            objectStrings = m
        }
        self.kind = kind
        self.bool = bool
        self.number = number
        self.string = string
        self.lowercased = lowercased
        versionParts = string.flatMap(CoreComparisons.versionParts)
        self.timestamp = timestamp
        self.entries = entries
        self.lowercasedSet = lowercasedSet
        lowercasedList = use == .lowercasedList || use == .all ? entries.map { ByteStringList($0.map(\.lowercased)) } : nil
        originalList = use == .originalList || use == .all ? entries.map { ByteStringList($0.map(\.original)) } : nil
        lowercasedListRef = lowercasedList.map { Unmanaged.passUnretained($0) }
        originalListRef = originalList.map { Unmanaged.passUnretained($0) }
        lowercasedSetRef = lowercasedSet.map { Unmanaged.passUnretained($0) }
        self.objectStrings = objectStrings
        self.regex = regex
    }
}

/// A compiled `str_matches` pattern, matched with a work budget (`BoundedRegex`): a pattern that backtracks
/// catastrophically fails its condition instead of stalling the replay, as the core SDK's fancy_regex fails a
/// match that exceeds its backtracking limit.
public struct CompiledRegex: Sendable {
    let regex: BoundedRegex

    init?(pattern: String, budget: Int32 = BoundedRegex.defaultBudget) {
        // ICU refuses an empty pattern, which matches everywhere.
        let icu = pattern.isEmpty ? "(?:)" : CompiledRegex.icuPattern(rust: pattern)
        guard let r = BoundedRegex(pattern: icu, budget: budget) else { return nil }
        regex = r
    }

    /// The few places where a pattern means something else to ICU than to Rust's regex (fancy_regex), outside
    /// character classes: Rust's `$` (without the `m` flag) matches only at the end of the text, ICU's also before a
    /// final line terminator, so it becomes `\z`; a `{` that starts no quantifier is a literal in Rust and an error in
    /// ICU, and `{,n}` means `{0,n}`.
    static func icuPattern(rust pattern: String) -> String {
        guard pattern.utf8.contains(where: { $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") })
        else { return pattern }
        let multiline = pattern.contains("(?m")
        let p = Array(pattern.unicodeScalars)
        var out = ""
        var depth = 0  // inside a character class (Rust classes nest)
        var i = 0
        while i < p.count {
            let c = p[i]
            if c == "\\" {
                out.unicodeScalars.append(c)
                if i + 1 < p.count { out.unicodeScalars.append(p[i + 1]) }
                i += 2
                // `\p{..}`, `\P{..}`, `\x{..}`: the braces belong to the escape.
                if i - 1 < p.count, "pPx".unicodeScalars.contains(p[i - 1]), i < p.count, p[i] == "{",
                   let close = p[i...].firstIndex(of: "}")
                {
                    out.unicodeScalars.append(contentsOf: p[i...close])
                    i = close + 1
                }
                continue
            }
            if depth > 0 {
                if c == "[" { depth += 1 } else if c == "]" { depth -= 1 }
                out.unicodeScalars.append(c)
                i += 1
                continue
            }
            switch c {
            case "[":
                depth = 1
                out.unicodeScalars.append(c)
                // A leading `]` (after an optional `^`) is a literal.
                if i + 1 < p.count, p[i + 1] == "^" { out.unicodeScalars.append("^"); i += 1 }
                if i + 1 < p.count, p[i + 1] == "]" { out += "\\]"; i += 1 }
            case "$" where !multiline:
                out += "\\z"
            case "{":
                var j = i + 1
                var lo = "", hi = ""
                var comma = false
                while j < p.count, ("0"..."9").contains(p[j]) { lo.unicodeScalars.append(p[j]); j += 1 }
                if j < p.count, p[j] == "," {
                    comma = true
                    j += 1
                    while j < p.count, ("0"..."9").contains(p[j]) { hi.unicodeScalars.append(p[j]); j += 1 }
                }
                if j < p.count, p[j] == "}", !lo.isEmpty || (comma && !hi.isEmpty) {
                    out += "{" + (lo.isEmpty ? "0" : lo) + (comma ? "," + hi : "") + "}"
                    i = j
                } else {
                    out += "\\{"
                }
            case "}":
                out += "\\}"
            default:
                out.unicodeScalars.append(c)
            }
            i += 1
        }
        return out
    }

    /// Unanchored search, as `fancy_regex::Regex::is_match`; false when the budget ran out (the core SDK reads an
    /// `Err` from `is_match` as no match).
    func matches(_ s: String) -> Bool {
        regex.firstMatch(in: s) ?? false
    }
}
