#if canImport(Glibc)
import Glibc
#endif

/// A set of strings compared by their UTF-8 bytes (as Rust compares strings), probed with a hash the caller computed
/// once (`ByteStringSet.hash`): membership in a large `any`/`none` target costs one probe and one byte comparison,
/// with no hashing of the user's value and no reference counting. Immutable once built.
final class ByteStringSet: @unchecked Sendable {
    /// The members' bytes, one after the other; member `i` is `bytes[starts[i] ..< starts[i + 1]]`.
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let starts: UnsafeMutableBufferPointer<Int>
    private let hashes: UnsafeMutableBufferPointer<UInt64>
    /// Open addressing, linear probing: member index, or -1.
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let mask: Int

    init<S: Sequence>(_ elements: S) where S.Element == String {
        var members: [String] = []
        var seen = Set<ExactString>()
        for s in elements where seen.insert(ExactString(s)).inserted { members.append(s) }
        let total = members.reduce(0) { $0 + $1.utf8.count }
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(total, 1))
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: members.count + 1)
        let hashes = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(members.count, 1))
        var at = 0
        for (i, m) in members.enumerated() {
            var m = m
            starts[i] = at
            m.withUTF8 { u in
                if u.count > 0 { UnsafeMutableRawPointer(bytes.baseAddress! + at).copyMemory(from: u.baseAddress!, byteCount: u.count) }
                hashes[i] = ByteStringSet.hash(bytes: u)
                at += u.count
            }
        }
        starts[members.count] = at
        self.bytes = bytes
        self.starts = starts
        self.hashes = hashes
        var capacity = 4
        while capacity < members.count * 2 { capacity *= 2 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: -1)
        mask = capacity - 1
        for i in members.indices {
            var p = Int(truncatingIfNeeded: hashes[i]) & mask
            while slots[p] >= 0 { p = (p + 1) & mask }
            slots[p] = Int32(i)
        }
    }

    deinit {
        bytes.deallocate()
        starts.deallocate()
        hashes.deallocate()
        slots.deallocate()
    }

    /// FNV-1a (64-bit) of UTF-8 bytes, finished with a multiply-xorshift so that the low bits spread.
    static func hash(bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    static func hash(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { hash(bytes: $0) }
    }

    /// Whether `s`, whose `hash` is `h`, is in the set.
    func contains(_ s: String, hash h: UInt64) -> Bool {
        var p = Int(truncatingIfNeeded: h) & mask
        while true {
            let i = Int(slots[p])
            if i < 0 { return false }
            if hashes[i] == h && equals(i, s) { return true }
            p = (p + 1) & mask
        }
    }

    private func equals(_ i: Int, _ s: String) -> Bool {
        let start = starts[i], n = starts[i + 1] - start
        if s.utf8.count != n { return false }
        if n == 0 { return true }
        if let r = s.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, bytes.baseAddress! + start, n) == 0 }) { return r }
        return s.utf8.elementsEqual(UnsafeBufferPointer(rebasing: bytes[start..<(start + n)]))
    }
}

/// A list of strings as UTF-8 bytes in one buffer, matched against a user's string by bytes (`str_starts_with_any`,
/// `str_ends_with_any`, `str_contains_any`, the case-sensitive `any`): no string is copied or retained per match.
final class ByteStringList: @unchecked Sendable {
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    /// Member `i` is `bytes[starts[i] ..< starts[i + 1]]`.
    private let starts: UnsafeMutableBufferPointer<Int>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        let total = strings.reduce(0) { $0 + $1.utf8.count }
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(total, 1))
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: strings.count + 1)
        var at = 0
        for (i, s) in strings.enumerated() {
            starts[i] = at
            for b in s.utf8 { bytes[at] = b; at += 1 }
        }
        starts[strings.count] = at
        self.bytes = bytes
        self.starts = starts
    }

    deinit {
        bytes.deallocate()
        starts.deallocate()
    }

    enum Match { case equal, prefix, suffix, contains }

    /// Whether the `k` bytes at `needle` occur in `u` (`k` > 0).
    private static func find(_ needle: UnsafePointer<UInt8>, _ k: Int, in u: UnsafeBufferPointer<UInt8>) -> Bool {
        let base = u.baseAddress!
        let last = u.count - k
        var i = 0
        while i <= last {
            guard let hit = memchr(base + i, Int32(needle[0]), last - i + 1) else { return false }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + at, needle, k) == 0 { return true }
            i = at + 1
        }
        return false
    }

    /// Whether any member matches `s` in the given way (`prefix`: `s` starts with the member; `contains`: `s`
    /// contains it).
    func any(_ match: Match, in s: String) -> Bool {
        if let r = s.utf8.withContiguousStorageIfAvailable({ anyBytes(match, in: $0) }) { return r }
        return Array(s.utf8).withUnsafeBufferPointer { anyBytes(match, in: $0) }
    }

    private func anyBytes(_ match: Match, in u: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = u.count
        for i in 0..<count {
            let start = starts[i], k = starts[i + 1] - start
            let m = bytes.baseAddress! + start
            switch match {
            case .equal:
                if k == n && (k == 0 || memcmp(m, u.baseAddress!, k) == 0) { return true }
            case .prefix:
                if k <= n && (k == 0 || memcmp(m, u.baseAddress!, k) == 0) { return true }
            case .suffix:
                if k <= n && (k == 0 || memcmp(m, u.baseAddress! + (n - k), k) == 0) { return true }
            case .contains:
                if k == 0 { return true }
                if k <= n && ByteStringList.find(m, k, in: u) { return true }
            }
        }
        return false
    }
}
