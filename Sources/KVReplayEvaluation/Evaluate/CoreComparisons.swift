#if canImport(Glibc)
import Glibc
#endif
/// The core SDK's operators (statsig-rust `evaluation/comparisons/*` and `evaluator.rs`).
enum CoreComparisons {
    static func compare(_ v: UserValue, _ op: Operator, _ t: TargetValue, walk: Walk) -> Bool {
        switch op {
        case .gt, .gte, .lt, .lte:
            guard let l = v.number, let r = t.number else { return false }
            switch op {
            case .gt: return l > r
            case .gte: return l >= r
            case .lt: return l < r
            default: return l <= r
            }
        case .versionGT, .versionGTE, .versionLT, .versionLTE, .versionEQ, .versionNEQ:
            guard let l = v.versionParts, let r = t.versionParts, let c = compareVersions(l, r) else { return false }
            switch op {
            case .versionGT: return c > 0
            case .versionGTE: return c >= 0
            case .versionLT: return c < 0
            case .versionLTE: return c <= 0
            case .versionEQ: return c == 0
            default: return c != 0
            }
        case .any, .none, .startsWithAny, .endsWithAny, .containsAny, .containsNone:
            let hit = stringsInArray(v, op, t, ignoreCase: true)
            return op == .none || op == .containsNone ? !hit : hit
        case .anyCaseSensitive, .noneCaseSensitive:
            let hit = stringsInArray(v, op, t, ignoreCase: false)
            return op == .noneCaseSensitive ? !hit : hit
        case .matches:
            guard let s = v.string, let regex = t.regex else { return false }
            return regex.matches(s)
        case .before, .after, .on:
            guard let raw = v.timestamp ?? v.integer else { return false }
            // User-side seconds become milliseconds; the target is always read as milliseconds.
            let left = raw.magnitude < 10_000_000_000 ? raw * 1000 : raw
            guard let right = t.timestamp ?? t.number.map(RustParsing.saturatingInt64) else { return false }
            switch op {
            case .before: return left < right
            case .after: return left > right
            default: return left / 86_400_000 == right / 86_400_000
            }
        case .eq: return equals(v, t)
        case .neq: return !equals(v, t)
        case .inSegmentList, .notInSegmentList:
            walk.ctx.usedIDList = true
            var inList = false
            if let list = t.string {
                let lists = walk.evaluator.options.idLists
                if !lists.contains(list: list) { walk.ctx.missingIDList = true }
                if let id = v.string { inList = lists.contains(list: list, unitID: id) }
            }
            return op == .inSegmentList ? inList : !inList
        case .arrayContainsAny, .arrayContainsNone, .arrayContainsAll, .notArrayContainsAll:
            guard let entries = t.entries, let array = v.array else { return false }
            var values = Set<ExactString>()
            // Elements without a string view (null, objects) are not in the set (0.24.2: `[null]` does not contain "").
            for e in array { if let s = e.string { values.insert(ExactString(s)) } }
            for e in entries {
                let present = values.contains(ExactString(e.original))
                switch op {
                case .arrayContainsAll: if !present { return false }
                case .arrayContainsAny: if present { return true }
                case .arrayContainsNone: if present { return false }
                default: if !present { return true }
                }
            }
            return !(op == .arrayContainsAny || op == .notArrayContainsAll)
        }
    }

    /// `compare_strings_in_array_impl`: whether the value matches any target element.
    static func stringsInArray(_ v: UserValue, _ op: Operator, _ t: TargetValue, ignoreCase: Bool) -> Bool {
        let membership = op == .any || op == .none
        if ignoreCase && membership {
            if let set = t.lowercasedSetRef {
                return set._withUnsafeGuaranteedRef { $0.contains(v.lowercased ?? "", hash: v.lowercasedHash) }
            }
            if let keys = t.objectStrings { return keys[v.lowercased ?? ""] != nil }
            return false
        }
        guard let list = ignoreCase ? t.lowercasedListRef : t.originalListRef else { return false }
        let match: ByteStringList.Match
        switch op {
        case .any, .none, .anyCaseSensitive, .noneCaseSensitive: match = .equal
        case .startsWithAny: match = .prefix
        case .endsWithAny: match = .suffix
        default: match = .contains
        }
        return list._withUnsafeGuaranteedRef { $0.any(match, in: (ignoreCase ? v.lowercased : v.string) ?? "") }
    }

    /// `MemoizedEvaluatorValue::is_equal_to_dynamic_value`.
    static func equals(_ v: UserValue, _ t: TargetValue) -> Bool {
        switch t.kind {
        case .null: return v.json.isNull
        case .bool: return v.bool == t.bool
        case .number: return v.number != nil && v.number == t.number
        case .string: return v.string.map { utf8Equal($0, t.string!) } ?? false
        case .array:
            guard let entries = t.entries, let array = v.array else { return false }
            if entries.count != array.count { return false }
            for e in entries {
                guard e.index < array.count, let s = array[e.index].string, utf8Equal(s, e.original) else { return false }
            }
            return true
        case .object:
            guard let target = t.objectStrings, let mine = v.objectStrings else { return false }
            if target.count != mine.count { return false }
            for (k, s) in target {
                guard let entry = mine[k], let str = entry, utf8Equal(str, s) else { return false }
            }
            return true
        }
    }

    /// `compare_versions_impl`: strip from the first `-`, compare `.`-separated integer parts (missing = 0).
    /// nil when a part that is reached does not parse.
    static func compareVersions(_ a: String, _ b: String) -> Int? {
        guard let l = versionParts(a), let r = versionParts(b) else { return nil }
        return compareVersions(l, r)
    }

    /// The parts `compare_versions_impl` compares: the text before the first `-`, split at `.`, each part trimmed and
    /// read as an integer (nil: the part does not parse, which fails a comparison that reaches it).
    ///
    /// nil when the first part does not parse: every comparison reaches it, so such a string compares with nothing
    /// (most strings, and no array is allocated for them).
    static func versionParts(_ s: String) -> [Int128?]? {
        let u = s.utf8
        let end = u.firstIndex(of: UInt8(ascii: "-")) ?? u.endIndex
        var dot = u[u.startIndex..<end].firstIndex(of: UInt8(ascii: ".")) ?? end
        guard let first = RustParsing.versionPart(rustTrim(s[u.startIndex..<dot])) else { return nil }
        var parts: [Int128?] = [first]
        while dot != end {
            let start = u.index(after: dot)
            dot = u[start..<end].firstIndex(of: UInt8(ascii: ".")) ?? end
            parts.append(RustParsing.versionPart(rustTrim(s[start..<dot])))
        }
        return parts
    }

    static func compareVersions(_ lp: [Int128?], _ rp: [Int128?]) -> Int? {
        var i = 0
        while true {
            var x: Int128? = nil
            var y: Int128? = nil
            if i < lp.count {
                guard let v = lp[i] else { return nil }
                x = v
            }
            if i < rp.count {
                guard let v = rp[i] else { return nil }
                y = v
            }
            if x == nil && y == nil { return 0 }
            if (x ?? 0) < (y ?? 0) { return -1 }
            if (x ?? 0) > (y ?? 0) { return 1 }
            i += 1
        }
    }

    /// Rust `str::trim`: Unicode White_Space at both ends.
    static func rustTrim(_ s: Substring) -> Substring {
        if let f = s.utf8.first, let l = s.utf8.last, f > 0x20, f < 0x80, l > 0x20, l < 0x80 { return s }
        var s = s
        while let f = s.unicodeScalars.first, f.properties.isWhitespace { s = Substring(s.unicodeScalars.dropFirst()) }
        while let l = s.unicodeScalars.last, l.properties.isWhitespace { s = Substring(s.unicodeScalars.dropLast()) }
        return s
    }
}

/// Whether two strings have the same UTF-8 bytes (Rust's string equality; Swift's `==` applies canonical equivalence).
/// Native strings are compared with one `memcmp`.
@inline(__always)
func utf8Equal(_ a: String, _ b: String) -> Bool {
    let n = a.utf8.count
    if n != b.utf8.count { return false }
    if n == 0 { return true }
    let fast = a.utf8.withContiguousStorageIfAvailable { p in
        b.utf8.withContiguousStorageIfAvailable { q in memcmp(p.baseAddress!, q.baseAddress!, n) == 0 }
    }
    if let fast, let result = fast { return result }
    return a.utf8.elementsEqual(b.utf8)
}

/// A string compared and hashed by its UTF-8 bytes, as Rust compares strings (Swift's `String` equality
/// applies Unicode canonical equivalence).
struct ExactString: Hashable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (a: ExactString, b: ExactString) -> Bool {
        utf8Equal(a.value, b.value)
    }

    func hash(into hasher: inout Hasher) {
        var v = value
        v.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
