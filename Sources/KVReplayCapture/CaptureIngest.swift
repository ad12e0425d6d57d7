public import KVReplayIngest
import KVReplayStore

/// `kvreplay capture --db`: the files just written, ingested as `kvreplay ingest snapshots` would.
public enum CaptureIngest {
    public static func ingest(files: [String], db: String) throws -> IngestReport {
        let store = try Store(path: db)
        return try Ingester(store: store).ingest(.snapshots, paths: files)
    }
}
