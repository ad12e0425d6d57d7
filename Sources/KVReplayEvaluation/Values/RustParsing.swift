/// String-to-number parsing with the exact acceptance rules of Rust's `str::parse`, which the core SDK applies to
/// user values and targets (no surrounding whitespace, optional sign, no hex, no `_`).
enum RustParsing {
    /// `i64::from_str`: optional `+`/`-`, then one or more ASCII digits; overflow fails.
    static func int64(_ s: String) -> Int64? {
        var it = s.utf8.makeIterator()
        guard var c = it.next() else { return nil }
        var negative = false
        if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            negative = c == UInt8(ascii: "-")
            guard let n = it.next() else { return nil }
            c = n
        }
        var value: Int64 = 0
        while true {
            let d = c &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (r, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            value = r
            guard let n = it.next() else { return value }
            c = n
        }
    }

    /// `i128::from_str` restricted to what fits in a version part comparison; returns nil on syntax error.
    /// Values beyond Int64 are clamped (only their order matters and parts that large are not versions).
    static func versionPart(_ s: Substring) -> Int128? {
        var it = s.utf8.makeIterator()
        guard var c = it.next() else { return nil }
        var negative = false
        if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            negative = c == UInt8(ascii: "-")
            guard let n = it.next() else { return nil }
            c = n
        }
        var value: Int128 = 0
        var overflow = false
        while true {
            let d = c &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            if !overflow {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (r, o2) = m.addingReportingOverflow(Int128(d))
                if o1 || o2 { overflow = true } else { value = r }
            }
            guard let n = it.next() else { break }
            c = n
        }
        if overflow { return nil }  // i128 parse fails on overflow
        return negative ? -value : value
    }

    /// `f64::from_str`: `[+-]` then digits with an optional `.` and exponent, or `inf`/`infinity`/`nan`
    /// (any case). At least one digit in the mantissa; `"1."` and `".5"` are accepted, `"."` and `""` are not.
    static func double(_ s: String) -> Double? {
        let u = Array(s.utf8)
        var i = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
        let rest = u[i...]
        if rest.isEmpty { return nil }
        let lower = String(decoding: rest, as: UTF8.self).lowercased()
        if lower == "inf" || lower == "infinity" { return u.first == UInt8(ascii: "-") ? -.infinity : .infinity }
        if lower == "nan" { return .nan }
        var digits = 0
        while i < u.count, u[i] &- UInt8(ascii: "0") < 10 { i += 1; digits += 1 }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count, u[i] &- UInt8(ascii: "0") < 10 { i += 1; digits += 1 }
        }
        if digits == 0 { return nil }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
            var expDigits = 0
            while i < u.count, u[i] &- UInt8(ascii: "0") < 10 { i += 1; expDigits += 1 }
            if expDigits == 0 { return nil }
        }
        if i != u.count { return nil }
        // Swift's parser (strtod semantics, correctly rounded) accepts a superset of this syntax.
        var text = String(decoding: u, as: UTF8.self)
        if text.hasSuffix(".") { text += "0" }
        if let dot = text.firstIndex(of: "."), dot == text.startIndex || !(text[text.index(before: dot)].isNumber) {
            text.insert("0", at: dot)
        }
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }), text[text.index(before: e)] == "." {
            text.insert("0", at: e)
        }
        return Double(text)
    }

    /// Rust `f64 as i64`: saturating, NaN to 0.
    static func saturatingInt64(_ d: Double) -> Int64 {
        if d.isNaN { return 0 }
        if d >= 9_223_372_036_854_775_807.0 { return .max }
        if d <= -9_223_372_036_854_775_808.0 { return .min }
        return Int64(d)
    }
}
