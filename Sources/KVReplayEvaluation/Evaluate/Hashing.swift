import CKVHash

/// The hashes Statsig evaluation uses, over UTF-8 bytes without intermediate strings.
public enum Hashing {
    /// First 8 bytes of SHA-256, big-endian: the evaluation hash of `prefix + unit`.
    @inline(__always)
    static func evaluationHash(prefix: [UInt8], unit: String) -> UInt64 {
        prefix.withUnsafeBufferPointer { evaluationHash(prefix: $0, unit: unit) }
    }

    /// `evaluationHash` with the prefix in memory the caller owns (no reference count touched).
    @inline(__always)
    static func evaluationHash(prefix: UnsafeBufferPointer<UInt8>, unit: String) -> UInt64 {
        var unit = unit
        return unit.withUTF8 { u in
            let total = prefix.count + u.count
            if total <= 512 {
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buf in
                    if prefix.count > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: prefix.baseAddress!, byteCount: prefix.count) }
                    if u.count > 0 { UnsafeMutableRawPointer(buf.baseAddress! + prefix.count).copyMemory(from: u.baseAddress!, byteCount: u.count) }
                    return kv_sha256_prefix_u64(buf.baseAddress, total)
                }
            }
            var bytes = Array(prefix)
            bytes.append(contentsOf: u)
            return kv_sha256_prefix_u64(bytes, bytes.count)
        }
    }

    /// `computeHash(s)` of the spec: first 8 bytes of SHA-256 of the string.
    public static func hash(_ s: String) -> UInt64 { evaluationHash(prefix: [], unit: s) }

    /// The ID-list key of a unit ID: the 8 characters of `base64(sha256(id))` packed into an integer.
    static func idListKey(of unitID: String) -> UInt64 {
        var digest = [UInt8](repeating: 0, count: 32)
        var id = unitID
        id.withUTF8 { u in kv_sha256(u.baseAddress, u.count, &digest) }
        var b64 = [CChar](repeating: 0, count: 12)
        // 6 bytes encode to exactly 8 base64 characters, the prefix Statsig keeps.
        _ = digest.withUnsafeBufferPointer { d in kv_base64_encode(d.baseAddress, 6, &b64) }
        var key: UInt64 = 0
        for c in b64[0..<8] { key = key << 8 | UInt64(UInt8(bitPattern: c)) }
        return key
    }

    /// The 8-character ID-list hash (`base64(sha256(id))[0..<8]`) as text.
    public static func idListHash(of unitID: String) -> String {
        let key = idListKey(of: unitID)
        return String(decoding: (0..<8).map { UInt8(truncatingIfNeeded: key >> (56 - 8 * $0)) }, as: UTF8.self)
    }

    static func packIDListHash(_ s: String) -> UInt64? {
        let u = Array(s.utf8)
        guard u.count == 8 else { return nil }
        return u.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension Hashing {
    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { b in kv_sha256(b.baseAddress, b.count, &digest) }
        return digest
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in sha256(bytes) { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
