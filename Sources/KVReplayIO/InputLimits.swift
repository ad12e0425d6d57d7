import Foundation

/// Bounds on what kvreplay accepts from a file, so that a hostile or broken input (a gzip bomb, a file cut short by a
/// full disk, a multi-gigabyte line) fails with an error naming the file instead of exhausting memory or time.
///
/// - `KVREPLAY_MAX_DOCUMENT_BYTES` (default 1 GiB): the largest input read whole into memory (a snapshot file, a
///   `log_event` body or JSON array, a payload, a users or ID-lists file), after gunzip.
/// - `KVREPLAY_MAX_INFLATED_BYTES` (default 16 GiB): the most a gzip input streamed line by line (NDJSON, CSV logs)
///   may inflate to; past it the file ends with a reject and the lines before are kept.
/// - `KVREPLAY_MAX_LINE_BYTES` (default 64 MiB): the longest NDJSON/CSV log line; a longer one is rejected without being
///   buffered and reading continues with the next line.
public enum InputLimits {
    /// At most 2 GiB - 1 whatever the setting: the log tokenizer addresses a document with 32-bit offsets.
    public static let maxDocumentBytes: Int = min(setting("KVREPLAY_MAX_DOCUMENT_BYTES", default: 1 << 30), Int(Int32.max))
    public static let maxInflatedBytes: Int = setting("KVREPLAY_MAX_INFLATED_BYTES", default: 16 << 30)
    /// At most 2 GiB - 1 whatever the setting, as documents.
    public static let maxLineBytes: Int = min(setting("KVREPLAY_MAX_LINE_BYTES", default: 64 << 20), Int(Int32.max))

    static func setting(_ name: String, default value: Int) -> Int {
        guard let text = ProcessInfo.processInfo.environment[name], let n = Int(text), n > 0 else { return value }
        return n
    }

    /// "1 GiB", "64 MiB", "1000 bytes": for messages.
    public static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        return "\(bytes) bytes"
    }
}
