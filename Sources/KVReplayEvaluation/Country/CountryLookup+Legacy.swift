extension CountryLookup {
    /// What the legacy SDK's `ip3country` 0.4.0 `lookupStr` does with an IP string.
    enum LegacyOutcome: Equatable {
        case country(String)
        /// `None`: not four `.`-separated parts, or a range whose code is `--`.
        case noCountry
        /// `int()` rejected a part (`ValueError`).
        case raises
    }

    /// `lookupStr(ip)`: `ip.split(".")` must give 4 parts, each read with Python's `int()` (whitespace, signs,
    /// underscores and non-ASCII digits accepted, any size); `n0 * 256**3 + (n1 << 16) + (n2 << 8) + n3`; then a binary
    /// search that never fails: below the first range gives the first range, beyond the last gives the last.
    func legacyLookup(ip: String) -> LegacyOutcome {
        let parts = ip.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return .noCountry }
        var values: [PythonInt] = []
        for p in parts {
            guard let v = Python.int(String(p)) else { return .raises }
            values.append(v)
        }
        let weights: [Int128] = [16_777_216, 65_536, 256, 1]
        var n: Int128 = 0
        if values.allSatisfy({ $0.int64 != nil }) {
            for (v, w) in zip(values, weights) { n += Int128(v.int64!) * w }
        } else {
            // Parts beyond 64 bits: only the order against 0 ... 2^32 matters, and such a part dominates the sum.
            var d = 0.0
            for (v, w) in zip(values, weights) { d += (Double(v.description) ?? 0) * Double(w) }
            n = d < 0 ? -1 : Int128(endOfTable) + 1
        }
        let k: Int
        if n < 0 {
            k = 0
        } else if n >= Int128(endOfTable) {
            k = lastAddress.count - 1
        } else {
            let v = UInt32(n)
            var lo = Int(firstRangeOf16[Int(v >> 16)])
            var hi = Int(firstRangeOf16[Int(v >> 16) + 1])
            while lo < hi {
                let mid = (lo + hi) >> 1
                if lastAddress[mid] < v { lo = mid + 1 } else { hi = mid }
            }
            k = lo
        }
        if let c = codes[Int(codeIndex[k])] { return .country(c) }
        return .noCountry
    }
}
