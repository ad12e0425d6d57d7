import Foundation
import KVReplayModel

/// A strict JSON parser that builds no values: one pass records a flat "tape" of tokens (kind, byte range, where
/// the value's subtree ends), reusing its storage from one document to the next. Strings and numbers are decoded
/// only when asked for. Accepts exactly what ``JSONParser`` accepts (RFC 8259, no NaN/Infinity).
///
/// This is the hot path of log ingest: an event is parsed into the tape with no allocation, and only the members
/// that become columns are decoded.
struct JSONTape {
    enum Kind: UInt8 {
        case object = 1, array, string, number, trueValue, falseValue, null
    }

    struct Token {
        var kind: Kind
        /// Strings: the text contains escapes. Numbers: a fraction or an exponent.
        var flag: Bool
        /// Containers: offset of `{`/`[`; strings: first byte after the opening quote; others: first byte.
        var start: Int32
        /// Containers: offset after `}`/`]`; strings: offset of the closing quote; others: offset after the value.
        var end: Int32
        /// Index of the first token after this value's subtree.
        var next: Int32
    }

    var tokens: [Token] = []
    var maxDepth = 512

    init() { tokens.reserveCapacity(256) }

    // MARK: Parsing

    /// Parses the one JSON value that fills `b` (whitespace around it allowed).
    mutating func parseDocument(_ b: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        tokens.removeAll(keepingCapacity: true)
        var p = 0
        skipWS(b, &p)
        try value(b, &p, depth: 0)
        skipWS(b, &p)
        if p < b.count { throw error(b, p, "unexpected data after the JSON value") }
    }

    /// Parses one value starting at `p` (after whitespace) into a fresh tape; `p` ends after the value.
    mutating func parseValue(_ b: UnsafeBufferPointer<UInt8>, at p: inout Int) throws(JSONParseError) {
        tokens.removeAll(keepingCapacity: true)
        skipWS(b, &p)
        try value(b, &p, depth: 0)
    }

    func error(_ b: UnsafeBufferPointer<UInt8>, _ offset: Int, _ reason: String) -> JSONParseError {
        let at = min(offset, b.count)
        var line = 1
        var lineStart = 0
        for i in 0..<at where b[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return JSONParseError(offset: at, line: line, column: at - lineStart + 1, reason: reason)
    }

    @inline(__always) func skipWS(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) {
        while p < b.count {
            switch b[p] {
            case 0x20, 0x0A, 0x0D, 0x09: p += 1
            default: return
            }
        }
    }

    private mutating func value(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, depth: Int) throws(JSONParseError) {
        guard p < b.count else { throw error(b, p, "unexpected end of input") }
        switch b[p] {
        case UInt8(ascii: "{"):
            if depth >= maxDepth { throw error(b, p, "nesting deeper than \(maxDepth) levels") }
            let me = tokens.count
            tokens.append(Token(kind: .object, flag: false, start: Int32(p), end: 0, next: 0))
            p += 1
            skipWS(b, &p)
            if p < b.count, b[p] == UInt8(ascii: "}") {
                p += 1
            } else {
                while true {
                    skipWS(b, &p)
                    guard p < b.count else { throw error(b, p, "unexpected end of input in an object") }
                    guard b[p] == UInt8(ascii: "\"") else { throw error(b, p, "expected a string key") }
                    try string(b, &p)
                    skipWS(b, &p)
                    guard p < b.count, b[p] == UInt8(ascii: ":") else { throw error(b, p, "expected ':' after an object key") }
                    p += 1
                    skipWS(b, &p)
                    try value(b, &p, depth: depth + 1)
                    skipWS(b, &p)
                    guard p < b.count else { throw error(b, p, "unexpected end of input in an object") }
                    let c = b[p]
                    p += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "}") { break }
                    throw error(b, p - 1, "expected ',' or '}' in an object")
                }
            }
            tokens[me].end = Int32(p)
            tokens[me].next = Int32(tokens.count)
        case UInt8(ascii: "["):
            if depth >= maxDepth { throw error(b, p, "nesting deeper than \(maxDepth) levels") }
            let me = tokens.count
            tokens.append(Token(kind: .array, flag: false, start: Int32(p), end: 0, next: 0))
            p += 1
            skipWS(b, &p)
            if p < b.count, b[p] == UInt8(ascii: "]") {
                p += 1
            } else {
                while true {
                    skipWS(b, &p)
                    try value(b, &p, depth: depth + 1)
                    skipWS(b, &p)
                    guard p < b.count else { throw error(b, p, "unexpected end of input in an array") }
                    let c = b[p]
                    p += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "]") { break }
                    throw error(b, p - 1, "expected ',' or ']' in an array")
                }
            }
            tokens[me].end = Int32(p)
            tokens[me].next = Int32(tokens.count)
        case UInt8(ascii: "\""):
            try string(b, &p)
        case UInt8(ascii: "t"):
            try literal(b, &p, "true", .trueValue)
        case UInt8(ascii: "f"):
            try literal(b, &p, "false", .falseValue)
        case UInt8(ascii: "n"):
            try literal(b, &p, "null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number(b, &p)
        default:
            let c = b[p]
            let shown = (0x20..<0x7F).contains(c) ? String(UnicodeScalar(c)) : "\\x" + String(c, radix: 16)
            throw error(b, p, "unexpected character '\(shown)'")
        }
    }

    private mutating func literal(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ text: StaticString, _ kind: Kind) throws(JSONParseError) {
        let n = text.utf8CodeUnitCount
        guard p + n <= b.count else { throw error(b, p, "invalid literal") }
        let t = text.utf8Start
        for i in 0..<n where b[p + i] != t[i] { throw error(b, p, "invalid literal") }
        tokens.append(Token(kind: kind, flag: false, start: Int32(p), end: Int32(p + n), next: Int32(tokens.count + 1)))
        p += n
    }

    private mutating func string(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) throws(JSONParseError) {
        let open = p
        var i = p + 1
        var escaped = false
        let n = b.count
        // Eight bytes at a time up to the first quote, backslash or control character (SWAR: a byte is flagged
        // exactly when it is the first such byte; later flags may be false and are never looked at).
        let base = UnsafeRawPointer(b.baseAddress!)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= n {
            let w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = w ^ (ones &* 0x22)
            let backslash = w ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs) | ((w &- ones &* 0x20) & ~w & highs)
            if special == 0 {
                i += 8
                continue
            }
            i += special.trailingZeroBitCount / 8
            break
        }
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                tokens.append(Token(kind: .string, flag: escaped, start: Int32(open + 1), end: Int32(i), next: Int32(tokens.count + 1)))
                p = i + 1
                return
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { break }
                switch b[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= n else { throw error(b, i, "truncated \\u escape") }
                    for k in 2..<6 {
                        let h = b[i + k]
                        let isHex = (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66)
                        if !isHex { throw error(b, i + k, "invalid \\u escape") }
                    }
                    i += 6
                default:
                    let e = b[i + 1]
                    let shown = (0x20..<0x7F).contains(e) ? String(UnicodeScalar(e)) : "\\x" + String(e, radix: 16)
                    throw error(b, i, "invalid escape '\\\(shown)'")
                }
                continue
            }
            if c < 0x20 { throw error(b, i, "control character in a string") }
            i += 1
        }
        throw error(b, open, "unterminated string")
    }

    private mutating func number(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) throws(JSONParseError) {
        let start = p
        let n = b.count
        @inline(__always) func digit(_ i: Int) -> Bool { i < n && b[i] &- UInt8(ascii: "0") < 10 }
        if b[p] == UInt8(ascii: "-") { p += 1 }
        guard digit(p) else { throw error(b, start, "invalid number") }
        if b[p] == UInt8(ascii: "0") {
            p += 1
            if digit(p) { throw error(b, start, "leading zero in a number") }
        } else {
            while digit(p) { p += 1 }
        }
        var fractional = false
        if p < n, b[p] == UInt8(ascii: ".") {
            fractional = true
            p += 1
            guard digit(p) else { throw error(b, start, "invalid number: digits expected after '.'") }
            while digit(p) { p += 1 }
        }
        if p < n, b[p] == UInt8(ascii: "e") || b[p] == UInt8(ascii: "E") {
            fractional = true
            p += 1
            if p < n, b[p] == UInt8(ascii: "+") || b[p] == UInt8(ascii: "-") { p += 1 }
            guard digit(p) else { throw error(b, start, "invalid number: digits expected in the exponent") }
            while digit(p) { p += 1 }
        }
        if p - start > 1_000 { throw error(b, start, "number literal longer than 1000 characters") }
        tokens.append(Token(kind: .number, flag: fractional, start: Int32(start), end: Int32(p), next: Int32(tokens.count + 1)))
    }

    // MARK: Reading

    /// The members of the object at token `i`: (key token, value token) pairs, in order.
    @inline(__always) func forEachMember(_ i: Int, _ body: (_ key: Int, _ value: Int) throws -> Void) rethrows {
        var k = i + 1
        let end = Int(tokens[i].next)
        while k < end {
            try body(k, k + 1)
            k = Int(tokens[k + 1].next)
        }
    }

    /// The elements of the array at token `i`.
    @inline(__always) func forEachElement(_ i: Int, _ body: (_ element: Int) throws -> Void) rethrows {
        var k = i + 1
        let end = Int(tokens[i].next)
        while k < end {
            try body(k)
            k = Int(tokens[k].next)
        }
    }

    /// True when the string token `i` (as written, escapes and all) equals `key`.
    @inline(__always) func rawEquals(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ key: StaticString) -> Bool {
        let t = tokens[i]
        let n = Int(t.end - t.start)
        guard n == key.utf8CodeUnitCount else { return false }
        return memcmp(b.baseAddress! + Int(t.start), key.utf8Start, n) == 0
    }

    /// True when the key token `k` is `key` (escapes decoded).
    @inline(__always) func keyIs(_ b: UnsafeBufferPointer<UInt8>, _ k: Int, _ key: StaticString) -> Bool {
        tokens[k].flag ? decodedEquals(b, k, key) : rawEquals(b, k, key)
    }

    /// The value token of member `key` of the object at `i` (the last one when the key repeats, as parsers keep it).
    func member(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ key: StaticString) -> Int? {
        var found: Int? = nil
        forEachMember(i) { k, v in
            if tokens[k].flag ? decodedEquals(b, k, key) : rawEquals(b, k, key) { found = v }
        }
        return found
    }

    private func decodedEquals(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ key: StaticString) -> Bool {
        let s = string(b, i)
        return s.utf8.elementsEqual(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    }

    /// The raw bytes of a token (strings without their quotes, escapes as written).
    @inline(__always) func raw(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UnsafeBufferPointer<UInt8> {
        let t = tokens[i]
        return UnsafeBufferPointer(rebasing: b[Int(t.start)..<Int(t.end)])
    }

    /// The bytes of the whole value at `i` as written (strings with their quotes).
    func span(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UnsafeBufferPointer<UInt8> {
        let t = tokens[i]
        if t.kind == .string { return UnsafeBufferPointer(rebasing: b[Int(t.start - 1)..<Int(t.end + 1)]) }
        return UnsafeBufferPointer(rebasing: b[Int(t.start)..<Int(t.end)])
    }

    /// Appends the decoded UTF-8 text of string token `i`.
    func appendString(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, into out: inout [UInt8]) {
        if !tokens[i].flag {
            out.append(contentsOf: raw(b, i))
            return
        }
        out.append(contentsOf: string(b, i).utf8)
    }

    /// The decoded text of string token `i`.
    func string(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> String {
        if !tokens[i].flag { return String(decoding: raw(b, i), as: UTF8.self) }
        let quoted = span(b, i)
        return (try? JSONParser.parse(buffer: quoted))?.stringValue ?? String(decoding: raw(b, i), as: UTF8.self)
    }

    /// An integer number token, or a number with a fraction rounded; nil when out of range.
    func integer(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int64? {
        let r = raw(b, i)
        if !tokens[i].flag, let v = Self.parseInt(r) { return v }
        guard let d = Double(String(decoding: r, as: UTF8.self)), d.isFinite, abs(d) < 9e18 else { return nil }
        return Int64(d.rounded())
    }

    /// Decimal digits with an optional minus sign.
    static func parseInt(_ r: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < r.count, r[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < r.count, r.count - i <= 18 else { return r.count - i > 18 ? parseLongInt(r) : nil }
        var v: Int64 = 0
        while i < r.count {
            let d = r[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
            i += 1
        }
        return negative ? -v : v
    }

    private static func parseLongInt(_ r: UnsafeBufferPointer<UInt8>) -> Int64? {
        Int64(String(decoding: r, as: UTF8.self))
    }

    /// The value at `i` in compact form: its text as written with the whitespace between tokens removed.
    /// Tokens are copied whole; only the gaps between them (punctuation and whitespace) are looked at byte by byte.
    func appendCompact(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, into out: inout [UInt8]) {
        let whole = span(b, i)
        out.reserveCapacity(out.count + whole.count)
        var cursor = Int(tokens[i].start) - (tokens[i].kind == .string ? 1 : 0)
        let stop = cursor + whole.count
        @inline(__always) func gap(_ to: Int) {
            var k = cursor
            while k < to {
                let c = b[k]
                if c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09 { out.append(c) }
                k += 1
            }
        }
        var k = i
        let end = Int(tokens[i].next)
        while k < end {
            let t = tokens[k]
            switch t.kind {
            case .object, .array:
                gap(Int(t.start))
                out.append(b[Int(t.start)])
                cursor = Int(t.start) + 1
            case .string:
                gap(Int(t.start) - 1)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[(Int(t.start) - 1)..<(Int(t.end) + 1)]))
                cursor = Int(t.end) + 1
            default:
                gap(Int(t.start))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[Int(t.start)..<Int(t.end)]))
                cursor = Int(t.end)
            }
            k += 1
        }
        gap(stop)
    }

    func kindName(_ k: Kind) -> String {
        switch k {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .trueValue, .falseValue: "a boolean"
        case .null: "null"
        }
    }
}
