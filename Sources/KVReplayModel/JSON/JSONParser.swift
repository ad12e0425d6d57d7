/// A JSON syntax error with its position in the input.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem.
    public var offset: Int
    /// 1-based line and column (in bytes) of the problem.
    public var line: Int
    public var column: Int
    public var reason: String

    public init(offset: Int, line: Int, column: Int, reason: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Limits that keep a hostile document from exhausting the stack or memory.
public struct JSONParserLimits: Sendable {
    /// Deepest nesting of arrays and objects accepted.
    public var maxDepth: Int = 512
    /// Longest number literal accepted, in bytes.
    public var maxNumberLength: Int = 1_000

    public init(maxDepth: Int = 512, maxNumberLength: Int = 1_000) {
        self.maxDepth = maxDepth
        self.maxNumberLength = maxNumberLength
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes (as serde_json and Python's `json` accept it, minus NaN/Infinity).
///
/// Integer literals that fit in `Int64` become `.int`; other numbers `.double`, parsed with correct rounding.
/// Invalid UTF-8 inside strings is replaced by U+FFFD.
public enum JSONParser {
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONParserLimits = .init()) throws(JSONParseError) -> JSONValue {
        let r: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(JSONParseError) { return .success(try parse(buffer: buffer, limits: limits)) } catch { return .failure(error) }
        }
        if let r { return try r.get() }
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer: buffer, limits: limits) }
    }

    public static func parse(_ text: String, limits: JSONParserLimits = .init()) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    public static func parse(buffer: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits = .init()) throws(JSONParseError) -> JSONValue {
        var reader = Reader(buffer: buffer, limits: limits)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.pos < buffer.count { throw reader.error("unexpected data after the JSON value") }
        return value
    }
}

private struct Reader {
    let buffer: UnsafeBufferPointer<UInt8>
    let limits: JSONParserLimits
    var pos = 0

    init(buffer: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits) {
        self.buffer = buffer
        self.limits = limits
    }

    func error(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        let at = min(offset ?? pos, buffer.count)
        var line = 1
        var lineStart = 0
        var i = 0
        while i < at {
            if buffer[i] == UInt8(ascii: "\n") { line += 1; lineStart = i + 1 }
            i += 1
        }
        return JSONParseError(offset: at, line: line, column: at - lineStart + 1, reason: reason)
    }

    @inline(__always) mutating func skipWhitespace() {
        while pos < buffer.count {
            switch buffer[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard pos < buffer.count else { throw error("unexpected end of input") }
        switch buffer[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(printable(buffer[pos]))'")
        }
    }

    func printable(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        let start = pos
        guard pos + n <= buffer.count else { throw error("invalid literal", at: start) }
        let p = literal.utf8Start
        for i in 0..<n where buffer[pos + i] != p[i] { throw error("invalid literal", at: start) }
        pos += n
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth) levels") }
        pos += 1
        var object = JSONObject()
        skipWhitespace()
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "}") { pos += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input in an object") }
            guard buffer[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < buffer.count, buffer[pos] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            object[key] = value
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input in an object") }
            let c = buffer[pos]
            pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return .object(object) }
            throw error("expected ',' or '}' in an object", at: pos - 1)
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth) levels") }
        pos += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "]") { pos += 1; return .array(array) }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input in an array") }
            let c = buffer[pos]
            pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { return .array(array) }
            throw error("expected ',' or ']' in an array", at: pos - 1)
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let start = pos
        pos += 1
        // Fast path: no escapes.
        var i = pos
        while i < buffer.count {
            let c = buffer[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buffer[pos..<i]), as: UTF8.self)
                pos = i + 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in a string", at: i) }
            i += 1
        }
        guard i < buffer.count else { throw error("unterminated string", at: start) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(i - pos + 16)
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[pos..<i]))
        pos = i
        while true {
            guard pos < buffer.count else { throw error("unterminated string", at: start) }
            let c = buffer[pos]
            if c == UInt8(ascii: "\"") { pos += 1; break }
            if c < 0x20 { throw error("control character in a string") }
            if c != UInt8(ascii: "\\") { bytes.append(c); pos += 1; continue }
            pos += 1
            guard pos < buffer.count else { throw error("unterminated string", at: start) }
            let e = buffer[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate: combine with a following \uDC00-\uDFFF, else U+FFFD (as serde_json's lossy mode; Python keeps lone surrogates).
                    if pos + 1 < buffer.count, buffer[pos] == UInt8(ascii: "\\"), buffer[pos + 1] == UInt8(ascii: "u") {
                        let save = pos
                        pos += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &bytes)
            default:
                throw error("invalid escape '\\\(printable(e))'", at: pos - 2)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= buffer.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buffer[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            bytes.append(UInt8(scalar))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (scalar >> 6)))
            bytes.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (scalar >> 12)))
            bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (scalar >> 18)))
            bytes.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        var negative = false
        if buffer[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard pos < buffer.count, isDigit(buffer[pos]) else { throw error("invalid number", at: start) }
        var isInteger = true
        var magnitude: UInt64 = 0
        var overflow = false
        if buffer[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buffer.count, isDigit(buffer[pos]) { throw error("leading zero in a number", at: start) }
        } else {
            while pos < buffer.count, isDigit(buffer[pos]) {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(buffer[pos] - UInt8(ascii: "0")))
                if o1 || o2 { overflow = true }
                magnitude = m2
                pos += 1
            }
        }
        if pos < buffer.count, buffer[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buffer.count, isDigit(buffer[pos]) else { throw error("invalid number: digits expected after '.'", at: start) }
            while pos < buffer.count, isDigit(buffer[pos]) { pos += 1 }
        }
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "e") || buffer[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < buffer.count, buffer[pos] == UInt8(ascii: "+") || buffer[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buffer.count, isDigit(buffer[pos]) else { throw error("invalid number: digits expected in the exponent", at: start) }
            while pos < buffer.count, isDigit(buffer[pos]) { pos += 1 }
        }
        if pos - start > limits.maxNumberLength {
            throw error("number literal longer than \(limits.maxNumberLength) characters", at: start)
        }
        if isInteger && !overflow {
            if negative {
                if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
                if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            } else if magnitude <= UInt64(Int64.max) {
                return .int(Int64(magnitude))
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<pos]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number out of range", at: start) }
        return .double(d)
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }
}
