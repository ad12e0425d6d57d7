import CKVHash
import Foundation
import KVReplayIO

/// SHA-256 over data that arrives in pieces.
public struct SHA256Stream {
    private var ctx = kv_sha256_ctx()

    public init() { kv_sha256_init(&ctx) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        kv_sha256_update(&ctx, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest; the stream must not be updated afterwards.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        kv_sha256_final(&ctx, &out)
        return out
    }

    public mutating func finalizeHex() -> String { Hex.encode(finalize()) }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        var s = SHA256Stream()
        let done: Void? = bytes.withContiguousStorageIfAvailable { b in s.update(UnsafeRawBufferPointer(b)) }
        if done == nil { s.update(Array(bytes)) }
        return s.finalizeHex()
    }

    /// The first 8 bytes of SHA-256, big-endian, as a signed integer (for dedupe keys).
    public static func prefix64(_ bytes: [UInt8]) -> Int64 {
        Int64(bitPattern: bytes.withUnsafeBytes { kv_sha256_prefix_u64($0.baseAddress, $0.count) })
    }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Timestamps as users write them: ISO 8601 / RFC 3339 and epoch seconds or milliseconds. All results are ms since the epoch.
public enum Timestamps {
    /// Epoch numbers below this are seconds, above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
    static let secondsLimit: Double = 1e11

    /// Parses `2026-01-05T10:00:00Z`, `2026-01-05 10:00:00.123+01:00`, `2026-01-05T10:00:00` (UTC), `2026-01-05`
    /// (midnight UTC), `20260105T100000Z`, a trailing ` UTC`, or an epoch number in seconds or milliseconds
    /// (fractions allowed; below 1e11 it is seconds).
    public static func parse(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { return nil }
        if s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }), let d = Double(s) {
            return epoch(d)
        }
        let u = Array(s.utf8)
        var p = 0
        guard let ms = iso(u, &p, allowDateOnly: true) else { return nil }
        // A trailing " UTC" (warehouse exports) is allowed.
        let rest = String(decoding: u[p...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard rest.isEmpty || rest == "UTC" || rest == "GMT" else { return nil }
        return ms
    }

    /// A number of seconds or milliseconds since the epoch, told apart by magnitude.
    public static func epoch(_ d: Double) -> Int64? {
        guard d.isFinite, d >= 0 else { return nil }
        if d < secondsLimit { return Int64((d * 1000).rounded()) }
        guard d < 9.2e18 else { return nil }
        return Int64(d.rounded())
    }

    /// The first timestamp in a file name: ISO 8601 (basic or extended, `-` allowed instead of `:` in the time,
    /// date alone allowed) or a run of exactly 10 (seconds) or 13 (milliseconds) digits standing alone.
    /// Only years 2000-2099 are taken, so that IDs and counters are not read as dates.
    public static func fromFileName(_ name: String) -> Int64? {
        let u = Array(name.utf8)
        var i = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }
        while i < u.count {
            guard isDigit(u[i]), i == 0 || !isDigit(u[i - 1]) else { i += 1; continue }
            var j = i
            while j < u.count, isDigit(u[j]) { j += 1 }
            let run = j - i
            let standsAlone = (i == 0 || !isAlnum(u[i - 1])) && (j == u.count || !isAlnum(u[j]))
            // ISO date: YYYY-MM-DD... or YYYYMMDD...
            if run == 4 || run == 8 {
                var p = i
                if let ms = iso(u, &p, allowDateOnly: true), (p == u.count || !isAlnum(u[p]) || u[p] == UInt8(ascii: "Z")),
                    i == 0 || !isAlnum(u[i - 1]), plausible(ms)
                {
                    return ms
                }
            }
            if standsAlone && (run == 10 || run == 13), let d = Double(String(decoding: u[i..<j], as: UTF8.self)) {
                let ms = run == 10 ? Int64(d) * 1000 : Int64(d)
                if plausible(ms) { return ms }
            }
            i = j
        }
        return nil
    }

    static func plausible(_ ms: Int64) -> Bool {
        ms >= 946_684_800_000 && ms < 4_102_444_800_000  // 2000-01-01 ..< 2100-01-01
    }

    /// ISO 8601 at `p`: date (`YYYY-MM-DD` or `YYYYMMDD`), then optionally `T`, `t`, ` ` or `_` and a time
    /// (`hh:mm[:ss[.frac]]`, `hh-mm-ss`, `hhmmss`), then optionally `Z` or an offset. No offset means UTC.
    static func iso(_ u: [UInt8], _ p: inout Int, allowDateOnly: Bool) -> Int64? {
        func digits(_ n: Int) -> Int? {
            guard p + n <= u.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = u[p + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            p += n
            return v
        }
        func accept(_ c: Character) -> Bool {
            if p < u.count, u[p] == c.asciiValue! { p += 1; return true }
            return false
        }
        guard let year = digits(4) else { return nil }
        let extended = accept("-")
        guard let month = digits(2), (1...12).contains(month) else { return nil }
        if extended { guard accept("-") else { return nil } }
        guard let day = digits(2), (1...31).contains(day) else { return nil }
        var seconds = 0
        var millis = 0
        var offset = 0
        let save = p
        if p < u.count, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " "), UInt8(ascii: "_")].contains(u[p]) {
            p += 1
            if let hour = digits(2), hour < 24 {
                let sep: UInt8? = p < u.count && (u[p] == UInt8(ascii: ":") || u[p] == UInt8(ascii: "-")) ? u[p] : nil
                if let sep { p += 1; _ = sep }
                if let minute = digits(2), minute < 60 {
                    var second = 0
                    if let sep {
                        if p < u.count, u[p] == sep {
                            p += 1
                            guard let s = digits(2), s < 61 else { return nil }
                            second = s
                        }
                    } else if let s = digits(2), s < 61 {
                        second = s
                    }
                    if p < u.count, u[p] == UInt8(ascii: ".") || u[p] == UInt8(ascii: ",") {
                        p += 1
                        var n = 0
                        var frac = 0
                        while p < u.count, u[p] >= 0x30, u[p] <= 0x39 {
                            if n < 3 { frac = frac * 10 + Int(u[p] - 0x30) }
                            n += 1
                            p += 1
                        }
                        if n == 0 { return nil }
                        for _ in n..<max(n, 3) { frac *= 10 }
                        millis = frac
                    }
                    seconds = hour * 3600 + minute * 60 + second
                    if p < u.count, u[p] == UInt8(ascii: "Z") || u[p] == UInt8(ascii: "z") {
                        p += 1
                    } else if p < u.count, u[p] == UInt8(ascii: "+") || u[p] == UInt8(ascii: "-") {
                        let negative = u[p] == UInt8(ascii: "-")
                        let mark = p
                        p += 1
                        if let oh = digits(2), oh < 24 {
                            _ = accept(":")
                            let om = digits(2) ?? 0
                            offset = (oh * 3600 + om * 60) * (negative ? -1 : 1)
                        } else {
                            p = mark
                        }
                    }
                } else {
                    return nil
                }
            } else {
                p = save
            }
        }
        if p == save && !allowDateOnly { return nil }
        let days = daysFromCivil(year, month, day)
        return (Int64(days) * 86400 + Int64(seconds - offset)) * 1000 + Int64(millis)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `2026-01-05T10:00:00.000Z` for a time in ms.
    public static func iso8601(_ ms: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

/// The KV key named in a file name: `statsig-<id>` where `<id>` is letters and digits.
enum KVKeys {
    static func fromFileName(_ name: String) -> String? {
        guard let r = name.range(of: "statsig-") else { return nil }
        let id = name[r.upperBound...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return id.isEmpty ? nil : "statsig-" + id
    }

    /// The part after `statsig-`, when the key has that form.
    static func id(of key: String) -> String? {
        guard key.hasPrefix("statsig-") else { return nil }
        let id = String(key.dropFirst("statsig-".count))
        return id.isEmpty ? nil : id
    }

    /// Keys that Statsig's adapters use for config specs.
    static func looksLikeStatsig(_ key: String) -> Bool {
        key.hasPrefix("statsig-") || key.hasPrefix("statsig|") || key == "statsig.cache"
    }
}

/// Files named on the command line, folders walked recursively (hidden entries skipped), sorted by path.
public enum InputPaths {
    public struct Expanded: Sendable {
        public var files: [String]
        /// Paths that do not exist or cannot be read, with the reason.
        public var missing: [(path: String, problem: String)]
    }

    public static func expand(_ paths: [String]) -> Expanded {
        var files: [String] = []
        var missing: [(String, String)] = []
        let fm = FileManager.default
        for path in paths {
            if path == "-" { files.append(path); continue }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                missing.append((path, "no such file or folder"))
                continue
            }
            if !isDir.boolValue { files.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else {
                missing.append((path, "cannot read the folder"))
                continue
            }
            var found: [String] = []
            while let rel = walker.nextObject() as? String {
                let name = (rel as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                    continue
                }
                let full = (path as NSString).appendingPathComponent(rel)
                var sub: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { found.append(full) }
            }
            files.append(contentsOf: found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        return Expanded(files: files, missing: missing)
    }
}

/// The first bytes of a record as text, for `rejects.excerpt`.
enum Excerpt {
    static let limit = 200

    static func of(_ bytes: some Collection<UInt8>) -> String {
        var prefix = Array(bytes.prefix(limit))
        // Do not cut a UTF-8 sequence in half.
        while let last = prefix.last, last & 0xC0 == 0x80 || (last >= 0xC0 && prefix.count == limit) { prefix.removeLast() }
        var s = String(decoding: prefix, as: UTF8.self)
        if bytes.count > limit { s += "…" }
        return s
    }
}

/// Reads a whole file's raw bytes (no gunzip) and its SHA-256; `-` reads standard input.
enum RawFile {
    /// Bytes of a file's start that go into its probe.
    static let probeBytes = 1 << 20

    /// A quick identity test: SHA-256 of the file's size and its first MiB. Files with different probes differ;
    /// files with the same probe are compared by their full SHA-256.
    static func probe(size: Int, head: some Collection<UInt8>) -> String {
        var h = SHA256Stream()
        h.update(Array("\(size):".utf8))
        h.update(Array(head.prefix(probeBytes)))
        return h.finalizeHex()
    }

    /// The probe of a file on disk (its size and first MiB; reads no more).
    static func probe(_ path: String) throws(FileError) -> (probe: String, size: Int) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileError(path: path, problem: "no such file") }
        let input = try StreamingInput(path: path, chunkSize: probeBytes, decompress: false)
        let head = try input.read() ?? []
        return (probe(size: Int(st.st_size), head: head), Int(st.st_size))
    }

    /// The whole file, when it is not larger than `limit`.
    static func read(_ path: String, limit: Int = InputLimits.maxDocumentBytes) throws(FileError) -> (bytes: [UInt8], sha256: String) {
        var hasher = SHA256Stream()
        var all = [UInt8]()
        // StreamingInput would gunzip; read the raw bytes through a plain input instead.
        let input = try StreamingInput(path: path, chunkSize: 1 << 22, rawObserver: { hasher.update($0) }, decompress: false)
        while let chunk = try input.read() {
            if all.count + chunk.count > limit {
                throw FileError(path: path, problem: "larger than \(InputLimits.describe(limit)), the most read whole into memory "
                    + "(the limit is KVREPLAY_MAX_DOCUMENT_BYTES)")
            }
            all.append(contentsOf: chunk)
        }
        return (all, hasher.finalizeHex())
    }

    /// SHA-256 of a file's raw bytes, read in chunks (memory stays bounded).
    static func sha256(_ path: String) throws(FileError) -> (sha256: String, bytes: Int) {
        var hasher = SHA256Stream()
        let input = try StreamingInput(path: path, chunkSize: 1 << 22, rawObserver: { hasher.update($0) }, decompress: false)
        while try input.read() != nil {}
        return (hasher.finalizeHex(), input.rawBytesRead)
    }
}
