#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KVReplayIngest
import KVReplayStore
import Testing

/// The `kvreplay` executable built next to the test bundle (the test target depends on it).
func kvreplayBinary() throws -> URL {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kvreplay"),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/kvreplay"),
    ]
    for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
}

/// Runs `kvreplay` to completion; returns its exit status.
@discardableResult
func runKVReplay(_ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = try kvreplayBinary()
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

@Suite("Atomic per file, with a real kill", .serialized)
struct KillTests {
    @Test("SIGKILL in the middle of a file leaves a sound database; running again completes it without duplicates",
          .timeLimit(.minutes(10)))
    func killMidway() throws {
        let db = try TestDB()
        let small = (db.dir as NSString).appendingPathComponent("a-small.ndjson")
        let large = (db.dir as NSString).appendingPathComponent("b-large.ndjson")
        _ = try IngestBenchmark.generateLog(path: small, events: 2_000, minBytes: 0, users: 777)
        _ = try IngestBenchmark.generateLog(path: large, events: 200_000, minBytes: 0, users: 3_000)
        let target = (db.dir as NSString).appendingPathComponent("killed.sqlite")
        let arguments = ["ingest", "logs", small, large, "--db", target, "--quiet"]

        // Start, wait until the small file is committed and the large one is being written, then SIGKILL.
        let p = Process()
        p.executableURL = try kvreplayBinary()
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // The large file's pages stay in SQLite's cache until its commit, so "in progress" is: the small file is
        // committed, and a while has passed (the large one takes several seconds).
        let deadline = Date().addingTimeInterval(120)
        var committedAt: Date? = nil
        var killedMidway = false
        while Date() < deadline && p.isRunning {
            usleep(50_000)
            if committedAt == nil {
                if let store = try? Store(path: target, mode: .readOnly), (try? store.scalar("SELECT count(*) FROM source_files")) == 1 {
                    committedAt = Date()
                }
                continue
            }
            if Date().timeIntervalSince(committedAt!) > 0.8 {
                kill(p.processIdentifier, SIGKILL)
                killedMidway = true
                break
            }
        }
        p.waitUntilExit()
        try #require(killedMidway, "the ingest finished before it could be killed")
        #expect(p.terminationReason == .uncaughtSignal)

        // The killed file left nothing; the file before it is complete.
        do {
            let store = try Store(path: target)
            #expect(try store.integrityCheck() == "ok")
            let files = try store.sourceFiles()
            #expect(files.map(\.path) == [small])
            #expect(try store.scalar("SELECT count(*) FROM exposures WHERE source_file_id <> \(files[0].id)") == 0)
        }

        // Running the same command again completes it.
        #expect(try runKVReplay(arguments) == 0)
        #expect(try runKVReplay(arguments) == 0)

        // A clean run of the same files, for comparison.
        let clean = try TestDB()
        _ = try clean.ingest(.logs, [small, large])
        let store = try Store(path: target, mode: .readOnly)
        #expect(try store.integrityCheck() == "ok")
        for table in ["source_files", "exposures", "users", "rejects"] {
            #expect(try store.scalar("SELECT count(*) FROM \(table)") == clean.count("SELECT count(*) FROM \(table)"), "\(table)")
        }
        #expect(try store.scalar("SELECT count(*) - count(DISTINCT dedupe_key) FROM exposures") == 0)
        #expect(try store.scalar("SELECT count(*) - count(DISTINCT unit_key) FROM users") == 0)
        #expect(try store.scalar("SELECT count(*) FROM exposures") ?? 0 > 150_000)
    }
}
