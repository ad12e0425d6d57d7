/// Timestamp parsing of the core SDK (`DynamicValue::try_parse_timestamp` and the target-side twin):
/// an `i64`, else RFC 3339 (chrono's `parse_from_rfc3339`), else `%Y-%m-%d %H:%M:%S` as UTC; milliseconds.
enum TimestampParsing {
    /// User-side values: strings shorter than 8 or longer than 20 bytes, or without `-`, `T` or `:`, are not dates.
    static func userValue(_ s: String) -> Int64? {
        if let i = RustParsing.int64(s) { return i }
        let n = s.utf8.count
        if n < 8 || n > 20 { return nil }
        if !s.utf8.contains(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: ":") }) { return nil }
        return date(s)
    }

    /// Target values: the same parsers without the fast reject.
    static func target(_ s: String) -> Int64? {
        if let i = RustParsing.int64(s) { return i }
        return date(s)
    }

    static func date(_ s: String) -> Int64? {
        rfc3339(Array(s.utf8)) ?? naive(Array(s.utf8))
    }

    /// chrono `DateTime::parse_from_rfc3339`: `YYYY-MM-DD(T|t| )hh:mm:ss(.frac)?(Z|z|±hh:mm)`.
    static func rfc3339(_ u: [UInt8]) -> Int64? {
        var p = 0
        guard let (y, mo, d) = ymd(u, &p) else { return nil }
        guard p < u.count, u[p] == UInt8(ascii: "T") || u[p] == UInt8(ascii: "t") || u[p] == UInt8(ascii: " ") else { return nil }
        p += 1
        guard let (h, mi, sRaw) = hms(u, &p) else { return nil }
        var nanos: Int64 = 0
        if p < u.count, u[p] == UInt8(ascii: ".") {
            p += 1
            var digits = 0
            var frac: Int64 = 0
            while p < u.count, u[p] &- UInt8(ascii: "0") < 10 {
                if digits < 9 { frac = frac * 10 + Int64(u[p] - UInt8(ascii: "0")) }
                digits += 1
                p += 1
            }
            if digits == 0 { return nil }
            for _ in digits..<max(digits, 9) { frac *= 10 }
            nanos = frac
        }
        guard p < u.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch u[p] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            p += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let negative = u[p] == UInt8(ascii: "-")
            p += 1
            guard let oh = twoDigits(u, p), oh < 24 else { return nil }
            p += 2
            guard p < u.count, u[p] == UInt8(ascii: ":") else { return nil }
            p += 1
            guard let om = twoDigits(u, p), om < 60 else { return nil }
            p += 2
            offsetSeconds = Int64(oh * 3600 + om * 60) * (negative ? -1 : 1)
        default:
            return nil
        }
        guard p == u.count else { return nil }
        // chrono accepts a leap second (:60) in RFC 3339 input and folds it into the previous second.
        let s = min(sRaw, 59)
        let extraNanos: Int64 = sRaw == 60 ? 1_000_000_000 : 0
        guard let days = daysFromCivil(y, mo, d) else { return nil }
        let seconds = days * 86_400 + Int64(h * 3600 + mi * 60 + s) - offsetSeconds
        return seconds * 1000 + (nanos + extraNanos) / 1_000_000
    }

    /// chrono `NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")`.
    static func naive(_ u: [UInt8]) -> Int64? {
        var p = 0
        guard let (y, mo, d) = ymd(u, &p, strictYear: false) else { return nil }
        guard p < u.count, u[p] == UInt8(ascii: " ") else { return nil }
        p += 1
        guard let (h, mi, s) = hms(u, &p, allowLeap: false) else { return nil }
        guard p == u.count else { return nil }
        guard let days = daysFromCivil(y, mo, d) else { return nil }
        return (days * 86_400 + Int64(h * 3600 + mi * 60 + s)) * 1000
    }

    private static func twoDigits(_ u: [UInt8], _ p: Int) -> Int? {
        guard p + 1 < u.count else { return nil }
        let a = u[p] &- UInt8(ascii: "0"), b = u[p + 1] &- UInt8(ascii: "0")
        guard a < 10, b < 10 else { return nil }
        return Int(a) * 10 + Int(b)
    }

    private static func ymd(_ u: [UInt8], _ p: inout Int, strictYear: Bool = true) -> (Int, Int, Int)? {
        var year = 0
        var digits = 0
        var negative = false
        if !strictYear, p < u.count, u[p] == UInt8(ascii: "+") || u[p] == UInt8(ascii: "-") {
            negative = u[p] == UInt8(ascii: "-")
            p += 1
        }
        while p < u.count, u[p] &- UInt8(ascii: "0") < 10 {
            year = year * 10 + Int(u[p] - UInt8(ascii: "0"))
            digits += 1
            p += 1
            if digits > 9 { return nil }
        }
        if strictYear ? digits != 4 : digits < 1 { return nil }
        if negative { year = -year }
        guard p < u.count, u[p] == UInt8(ascii: "-") else { return nil }
        p += 1
        let month: Int
        if strictYear {
            guard let m = twoDigits(u, p) else { return nil }
            month = m; p += 2
        } else {
            guard let m = lenientNumber(u, &p) else { return nil }
            month = m
        }
        guard p < u.count, u[p] == UInt8(ascii: "-") else { return nil }
        p += 1
        let day: Int
        if strictYear {
            guard let dd = twoDigits(u, p) else { return nil }
            day = dd; p += 2
        } else {
            guard let dd = lenientNumber(u, &p) else { return nil }
            day = dd
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month, year) else { return nil }
        return (year, month, day)
    }

    /// chrono's `%m`/`%d`/`%H`/... accept one or two digits.
    private static func lenientNumber(_ u: [UInt8], _ p: inout Int) -> Int? {
        var v = 0
        var n = 0
        while p < u.count, n < 2, u[p] &- UInt8(ascii: "0") < 10 {
            v = v * 10 + Int(u[p] - UInt8(ascii: "0"))
            n += 1
            p += 1
        }
        return n == 0 ? nil : v
    }

    private static func hms(_ u: [UInt8], _ p: inout Int, allowLeap: Bool = true) -> (Int, Int, Int)? {
        let strict = allowLeap
        func num(_ p: inout Int) -> Int? {
            if strict {
                guard let v = twoDigits(u, p) else { return nil }
                p += 2
                return v
            }
            return lenientNumber(u, &p)
        }
        guard let h = num(&p), p < u.count, u[p] == UInt8(ascii: ":") else { return nil }
        p += 1
        guard let m = num(&p), p < u.count, u[p] == UInt8(ascii: ":") else { return nil }
        p += 1
        guard let s = num(&p) else { return nil }
        guard h < 24, m < 60, s < (allowLeap ? 61 : 60) else { return nil }
        return (h, m, s)
    }

    private static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64? {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
