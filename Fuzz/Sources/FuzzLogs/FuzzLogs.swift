import FuzzEntry
import Foundation
import KVReplayIngest

/// The log reader: format sniffing, NDJSON lines, `log_event` documents, warehouse CSV, gzip; and one line mapped alone.
private let path: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(dir)/kvreplay-fuzz-logs-\(getpid())"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogs(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = IngestProbe.mapLogLine(bytes)
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    // A small line limit so that the overlong-line path is reached too.
    _ = IngestProbe.readLog(path: path, maxLineLength: size % 2 == 0 ? 256 << 20 : 512)
    return 0
}
