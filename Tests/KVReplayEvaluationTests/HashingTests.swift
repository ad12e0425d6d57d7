import CKVHash
import Foundation
import Testing

/// SHA-256 / base64 in CKVHash: conformance vectors from the reference SDKs
/// (Fixtures/hash_test_vectors.json), NIST FIPS 180-4 examples, and cross-checks of the SHA-NI
/// and portable code paths.
@Suite struct HashingTests {
    /// A SHA-256 implementation under test.
    struct Path: CustomStringConvertible, Sendable {
        let description: String
        let digest: @Sendable (UnsafeRawBufferPointer) -> [UInt8]
        let prefix: @Sendable (UnsafeRawBufferPointer) -> UInt64
    }

    static let paths: [Path] = [
        Path(
            description: "dispatch",
            digest: { b in digestWith(b, kv_sha256) },
            prefix: { b in kv_sha256_prefix_u64(b.baseAddress, b.count) }),
        Path(
            description: "portable",
            digest: { b in digestWith(b, kv_sha256_portable) },
            prefix: { b in kv_sha256_prefix_u64_portable(b.baseAddress, b.count) }),
        Path(
            description: "shani",  // falls back to portable when the CPU lacks SHA-NI
            digest: { b in digestWith(b, kv_sha256_shani) },
            prefix: { b in kv_sha256_prefix_u64_shani(b.baseAddress, b.count) }),
    ]

    static func digestWith(
        _ b: UnsafeRawBufferPointer,
        _ f: (UnsafeRawPointer?, Int, UnsafeMutablePointer<UInt8>?) -> Void
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { f(b.baseAddress, b.count, $0.baseAddress) }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func base64(_ bytes: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: (bytes.count + 2) / 3 * 4)
        let n = bytes.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { kv_base64_encode(inp.baseAddress, inp.count, $0.baseAddress) }
        }
        #expect(n == out.count)
        return String(decoding: out.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func sha(_ path: Path, _ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { path.digest($0) }
    }

    static func sha(_ path: Path, _ s: String) -> [UInt8] { sha(path, Array(s.utf8)) }

    static func prefix(_ path: Path, _ s: String) -> UInt64 {
        Array(s.utf8).withUnsafeBytes { path.prefix($0) }
    }

    // MARK: - Fixture

    struct Vectors: Decodable {
        struct PassPercentage: Decodable {
            let input: String
            let sha256_hex: String
            let u64: String
            let mod_10000: UInt64
            let pass_percentage: Double
            let passes: Bool
        }
        struct UserBucket: Decodable {
            let input: String
            let u64: String
            let bucket_mod_1000: UInt64
        }
        struct IDList: Decodable {
            let unit_id: String
            let sha256_base64: String
            let lookup_id_first_8: String
        }
        struct NameHash: Decodable {
            let input: String
            let sha256_base64: String
        }
        let pass_percentage: [PassPercentage]
        let user_bucket: [UserBucket]
        let id_list: [IDList]
        let sha256_base64_name: [NameHash]
    }

    static func loadVectors() throws -> Vectors {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/hash_test_vectors", withExtension: "json"))
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }

    @Test(arguments: paths)
    func passPercentageVectors(path: Path) throws {
        let v = try Self.loadVectors()
        #expect(!v.pass_percentage.isEmpty)
        for e in v.pass_percentage {
            #expect(Self.hex(Self.sha(path, e.input)) == e.sha256_hex, "\(e.input)")
            let u = Self.prefix(path, e.input)
            #expect(String(u) == e.u64, "\(e.input)")
            #expect(u % 10000 == e.mod_10000)
            #expect((Double(u % 10000) < e.pass_percentage * 100) == e.passes)
        }
    }

    @Test(arguments: paths)
    func userBucketVectors(path: Path) throws {
        let v = try Self.loadVectors()
        #expect(!v.user_bucket.isEmpty)
        for e in v.user_bucket {
            let u = Self.prefix(path, e.input)
            #expect(String(u) == e.u64, "\(e.input)")
            #expect(u % 1000 == e.bucket_mod_1000)
        }
    }

    @Test(arguments: paths)
    func idListAndNameVectors(path: Path) throws {
        let v = try Self.loadVectors()
        #expect(!v.id_list.isEmpty)
        for e in v.id_list {
            let b64 = Self.base64(Self.sha(path, e.unit_id))
            #expect(b64 == e.sha256_base64, "\(e.unit_id)")
            #expect(String(b64.prefix(8)) == e.lookup_id_first_8)
        }
        for e in v.sha256_base64_name {
            #expect(Self.base64(Self.sha(path, e.input)) == e.sha256_base64, "\(e.input)")
        }
    }

    @Test func idListHash8() throws {
        let v = try Self.loadVectors()
        for e in v.id_list {
            var out = [CChar](repeating: 0, count: 8)
            let bytes = Array(e.unit_id.utf8)
            bytes.withUnsafeBytes { b in
                out.withUnsafeMutableBufferPointer { kv_idlist_hash8(b.baseAddress, b.count, $0.baseAddress) }
            }
            #expect(String(decoding: out.map { UInt8(bitPattern: $0) }, as: UTF8.self) == e.lookup_id_first_8)
        }
    }

    // MARK: - NIST FIPS 180-4 / CAVP examples

    static let nist: [(message: String, repeatCount: Int, digest: String)] = [
        ("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         1, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ("a", 1_000_000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test(arguments: paths)
    func nistVectors(path: Path) {
        for (m, n, expected) in Self.nist {
            let bytes = Array(String(repeating: m, count: n).utf8)
            let d = Self.sha(path, bytes)
            #expect(Self.hex(d) == expected, "\(m.prefix(20))×\(n)")
            let u = bytes.withUnsafeBytes { path.prefix($0) }
            #expect(u == UInt64(expected.prefix(16), radix: 16)!)
        }
    }

    /// Lengths 0...300 around every block boundary: msg(n)[i] = (7 i + n) & 0xff.
    /// Expected value from Python: sha256(b"".join(sha256(msg(n)).digest() for n in range(301))).
    @Test(arguments: paths)
    func allLengthsUpTo300(path: Path) {
        var concatenated: [UInt8] = []
        for n in 0...300 {
            let msg = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) }
            let d = Self.sha(path, msg)
            concatenated += d
            #expect(msg.withUnsafeBytes { path.prefix($0) } == d.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        }
        #expect(Self.hex(Self.sha(path, concatenated)) == "60d63ff40b5558727a9b786ac0be9300f7ca58fd9ddd3b2f3681b369018a87dc")
    }

    /// SHA-NI and portable agree on random messages (lengths 0...300 and a few long ones).
    @Test func shaniMatchesPortable() {
        var rng = SplitMix64(seed: 0x5eed)
        let portable = Self.paths[1], shani = Self.paths[2]
        for i in 0..<2000 {
            let n = i < 1900 ? Int(rng.next() % 301) : Int(rng.next() % 20000)
            let msg = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(Self.sha(portable, msg) == Self.sha(shani, msg), "length \(n)")
        }
    }

    @Test func dispatchReportsShaNI() {
        // The dispatcher uses SHA-NI exactly when the CPU has it (unless KV_SHA256_NO_SHANI is set).
        let forcedOff = ProcessInfo.processInfo.environment["KV_SHA256_NO_SHANI"].map { !$0.isEmpty && $0 != "0" } ?? false
        #expect(kv_sha256_uses_shani() == (kv_sha256_shani_available() != 0 && !forcedOff ? 1 : 0))
        #if arch(x86_64) && os(Linux)
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            let hasSHA = cpuinfo.split(separator: "\n").contains {
                $0.hasPrefix("flags") && $0.split(separator: " ").contains("sha_ni")
            }
            #expect((kv_sha256_shani_available() != 0) == hasSHA)
        }
        #else
        #expect(kv_sha256_shani_available() == 0)
        #endif
    }

    @Test func base64Padding() {
        let cases: [(String, String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in cases {
            #expect(Self.base64(Array(plain.utf8)) == encoded)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Self.base64(all) == Data(all).base64EncodedString())
    }

    /// Deterministic PRNG for the cross-check.
    struct SplitMix64 {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
