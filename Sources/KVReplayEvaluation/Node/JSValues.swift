import Foundation
import KVReplayModel

/// JavaScript's value semantics on JSON values, as statsig-node's evaluator applies them (`String(x)`, `Number(x)`,
/// `==`, `toLowerCase()`, `parseInt`). `nil` stands for `undefined`, `.null` for `null`; JSON numbers are IEEE doubles
/// (an `.int` beyond 2^53 is rounded, as `JSON.parse` rounds it). Strings compare by code units (never by canonical
/// equivalence, unlike Swift's `==`).
enum JS {
    /// A JSON value as `JSON.parse` holds it and `JSON.stringify` writes it back: every number is a double, so `10.0`
    /// is `10` and an integer beyond 2^53 is rounded (written without exponent below 1e21).
    static func normalized(_ v: JSONValue) -> JSONValue {
        switch v {
        case .double(let d):
            if d.rounded(.towardZero) == d, abs(d) < 1e21, abs(d) < 9.2e18 { return .int(Int64(d)) }
            return v
        case .int(let i):
            if i.magnitude <= 1 << 53 { return v }
            let d = Double(i)
            return abs(d) < 9.2e18 ? .int(Int64(d)) : .double(d)
        case .array(let a):
            return .array(a.map(normalized))
        case .object(let o):
            return .object(JSONObject(o.members.map { ($0.0, normalized($0.1)) }))
        default:
            return v
        }
    }

    /// `String(x)`.
    static func string(_ v: JSONValue?) -> String {
        guard let v else { return "undefined" }
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return NumberFormatting.javaScript(Double(i))
        case .double(let d): return NumberFormatting.javaScript(d)
        case .string(let s): return s
        case .array(let a):
            // Array.prototype.join(","): null and undefined elements become "".
            return a.map { $0.isNull ? "" : string($0) }.joined(separator: ",")
        case .object: return "[object Object]"
        }
    }

    /// `typeof x === 'number'`'s value, else nil.
    @inline(__always)
    static func numberValue(_ v: JSONValue?) -> Double? {
        switch v {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }

    /// `Number(x)` (ToNumber).
    static func number(_ v: JSONValue?) -> Double {
        guard let v else { return .nan }
        switch v {
        case .null: return 0
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return number(s)
        case .array: return number(string(v))
        case .object: return .nan
        }
    }

    /// ECMAScript's StringToNumber: whitespace trimmed, `""` is 0, `0x`/`0o`/`0b` integers (unsigned), `Infinity`, and
    /// decimal literals (`1.`, `.5`, `1e3`); anything else is NaN. No `_` separators, no `inf`, no hex floats.
    static func number(_ text: String) -> Double {
        let u = Array(text.unicodeScalars)
        var lo = 0, hi = u.count
        while lo < hi, isWhiteSpace(u[lo]) { lo += 1 }
        while hi > lo, isWhiteSpace(u[hi - 1]) { hi -= 1 }
        if lo == hi { return 0 }
        let s = u[lo..<hi]
        // Radix integers.
        if s.count > 2, s[lo] == "0" {
            let p = s[lo + 1]
            let radix: Int? = (p == "x" || p == "X") ? 16 : (p == "o" || p == "O") ? 8 : (p == "b" || p == "B") ? 2 : nil
            if let radix {
                var value = 0.0
                for c in s[(lo + 2)...] {
                    guard c.isASCII, let d = Int(String(c), radix: radix) else { return .nan }
                    value = value * Double(radix) + Double(d)
                }
                return value
            }
        }
        var i = lo
        var negative = false
        if s[i] == "+" || s[i] == "-" { negative = s[i] == "-"; i += 1 }
        let rest = String(String.UnicodeScalarView(s[i...]))
        if rest == "Infinity" { return negative ? -.infinity : .infinity }
        // StrUnsignedDecimalLiteral: digits [. digits] [exp] | . digits [exp]
        var j = i
        var intDigits = 0, fracDigits = 0
        while j < hi, isDigit(u[j]) { j += 1; intDigits += 1 }
        if j < hi, u[j] == "." {
            j += 1
            while j < hi, isDigit(u[j]) { j += 1; fracDigits += 1 }
        }
        if intDigits + fracDigits == 0 { return .nan }
        if j < hi, u[j] == "e" || u[j] == "E" {
            j += 1
            if j < hi, u[j] == "+" || u[j] == "-" { j += 1 }
            var expDigits = 0
            while j < hi, isDigit(u[j]) { j += 1; expDigits += 1 }
            if expDigits == 0 { return .nan }
        }
        if j != hi { return .nan }
        var literal = String(String.UnicodeScalarView(u[i..<hi]))
        if literal.hasPrefix(".") { literal = "0" + literal }
        if let dot = literal.firstIndex(of: "."), literal.index(after: dot) == literal.endIndex || !isDigit(literal.unicodeScalars[literal.unicodeScalars.index(after: dot)]) {
            // "1." or "1.e5": Swift's parser wants a digit after the point.
            literal.insert("0", at: literal.index(after: dot))
        }
        guard let d = Double(literal) else { return .nan }
        return negative ? -d : d
    }

    @inline(__always)
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

    /// ECMAScript WhiteSpace and LineTerminator (what `trim()` and StringToNumber strip).
    static func isWhiteSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// `parseInt(String(x))` (radix 10 unless the text starts with `0x`).
    static func parseInt(_ v: JSONValue?) -> Double {
        let u = Array(string(v).unicodeScalars)
        var i = 0
        while i < u.count, isWhiteSpace(u[i]) { i += 1 }
        var negative = false
        if i < u.count, u[i] == "+" || u[i] == "-" { negative = u[i] == "-"; i += 1 }
        var radix = 10
        if i + 1 < u.count, u[i] == "0", u[i + 1] == "x" || u[i + 1] == "X" { radix = 16; i += 2 }
        var value = 0.0
        var any = false
        while i < u.count, u[i].isASCII, let d = Int(String(u[i]), radix: radix) {
            value = value * Double(radix) + Double(d)
            any = true
            i += 1
        }
        if !any { return .nan }
        return negative ? -value : value
    }

    /// `a == b` (IsLooselyEqual). Objects and arrays are never the same object here (a user's value and a target
    /// are distinct), so two of them are never equal.
    static func looseEquals(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        let aNullish = a == nil || a!.isNull
        let bNullish = b == nil || b!.isNull
        if aNullish || bNullish { return aNullish && bNullish }
        let x = a!, y = b!
        switch (x, y) {
        case (.string(let s), .string(let t)): return same(s, t)
        case (.bool(let p), .bool(let q)): return p == q
        case (.int, _), (.double, _):
            if let n = numberValue(x), let m = numberValue(y) { return n == m }
        default: break
        }
        switch (x, y) {
        case (.object, .object), (.array, .array), (.object, .array), (.array, .object):
            return false
        case (.bool(let p), _):
            return looseEquals(.double(p ? 1 : 0), y)
        case (_, .bool(let q)):
            return looseEquals(x, .double(q ? 1 : 0))
        case (.object, _), (.array, _):
            return looseEquals(.string(string(x)), y)
        case (_, .object), (_, .array):
            return looseEquals(x, .string(string(y)))
        case (.string(let s), _):
            return number(s) == number(y)
        case (_, .string(let t)):
            return number(x) == number(t)
        default:
            return false
        }
    }

    /// `String.prototype.toLowerCase()`: the full Unicode lower-case mapping, with the final-sigma rule.
    static func lower(_ s: String) -> String {
        // ASCII fast path.
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            if !s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return s }
            return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, c) in scalars.enumerated() {
            if c == "\u{03A3}" {
                out.append(isFinalSigma(scalars, i) ? "\u{03C2}" : "\u{03C3}")
                continue
            }
            for l in c.properties.lowercaseMapping.unicodeScalars { out.append(l) }
        }
        return String(out)
    }

    /// Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable ones), none after.
    private static func isFinalSigma(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        var j = i - 1
        var before = false
        while j >= 0 {
            let p = s[j].properties
            if p.isCaseIgnorable { j -= 1; continue }
            before = p.isCased
            break
        }
        guard before else { return false }
        var k = i + 1
        while k < s.count {
            let p = s[k].properties
            if p.isCaseIgnorable { k += 1; continue }
            return !p.isCased
        }
        return true
    }

    /// `String(x).length`: UTF-16 code units.
    static func length(_ s: String) -> Int { s.utf16.count }

    /// Code-unit prefix, suffix and substring tests (`startsWith`, `endsWith`, `includes`).
    static func startsWith(_ s: String, _ p: String) -> Bool { s.utf8.starts(with: p.utf8) }
    static func endsWith(_ s: String, _ p: String) -> Bool { s.utf8.reversed().starts(with: p.utf8.reversed()) }
    static func includes(_ s: String, _ p: String) -> Bool {
        let a = Array(s.utf8), b = Array(p.utf8)
        if b.isEmpty { return true }
        if b.count > a.count { return false }
        let first = b[0]
        var i = 0
        let last = a.count - b.count
        while i <= last {
            if a[i] == first, a[i..<(i + b.count)].elementsEqual(b) { return true }
            i += 1
        }
        return false
    }

    /// Code-unit equality of two strings (JavaScript's `===` on strings), by length and then bytes.
    @inline(__always)
    static func same(_ a: String, _ b: String) -> Bool {
        if a.utf8.count != b.utf8.count { return false }
        var a = a, b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }

    /// A JS string key compared by code units (for `Set<string>` and object property lookups).
    struct Key: Hashable {
        let text: String
        init(_ text: String) { self.text = text }
        static func == (a: Key, b: Key) -> Bool { same(a.text, b.text) }
        func hash(into hasher: inout Hasher) {
            var t = text
            t.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// An object's property `key` (exact), JSON `null` included; nil when absent (`undefined`). The last of duplicate
    /// keys wins, as in `JSON.parse`.
    static func property(_ o: JSONObject, _ key: String) -> JSONValue? {
        var found: JSONValue? = nil
        let keys = o.keys
        for i in keys.indices where same(keys[i], key) { found = o.values[i] }
        return found
    }

    /// `getParameterCaseInsensitive`: the first key (in order) whose `toLowerCase()` equals `key.toLowerCase()`.
    static func propertyCaseInsensitive(_ o: JSONObject, _ key: String) -> JSONValue? {
        let lowered = lower(key)
        var seen = Set<Key>()
        for k in o.keys where seen.insert(Key(k)).inserted {
            if same(lower(k), lowered) { return property(o, k) }
        }
        return nil
    }

    /// SameValueZero identity of a primitive, for `new Set(array).has(x)`; nil for objects and arrays (identity only).
    enum Primitive: Hashable {
        case null, bool(Bool), number(Double), string(Key)

        init?(_ v: JSONValue) {
            switch v {
            case .null: self = .null
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .number(Double(i))
            case .double(let d): self = .number(d == 0 ? 0 : d)
            case .string(let s): self = .string(Key(s))
            case .array, .object: return nil
            }
        }

        init(number d: Double) { self = .number(d == 0 ? 0 : d) }
    }
}
