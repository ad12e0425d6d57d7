/// A small, fast, seedable generator (SplitMix64). Every random choice of `kvreplay generate` comes from one of
/// these, seeded from the run's seed and the identity of what is being generated (a day, a user, a capture), so
/// output does not depend on thread scheduling or on the order in which work is done.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for a named stream: the same `(seed, parts)` always gives the same stream.
    public init(_ seed: UInt64, _ parts: UInt64...) {
        var s = Mix.mix(seed ^ 0x9E37_79B9_7F4A_7C15)
        for p in parts { s = Mix.mix(s ^ Mix.mix(p &+ 0x632B_E59B_D9B4_E019)) }
        state = s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Mix.mix(state)
    }
}

enum Mix {
    /// The SplitMix64 finaliser.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stable 64-bit hash of a string (FNV-1a, then mixed); Swift's `Hasher` is seeded per process.
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return mix(h)
    }

    /// A deterministic value in [0, 1) from parts.
    static func unit(_ seed: UInt64, _ parts: UInt64...) -> Double {
        var s = mix(seed ^ 0x5851_F42D_4C95_7F2D)
        for p in parts { s = mix(s ^ mix(p &+ 0x1405_7B7E_F767_814F)) }
        return Double(s >> 11) * 0x1.0p-53
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Uniform in `range` (half-open).
    mutating func int(_ range: Range<Int>) -> Int {
        precondition(!range.isEmpty)
        return range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { int(range.lowerBound..<(range.upperBound + 1)) }

    mutating func int64(_ range: Range<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound))
    }

    mutating func pick<T>(_ a: [T]) -> T { a[int(0..<a.count)] }

    /// A weighted choice: `pairs` of (weight, value).
    mutating func weighted<T>(_ pairs: [(Double, T)]) -> T {
        let total = pairs.reduce(0) { $0 + $1.0 }
        var x = unit() * total
        for (w, v) in pairs {
            x -= w
            if x < 0 { return v }
        }
        return pairs[pairs.count - 1].1
    }

    /// `k` distinct elements of `a`, in the order of `a`.
    mutating func sample<T>(_ a: [T], _ k: Int) -> [T] {
        let k = min(k, a.count)
        var idx = Array(a.indices)
        for i in 0..<k { idx.swapAt(i, int(i..<idx.count)) }
        return idx.prefix(k).sorted().map { a[$0] }
    }

    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(0...i)) }
    }

    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A Statsig-style 22-character base62 ID (rule IDs, company IDs).
    mutating func base62ID(_ length: Int = 22) -> String {
        String(decoding: (0..<length).map { _ in Self.base62[Int(next() % 62)] }, as: UTF8.self)
    }

    /// A version-4 UUID string (salts, session IDs, stable IDs).
    mutating func uuid(uppercase: Bool = false) -> String {
        let hex = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        let a = next(), b = next()
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            var nibble = Int(((i < 16 ? a : b) >> UInt64(60 - 4 * (i % 16))) & 0xF)
            if i == 12 { nibble = 4 }
            if i == 16 { nibble = 8 | (nibble & 3) }
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(hex[nibble])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lower-case hex of `digits` nibbles.
    mutating func hex(_ digits: Int) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        var word = next()
        for i in 0..<digits {
            if i > 0 && i % 16 == 0 { word = next() }
            out.append(hex[Int(word & 0xF)])
            word >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
