public import KVReplayEngine
public import KVReplayEvaluation
public import KVReplayIngest
import KVReplayReport
import KVReplayStore
import Foundation

/// The whole pipeline on a dataset folder laid out as `kvreplay generate` writes it (`snapshots/`, `logs/`,
/// `idlists/`): ingest into a fresh database, replay, report.
public enum Demo {
    public struct Summary: Sendable {
        public var snapshots: IngestReport
        public var logs: IngestReport
        public var idLists: IngestReport
        public var replay: StoreReplay.Result
        public var reportFiles: [String]
    }

    /// - Parameters:
    ///   - dataset: the dataset folder.
    ///   - reports: where the reports go (all formats).
    ///   - database: the database to create (an existing file is replaced).
    public static func run(dataset: String, reports: String, database: String, threads: Int = Parallel.availableCores,
                           progress: (String) -> Void = { _ in }) throws -> Summary {
        let fm = FileManager.default
        for folder in ["snapshots", "logs", "idlists"] {
            var isDir: ObjCBool = false
            let path = (dataset as NSString).appendingPathComponent(folder)
            guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw StoreError("\(dataset) is not a dataset folder: \(path) is missing (see Datasets/README.md)")
            }
        }
        for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: database + suffix) { try fm.removeItem(atPath: database + suffix) }
        let store = try Store.open(path: database)
        let ingester = Ingester(store: store)
        func folder(_ name: String) -> String { (dataset as NSString).appendingPathComponent(name) }
        progress("ingesting snapshots")
        let snapshots = try ingester.ingest(.snapshots, paths: [folder("snapshots")])
        progress("ingesting logs")
        let logs = try ingester.ingest(.logs, paths: [folder("logs")])
        progress("ingesting ID lists")
        let idLists = try ingester.ingest(.idlists, paths: [folder("idlists")])
        progress("replaying")
        var replay = StoreReplay()
        replay.threads = threads
        let result = try replay.run(source: store, results: store)
        progress("writing reports")
        let model = ReportModel(try StoreReportLoader.load(store: store))
        let files = try model.write(to: reports, formats: ReportFormat.allCases, gzip: false)
        try store.checkpoint()
        return Summary(snapshots: snapshots, logs: logs, idLists: idLists, replay: result, reportFiles: files)
    }
}
