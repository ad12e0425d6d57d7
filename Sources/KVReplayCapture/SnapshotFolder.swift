import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KVReplayIngest
public import KVReplayModel

/// The folder that captures are written to. Each capture is one file holding the value's bytes exactly as
/// served (what `wrangler kv key get` writes), named `<capture time>_<key>.json`, for example
/// `2026-01-05T10-00-00.123Z_statsig-XXXX.json`: `kvreplay ingest snapshots` reads the capture time and the key
/// from that name. Every file written is also recorded, with its source, in the hidden journal
/// `.kvreplay-captures.jsonl` (hidden files are passed over by ingest).
public struct SnapshotFolder: Sendable {
    public static let journalName = ".kvreplay-captures.jsonl"
    public let path: String

    public init(path: String) { self.path = path }

    /// The part of the file name after the time: the KV key with characters other than letters, digits,
    /// `-`, `.` and `_` replaced by `_`, or `dcs` for a Statsig download without `--key`.
    public static func stem(key: String?) -> String {
        guard let key, !key.isEmpty else { return "dcs" }
        return String(key.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_") ? c : "_"
        })
    }

    /// `2026-01-05T10-00-00.123Z_<stem>.json`: no `:` (artifact uploads and some file systems refuse it).
    public static func fileName(key: String?, capturedAt: Int64) -> String {
        "\(timeText(capturedAt))_\(stem(key: key)).json"
    }

    /// UTC, millisecond precision, `-` between the time's fields.
    public static func timeText(_ ms: Int64) -> String {
        var seconds = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        let millis = Int(ms - Int64(seconds) * 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        return String(format: "%04d-%02d-%02dT%02d-%02d-%02d.%03dZ", Int(t.tm_year) + 1900, Int(t.tm_mon) + 1, Int(t.tm_mday),
                      Int(t.tm_hour), Int(t.tm_min), Int(t.tm_sec), millis)
    }

    /// ISO 8601 with `:` (for messages and the journal).
    public static func isoText(_ ms: Int64) -> String {
        let t = timeText(ms)
        let date = t.prefix(10)
        let time = t.dropFirst(11).replacingOccurrences(of: "-", with: ":")
        return "\(date)T\(time)"
    }

    /// The newest capture of `stem` in the folder (by the time in its name), if any.
    public func latest(stem: String) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        let suffix = "_\(stem).json"
        var best: (time: Int64, name: String)? = nil
        for name in names where name.hasSuffix(suffix) && !name.hasPrefix(".") {
            let head = String(name.dropLast(suffix.count))
            guard head.count == 24, let t = Timestamps.parse(head) else { continue }
            if best == nil || t > best!.time || (t == best!.time && name > best!.name) { best = (t, name) }
        }
        return best.map { (path as NSString).appendingPathComponent($0.name) }
    }

    /// Creates the folder if needed.
    public func prepare() throws(CaptureError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .configuration("--out \(path): exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .output("--out \(path): cannot create the folder (\(error.localizedDescription))")
        }
    }

    /// Writes `bytes` as `name`: to a hidden temporary file first, renamed into place, so that a reader (or a
    /// process killed half-way) never sees part of a file. An existing file is never replaced.
    public func write(_ bytes: [UInt8], name: String) throws(CaptureError) -> String {
        let final = (path as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: final) { throw .output("\(final): exists already; not replaced") }
        let temporary = (path as NSString).appendingPathComponent(".\(name).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            // link() fails when the target exists, where rename() would replace it.
            guard link(temporary, final) == 0 else {
                let e = errno
                throw CaptureError.output("\(final): cannot create (\(String(cString: strerror(e))))")
            }
            unlink(temporary)
        } catch let error as CaptureError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw .output("\(final): cannot write (\(error.localizedDescription))")
        }
        return final
    }

    /// Appends one JSON line to the journal.
    public func record(_ entry: JSONObject) throws(CaptureError) {
        let journal = (path as NSString).appendingPathComponent(Self.journalName)
        var line = Array(JSONWriter(style: .serde).string(.object(entry)).utf8)
        line.append(0x0A)
        let fd = open(journal, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw .output("\(journal): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw .output("\(journal): cannot append (\(String(cString: strerror(errno))))") }
    }
}
