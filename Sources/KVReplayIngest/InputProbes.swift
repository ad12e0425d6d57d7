import Foundation
import KVReplayIO
import KVReplayModel

/// Entry points into the ingest readers that need no database: what the fuzz targets (`Fuzz/`) and the hostile-input
/// tests drive. Each runs the same code as `kvreplay ingest` up to the point where rows would be written.
public enum IngestProbe {
    /// What a reader made of an input.
    public struct Outcome: Sendable, Equatable {
        public var format: String?
        public var records = 0
        public var rejects: [String] = []
        public var exposures = 0
        public var users = 0
        /// Why the file as a whole was unusable.
        public var failure: String?
    }

    /// Reads a log file exactly as `kvreplay ingest logs` does (format sniffing, NDJSON, `log_event` documents,
    /// warehouse CSV, gzip), collecting what would be written.
    /// The limits default to ``InputLimits``'.
    public static func readLog(path: String, maxLineLength: Int? = nil, maxDocumentBytes: Int? = nil, maxInflatedBytes: Int? = nil,
                               parseThreads: Int = 1) -> Outcome {
        let queue = BoundedQueue<LogItem>(capacity: 4)
        let reader = LogReader(path: path, parseThreads: parseThreads, batchLines: 16384,
                               maxLineLength: maxLineLength ?? InputLimits.maxLineBytes,
                               maxDocumentBytes: maxDocumentBytes ?? InputLimits.maxDocumentBytes,
                               maxInflatedBytes: maxInflatedBytes ?? InputLimits.maxInflatedBytes)
        var outcome = Outcome()
        let thread = Thread { reader.run(into: queue) }
        thread.stackSize = 8 << 20
        thread.start()
        loop: while true {
            switch queue.take() {
            case .format(let f): outcome.format = f
            case .batch(let b):
                outcome.records += b.records
                outcome.rejects += b.rejects.map { r in "\(r.line.map { "line \($0)" } ?? r.record ?? "?"): \(r.reason)" }
                outcome.exposures += b.rows.exposures.count
                outcome.users += b.rows.users.count
            case .end: break loop
            case .failure(let message): outcome.failure = message; break loop
            }
        }
        return outcome
    }

    /// Maps one NDJSON line (an event, or a whole body) as the log reader does.
    public static func mapLogLine(_ line: [UInt8], number: Int64 = 1) -> Outcome {
        var tape = JSONTape()
        var decoder = EventDecoder()
        var out = MappedBatch()
        line.withUnsafeBufferPointer { b in LogReader.mapLine(b, number: number, tape: &tape, decoder: &decoder, into: &out) }
        var outcome = Outcome(format: "ndjson")
        outcome.records = out.records
        outcome.rejects = out.rejects.map(\.reason)
        outcome.exposures = out.rows.exposures.count
        outcome.users = out.rows.users.count
        return outcome
    }

    /// Detects the shape of a snapshot file's (decompressed) content and builds each record's snapshot row, as
    /// `kvreplay ingest snapshots` does before writing.
    public static func readSnapshot(_ content: [UInt8], fileName: String = "statsig-abc_2026-01-05T10-00-00Z.json") -> Outcome {
        var outcome = Outcome()
        let parsed: SnapshotFileContent
        do {
            parsed = try SnapshotFormats.read(content)
        } catch {
            outcome.failure = error.message
            return outcome
        }
        outcome.format = parsed.format
        outcome.rejects = parsed.rejects.map(\.reason)
        let builder = SnapshotBuilder(capturedAtOption: nil, fileName: fileName,
                                      fileIsOneValue: parsed.records.count == 1 && parsed.records[0].locator.isEmpty, zlibLevel: 1)
        for r in parsed.records {
            outcome.records += 1
            do { _ = try builder.build(r) } catch { outcome.rejects.append(error.reason) }
        }
        return outcome
    }
}
