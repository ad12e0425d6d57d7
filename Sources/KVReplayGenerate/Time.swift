/// UTC calendar arithmetic on epoch milliseconds (no Foundation, no time zones, no wall clock).
public enum UTCTime {
    public static let dayMs: Int64 = 86_400_000
    public static let hourMs: Int64 = 3_600_000
    public static let minuteMs: Int64 = 60_000

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y - 1 : y)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (UTC) into epoch ms.
    public static func parse(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= u.count else { return nil }
            var v = 0
            for i in r {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard u.count >= 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        var ms = daysFromCivil(y, m, d) * dayMs
        if u.count == 10 { return ms }
        guard u.count == 20, u[10] == UInt8(ascii: "T"), u[19] == UInt8(ascii: "Z"),
              let hh = num(11..<13), let mm = num(14..<16), let ss = num(17..<19), hh < 24, mm < 60, ss < 60
        else { return nil }
        ms += Int64(hh) * hourMs + Int64(mm) * minuteMs + Int64(ss) * 1000
        return ms
    }

    private static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// `2026-03-01`.
    public static func date(_ ms: Int64) -> String {
        let c = civil(fromDays: floorDiv(ms, dayMs))
        return "\(c.year)-\(two(c.month))-\(two(c.day))"
    }

    /// `2026-03-01T12:00:00Z` (`separator` replaces the colons, e.g. `-` for file names).
    public static func iso(_ ms: Int64, separator: String = ":") -> String {
        let secs = floorDiv(ms, 1000)
        let sod = Int(secs - floorDiv(secs, 86_400) * 86_400)
        return date(ms) + "T" + two(sod / 3600) + separator + two(sod / 60 % 60) + separator + two(sod % 60) + "Z"
    }

    /// `2026-03-01T12:00:00.123Z`.
    public static func isoMillis(_ ms: Int64) -> String {
        let frac = Int(ms - floorDiv(ms, 1000) * 1000)
        let f = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        var s = iso(ms)
        s.removeLast()
        return s + "." + f + "Z"
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
