import Foundation
import KVReplayModel

/// The files a KV capture is kept in, as the real tools write them.
enum SnapshotFormat: String, Sendable {
    /// `wrangler kv key get` output: the raw value bytes (file named by capture time, ISO 8601).
    case rawISO = "kv-key-get"
    /// The same, named by capture time in epoch milliseconds.
    case rawEpoch = "kv-key-get-epoch"
    /// `wrangler kv bulk get` (remote): `{"values": {...}}` pretty-printed, a blank line, `Success!`.
    case bulkGet = "kv-bulk-get"
    /// `wrangler kv bulk get --local`: `{"key": {"value": ...}}`, then `Success!`.
    case bulkGetLocal = "kv-bulk-get-local"
    /// A home-grown backup in `wrangler kv bulk put` form: `[{key, value, metadata, expiration?, base64}]`.
    case backup = "kv-bulk-put-backup"
    /// The Cloudflare REST API's `POST .../bulk/get` response envelope.
    case restEnvelope = "cf-api-bulk-get"

    static func pick(_ x: Double) -> SnapshotFormat {
        switch x {
        case ..<0.55: .rawISO
        case ..<0.68: .rawEpoch
        case ..<0.78: .bulkGet
        case ..<0.83: .bulkGetLocal
        case ..<0.93: .backup
        default: .restEnvelope
        }
    }

    func fileName(key: String, captured: Int64) -> String {
        let iso = UTCTime.iso(captured, separator: "-")
        switch self {
        case .rawISO: return "\(key)_\(iso).json"
        case .rawEpoch: return "\(key).\(captured).json"
        case .bulkGet: return "kv-bulk-get_\(iso).json"
        case .bulkGetLocal: return "kv-bulk-get-local_\(iso).json"
        case .backup: return "kv-backup_\(iso).json"
        case .restEnvelope: return "cf-api-bulk-get_\(iso).json"
        }
    }

    /// The file's bytes for the payload `value` under `key` captured at `captured`.
    func render(key: String, value: [UInt8], captured: Int64, base64: Bool) -> [UInt8] {
        // A second, unrelated key that bulk exports of the namespace carry along.
        let otherKey = "homepage-cache"
        let otherValue = Array("{\"etag\":\"W/\\\"\(captured % 100_000)\\\"\",\"ttl\":300}".utf8)
        var out = [UInt8]()
        func str(_ bytes: [UInt8]) {
            JSONWriter.writeString(String(decoding: bytes, as: UTF8.self), into: &out)
        }
        func s(_ text: String) { out.append(contentsOf: text.utf8) }
        switch self {
        case .rawISO, .rawEpoch:
            return value
        case .bulkGet:
            s("{\n  \"values\": {\n    \"\(key)\": ")
            str(value)
            s(",\n    \"\(otherKey)\": ")
            str(otherValue)
            s("\n  }\n}\n\nSuccess!\n")
        case .bulkGetLocal:
            s("{\n  \"\(key)\": {\n    \"value\": ")
            str(value)
            s("\n  },\n  \"\(otherKey)\": {\n    \"value\": ")
            str(otherValue)
            s("\n  }\n}\n\nSuccess!\n")
        case .backup:
            s("[\n  {\n    \"key\": \"\(key)\",\n    \"value\": ")
            if base64 { str(Array(Data(value).base64EncodedString().utf8)) } else { str(value) }
            s(",\n    \"metadata\": {\n      \"exportedAt\": \"\(UTCTime.isoMillis(captured))\",\n      \"source\": \"kv-backup-cron\"\n    },\n")
            s("    \"base64\": \(base64)\n  },\n  {\n    \"key\": \"\(otherKey)\",\n    \"value\": ")
            str(otherValue)
            s(",\n    \"expiration\": \(captured / 1000 + 3600),\n    \"base64\": false\n  }\n]\n")
        case .restEnvelope:
            s("{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"values\":{")
            str(Array(key.utf8))
            s(":")
            str(value)
            s(",")
            str(Array(otherKey.utf8))
            s(":")
            str(otherValue)
            s("}}}")
        }
        return out
    }
}
