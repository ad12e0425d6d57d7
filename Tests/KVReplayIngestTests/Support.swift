import Foundation
import KVReplayIngest
import KVReplayStore
import Testing

/// A fresh database in a temporary folder.
final class TestDB {
    let dir: String
    let path: String
    let store: Store

    init() throws {
        dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = (dir as NSString).appendingPathComponent("test.sqlite")
        store = try Store(path: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func ingest(_ kind: SourceKind, _ paths: [String], options: IngestOptions = IngestOptions()) throws -> IngestReport {
        try Ingester(store: store, options: options).ingest(kind, paths: paths)
    }

    func count(_ sql: String) throws -> Int64 { try store.scalar(sql) ?? -1 }

    func rows(_ sql: String) throws -> [[String?]] { try store.rows(sql) }

    /// Writes a file into the temporary folder and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = (dir as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: p, contents: Data(bytes)) else { throw CocoaError(.fileWriteUnknown) }
        return p
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// Copies a fixture into the temporary folder under another name.
    func copy(_ fixturePath: String, as name: String) throws -> String {
        try write(name, [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(fixturePath)))))
    }
}

/// The path of a fixture under `Fixtures/`.
func fixture(_ relative: String) -> String {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(relative).path
}

func fixtureBytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(relative))))
}

extension IngestReport {
    func file(_ suffix: String) -> FileReport? { files.first { $0.path.hasSuffix(suffix) } }
}
