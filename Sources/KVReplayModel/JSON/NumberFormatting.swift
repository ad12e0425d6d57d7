/// Text forms of floating-point numbers as the Statsig SDKs print them.
///
/// All three start from the shortest digit string that round-trips (Swift's own algorithm, the same digits
/// as Ryu, Rust and Python) and differ only in layout:
/// - `rustDisplay`: Rust's `f64` `Display` (`9.0` → `9`, `1e21` → `1000000000000000000000`, never an exponent);
///   the core SDK's string view of a number.
/// - `serdeJSON`: serde_json / Ryu (`9.0` → `9.0`, `1e16` → `1e16`, `1e-7` → `1e-7`); how the core stringifies
///   non-string elements of a target array.
/// - `pythonRepr`: Python's `repr(float)` (`1e+21`, `1e-07`, `9.0`); the legacy SDK's `str()` and `json.dumps`.
public enum NumberFormatting {
    /// Shortest round-trip decimal digits of a finite, non-zero magnitude: value = 0.d₁d₂…dₙ × 10^`pointPosition`.
    struct Digits {
        var digits: [UInt8]
        var pointPosition: Int
    }

    static func shortestDigits(_ x: Double) -> Digits {
        // Swift's description is shortest round-trip ("1.2345e-07", "123.456", "1e+16", "5e-324").
        let text = Array(x.magnitude.description.utf8)
        var mantissaEnd = text.count
        var exponent = 0
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            mantissaEnd = e
            var i = e + 1
            var negative = false
            if text[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if text[i] == UInt8(ascii: "+") { i += 1 }
            while i < text.count { exponent = exponent * 10 + Int(text[i] - UInt8(ascii: "0")); i += 1 }
            if negative { exponent = -exponent }
        }
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        for c in text[0..<mantissaEnd] {
            if c == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(c)
            if !seenPoint { integerDigits += 1 }
        }
        var point = integerDigits + exponent
        var lead = 0
        while lead < digits.count - 1, digits[lead] == UInt8(ascii: "0") { lead += 1 }
        digits.removeFirst(lead)
        point -= lead
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return Digits(digits: digits, pointPosition: point)
    }

    /// Rust `f64` `Display`.
    public static func rustDisplay(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        let sign = x.sign == .minus ? "-" : ""
        if x == 0 { return sign + "0" }
        let d = shortestDigits(x)
        return sign + plainDecimal(d, integralSuffix: "")
    }

    /// serde_json's float text (Ryu's `format64`).
    public static func serdeJSON(_ x: Double) -> String {
        if !x.isFinite { return "null" }
        let sign = x.sign == .minus ? "-" : ""
        if x == 0 { return sign + "0.0" }
        let d = shortestDigits(x)
        let kk = d.pointPosition
        if kk > 0 && kk <= 16 || kk > -5 && kk <= 0 {
            return sign + plainDecimal(d, integralSuffix: ".0")
        }
        return sign + scientific(d, exponentPrefix: "e", minExponentDigits: 1, plusSign: false)
    }

    /// Python `repr(float)`.
    public static func pythonRepr(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        let sign = x.sign == .minus ? "-" : ""
        if x == 0 { return sign + "0.0" }
        let d = shortestDigits(x)
        let exp10 = d.pointPosition - 1
        if exp10 < -4 || exp10 >= 16 {
            return sign + scientific(d, exponentPrefix: "e", minExponentDigits: 2, plusSign: true)
        }
        return sign + plainDecimal(d, integralSuffix: ".0")
    }

    /// JavaScript's `Number.prototype.toString()` (ECMA-262 Number::toString, radix 10): `9.0` → `9`, `1e21` →
    /// `1e+21`, `1e-7` → `1e-7`, `0.000001` → `0.000001`, `-0` → `0`; statsig-node's `String(value)`.
    public static func javaScript(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        if x == 0 { return "0" }
        let sign = x < 0 ? "-" : ""
        let d = shortestDigits(x)
        let n = d.pointPosition
        if n >= -5 && n <= 21 {
            return sign + plainDecimal(d, integralSuffix: "")
        }
        return sign + scientific(d, exponentPrefix: "e", minExponentDigits: 1, plusSign: true)
    }

    private static func plainDecimal(_ d: Digits, integralSuffix: String) -> String {
        let n = d.digits.count
        let kk = d.pointPosition
        var out = [UInt8]()
        out.reserveCapacity(n + abs(kk) + 3)
        if kk >= n {
            out.append(contentsOf: d.digits)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: kk - n))
            out.append(contentsOf: integralSuffix.utf8)
        } else if kk > 0 {
            out.append(contentsOf: d.digits[0..<kk])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: d.digits[kk...])
        } else {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -kk))
            out.append(contentsOf: d.digits)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func scientific(_ d: Digits, exponentPrefix: String, minExponentDigits: Int, plusSign: Bool) -> String {
        var out = [UInt8]()
        out.append(d.digits[0])
        if d.digits.count > 1 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: d.digits[1...])
        }
        out.append(contentsOf: exponentPrefix.utf8)
        let e = d.pointPosition - 1
        if e < 0 { out.append(UInt8(ascii: "-")) } else if plusSign { out.append(UInt8(ascii: "+")) }
        var digits = Array(String(abs(e)).utf8)
        while digits.count < minExponentDigits { digits.insert(UInt8(ascii: "0"), at: 0) }
        out.append(contentsOf: digits)
        return String(decoding: out, as: UTF8.self)
    }
}
