import FuzzEntry
import KVReplayIngest
import KVReplayIO

/// Snapshot-format detection (raw payloads, wrangler bulk get, bulk-put arrays, REST envelopes) and the snapshot rows.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshot(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if Gzip.isGzip(bytes) {
        guard let inflated = try? Gzip.decompress(bytes, limit: 1 << 22) else { return 0 }
        bytes = inflated
    }
    _ = IngestProbe.readSnapshot(bytes)
    return 0
}
