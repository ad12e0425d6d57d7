import KVReplayModel

/// The parts of Python 3.11's text model the legacy SDK (statsig 0.72.1) relies on: `str()` and `repr()` of
/// JSON-decoded values, `str.casefold()`, `str.lower()`, and `int()` / `float()` of strings. Per-code-point
/// behaviour comes from `PythonUnicodeTables` (generated from the interpreter the SDK runs on), so it does not
/// depend on the Unicode version of Swift's standard library.
enum Python {
    // MARK: tables

    private static func parseMapping(_ text: String) -> [UInt32: [Unicode.Scalar]] {
        var out: [UInt32: [Unicode.Scalar]] = [:]
        for entry in text.filter({ $0 != "\n" }).split(separator: ";") {
            let parts = entry.split(separator: ":")
            guard parts.count == 2, let cp = UInt32(parts[0], radix: 16) else { continue }
            out[cp] = parts[1].split(separator: " ").compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
        }
        return out
    }

    private static func parseRanges(_ text: String) -> [ClosedRange<UInt32>] {
        text.filter { $0 != "\n" }.split(separator: " ").compactMap { r in
            let p = r.split(separator: "-")
            guard p.count == 2, let a = UInt32(p[0], radix: 16), let b = UInt32(p[1], radix: 16) else { return nil }
            return a...b
        }
    }

    private static let foldTable = parseMapping(PythonUnicodeTables.casefold)
    private static let lowerTable = parseMapping(PythonUnicodeTables.lower)
    private static let spaceRanges = parseRanges(PythonUnicodeTables.space)
    private static let nonPrintableRanges = parseRanges(PythonUnicodeTables.nonPrintable)
    private static let decimalRanges = parseRanges(PythonUnicodeTables.decimal)

    private static func inRanges(_ c: UInt32, _ ranges: [ClosedRange<UInt32>]) -> ClosedRange<UInt32>? {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(c) ? ranges[lo] : nil
    }

    /// `str.isspace()` of one code point.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x1F) }
        return inRanges(v, spaceRanges) != nil
    }

    /// `unicodedata.decimal(c)`, or nil.
    static func decimalValue(_ c: Unicode.Scalar) -> UInt8? {
        let v = c.value
        if v >= 0x30 && v <= 0x39 { return UInt8(v - 0x30) }
        if v < 0x80 { return nil }
        guard let r = inRanges(v, decimalRanges) else { return nil }
        return UInt8((v - r.lowerBound) % 10)
    }

    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v >= 0x20 && v < 0x7F }
        return inRanges(v, nonPrintableRanges) == nil
    }

    // MARK: case

    /// `str.casefold()`.
    static func casefold(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return asciiLower(s) }
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if let m = foldTable[c.value] { out.append(contentsOf: m) } else { out.append(c) }
        }
        return String(out)
    }

    /// `str.lower()`, including the Final_Sigma rule for U+03A3.
    static func lower(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return asciiLower(s) }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, c) in scalars.enumerated() {
            if c.value == 0x3A3 {
                out.append(finalSigma(scalars, i) ? "\u{3C2}" : "\u{3C3}")
            } else if let m = lowerTable[c.value] {
                out.append(contentsOf: m)
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    /// CPython's `handle_capital_sigma`: `\p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased})`.
    private static func finalSigma(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && s[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && s[j].properties.isCased else { return false }
        j = i + 1
        while j < s.count && s[j].properties.isCaseIgnorable { j += 1 }
        return j == s.count || !s[j].properties.isCased
    }

    static func asciiLower(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) { return s }
        return String(decoding: s.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    // MARK: str() and repr()

    /// `str(value)` of a value as `json.loads` builds it (`null` → `"None"`).
    static func str(_ v: JSONValue) -> String {
        if case .string(let s) = v { return s }
        return repr(v)
    }

    /// `repr(value)`.
    static func repr(_ v: JSONValue) -> String {
        var out = ""
        writeRepr(v, into: &out)
        return out
    }

    private static func writeRepr(_ v: JSONValue, into out: inout String) {
        switch v {
        case .null: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .double(let d): out += floatRepr(d)
        case .string(let s): out += reprString(s)
        case .array(let a):
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += ", " }
                writeRepr(e, into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, e)) in o.members.enumerated() {
                if i > 0 { out += ", " }
                out += reprString(k)
                out += ": "
                writeRepr(e, into: &out)
            }
            out += "}"
        }
    }

    /// `repr(float)`.
    static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return NumberFormatting.pythonRepr(d)
    }

    /// `repr(str)` (CPython `unicode_repr`).
    static func reprString(_ s: String) -> String {
        let hasSingle = s.utf8.contains(UInt8(ascii: "'"))
        let hasDouble = s.utf8.contains(UInt8(ascii: "\""))
        let quote: Unicode.Scalar = hasSingle && !hasDouble ? "\"" : "'"
        let hex = Array("0123456789abcdef".unicodeScalars)
        var out = String.UnicodeScalarView()
        out.append(quote)
        func escape(_ prefix: Unicode.Scalar, _ v: UInt32, digits: Int) {
            out.append("\\")
            out.append(prefix)
            for k in stride(from: digits - 1, through: 0, by: -1) { out.append(hex[Int((v >> (4 * UInt32(k))) & 0xF)]) }
        }
        for c in s.unicodeScalars {
            let v = c.value
            if c == quote || c == "\\" {
                out.append("\\")
                out.append(c)
            } else if c == "\t" {
                out.append(contentsOf: "\\t".unicodeScalars)
            } else if c == "\n" {
                out.append(contentsOf: "\\n".unicodeScalars)
            } else if c == "\r" {
                out.append(contentsOf: "\\r".unicodeScalars)
            } else if v < 0x20 || v == 0x7F {
                escape("x", v, digits: 2)
            } else if v < 0x7F {
                out.append(c)
            } else if isPrintable(c) {
                out.append(c)
            } else if v <= 0xFF {
                escape("x", v, digits: 2)
            } else if v <= 0xFFFF {
                escape("u", v, digits: 4)
            } else {
                escape("U", v, digits: 8)
            }
        }
        out.append(quote)
        return String(out)
    }

    // MARK: int() and float()

    /// The ASCII text `int()` / `float()` parse: Unicode decimal digits become ASCII digits, Unicode spaces become
    /// `" "`, any other non-ASCII character makes the text invalid; then ASCII whitespace is stripped at both ends
    /// (`_PyUnicode_TransformDecimalAndSpaceToASCII`).
    private static func numericASCII(_ s: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            bytes.append(contentsOf: s.utf8)
        } else {
            for c in s.unicodeScalars {
                if c.value < 0x80 {
                    bytes.append(UInt8(c.value))
                } else if isSpace(c) {
                    bytes.append(0x20)
                } else if let d = decimalValue(c) {
                    bytes.append(UInt8(ascii: "0") + d)
                } else {
                    return nil
                }
            }
        }
        func space(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F) }
        var lo = 0, hi = bytes.count
        while lo < hi && space(bytes[lo]) { lo += 1 }
        while hi > lo && space(bytes[hi - 1]) { hi -= 1 }
        return Array(bytes[lo..<hi])
    }

    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// `float(s)` of a string; nil where Python raises `ValueError`.
    static func float(_ s: String) -> Double? {
        guard var b = numericASCII(s), !b.isEmpty else { return nil }
        // Underscores are allowed only between two digits; then they are dropped.
        if b.contains(UInt8(ascii: "_")) {
            var out: [UInt8] = []
            for (i, c) in b.enumerated() {
                if c == UInt8(ascii: "_") {
                    guard i > 0, i + 1 < b.count, isDigit(b[i - 1]), isDigit(b[i + 1]) else { return nil }
                } else {
                    out.append(c)
                }
            }
            b = out
        }
        var i = 0
        var negative = false
        if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        let rest = String(decoding: b[i...], as: UTF8.self).lowercased()
        if rest == "inf" || rest == "infinity" { return negative ? -.infinity : .infinity }
        if rest == "nan" { return .nan }
        // digits [. digits] | . digits, then an optional exponent.
        var j = i
        var mantissaDigits = 0
        while j < b.count && isDigit(b[j]) { j += 1; mantissaDigits += 1 }
        if j < b.count && b[j] == UInt8(ascii: ".") {
            j += 1
            while j < b.count && isDigit(b[j]) { j += 1; mantissaDigits += 1 }
        }
        if mantissaDigits == 0 { return nil }
        if j < b.count && (b[j] == UInt8(ascii: "e") || b[j] == UInt8(ascii: "E")) {
            j += 1
            if j < b.count && (b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-")) { j += 1 }
            var expDigits = 0
            while j < b.count && isDigit(b[j]) { j += 1; expDigits += 1 }
            if expDigits == 0 { return nil }
        }
        if j != b.count { return nil }
        // Correctly rounded, as CPython's dtoa; overflow gives ±inf, as in Python.
        let text = String(decoding: b, as: UTF8.self)
        if let d = Double(text) { return d }
        return nil
    }

    /// `int(s)` of a string (base 10); nil where Python raises `ValueError`.
    static func int(_ s: String) -> PythonInt? {
        guard let b = numericASCII(s), !b.isEmpty else { return nil }
        var i = 0
        var negative = false
        if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < b.count, isDigit(b[i]) else { return nil }
        var digits: [UInt8] = []
        var previousUnderscore = false
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "_") {
                if previousUnderscore { return nil }
                previousUnderscore = true
            } else if isDigit(c) {
                previousUnderscore = false
                digits.append(c)
            } else {
                return nil
            }
            i += 1
        }
        if previousUnderscore { return nil }
        return PythonInt(negative: negative, digits: digits)
    }
}

/// A Python `int` of any size: its decimal text without leading zeros, and its `Int64` value when it fits.
struct PythonInt: Sendable, Equatable {
    let negative: Bool
    /// ASCII digits, no leading zeros ("0" for zero).
    let magnitude: [UInt8]
    let int64: Int64?

    init(negative: Bool, digits: [UInt8]) {
        var d = digits
        while d.count > 1 && d.first == UInt8(ascii: "0") { d.removeFirst() }
        if d.isEmpty { d = [UInt8(ascii: "0")] }
        let zero = d == [UInt8(ascii: "0")]
        self.negative = negative && !zero
        magnitude = d
        var value: Int64? = 0
        for c in d {
            guard let v = value else { break }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (r, o2) = self.negative ? m.subtractingReportingOverflow(Int64(c - 48)) : m.addingReportingOverflow(Int64(c - 48))
            value = o1 || o2 ? nil : r
        }
        int64 = value
    }

    init(_ v: Int64) {
        self.init(negative: v < 0, digits: Array(String(v.magnitude).utf8))
    }

    var isZero: Bool { magnitude == [UInt8(ascii: "0")] }

    /// `str(int)`.
    var description: String { (negative ? "-" : "") + String(decoding: magnitude, as: UTF8.self) }

    /// Python's exact `int == float`.
    func equals(_ d: Double) -> Bool {
        guard d.isFinite, d.rounded(.towardZero) == d else { return false }
        if let i = int64 {
            // Exact: a double equal to an Int64 value lies within ±2^63.
            if d >= 9_223_372_036_854_775_808.0 || d < -9_223_372_036_854_775_808.0 { return false }
            return Int64(d) == i
        }
        return PythonInt.exactInteger(d) == self
    }

    /// The exact integer value of an integral double.
    static func exactInteger(_ d: Double) -> PythonInt {
        if d.magnitude < 9.0e18 { return PythonInt(Int64(d)) }
        // d = significand × 2^exponent, exactly; multiply out in base 10^9.
        let e = Int(d.exponent) - 52
        var limbs: [UInt64] = [d.significandBitPattern | (1 << 52)]  // base 10^9 after normalising below
        // Normalise the 53-bit significand into base-10^9 limbs (little-endian).
        var n = limbs[0]
        limbs = []
        while n > 0 { limbs.append(n % 1_000_000_000); n /= 1_000_000_000 }
        for _ in 0..<max(0, e) {
            var carry: UInt64 = 0
            for k in limbs.indices {
                let v = limbs[k] * 2 + carry
                limbs[k] = v % 1_000_000_000
                carry = v / 1_000_000_000
            }
            if carry > 0 { limbs.append(carry) }
        }
        var text = String(limbs.last ?? 0)
        for limb in limbs.dropLast().reversed() {
            let s = String(limb)
            text += String(repeating: "0", count: 9 - s.count) + s
        }
        return PythonInt(negative: d < 0, digits: Array(text.utf8))
    }
}
