import Foundation
import Testing

/// The built `kvreplay` executable (the test target depends on it).
private func binary() throws -> URL {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kvreplay"),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/kvreplay"),
    ]
    for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
    throw CocoaError(.fileNoSuchFile)
}

private func fixture(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KVReplayIngestTests/Fixtures").appendingPathComponent(relative).path
}

private struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

private func run(_ arguments: [String], stdin: Data? = nil) throws -> Run {
    let p = Process()
    p.executableURL = try binary()
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

private func tempDir() throws -> String {
    let d = (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Suite("kvreplay command line", .serialized)
struct CLITests {
    @Test("exit codes: 0 ingested, 3 records rejected, 2 unusable input or usage error")
    func exitCodes() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = (dir as NSString).appendingPathComponent("k.sqlite")
        let ok = try run(["ingest", "snapshots", fixture("snapshots/statsig-fixture1_raw_v1.json"), "--db", db])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("1 new payload"))
        let rejected = try run(["ingest", "logs", fixture("logs/events.ndjson"), "--db", db])
        #expect(rejected.status == 3)
        #expect(rejected.stderr.contains("events.ndjson (line 6)"))
        let unusable = try run(["ingest", "snapshots", fixture("snapshots/truncated.json"), "--db", db])
        #expect(unusable.status == 2)
        #expect(unusable.stderr.contains("truncated.json"))
        let missing = try run(["ingest", "logs", (dir as NSString).appendingPathComponent("nope.ndjson"), "--db", db])
        #expect(missing.status == 2)
        #expect(try run(["ingest", "logs", "--db", db]).status == 2)
        #expect(try run(["ingest", "snapshots", "--captured-at", "soon", fixture("snapshots/no_updates.json"), "--db", db]).status == 2)
        #expect(try run(["status", "--db", (dir as NSString).appendingPathComponent("none.sqlite")]).status == 2)
    }

    @Test("--quiet prints nothing but errors; status --json")
    func quietAndStatus() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = (dir as NSString).appendingPathComponent("k.sqlite")
        let r = try run(["ingest", "logs", fixture("logs/log_event_body.json"), "--db", db, "--quiet"])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty && r.stderr.isEmpty)
        let status = try run(["status", "--db", db, "--json"])
        #expect(status.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect(object?["exposures"] as? Int == 7)
        #expect(object?["users"] as? Int == 1)
        #expect(object?["snapshots"] as? Int == 0)
        #expect(object?["rejects"] as? Int == 0)
        #expect(object?["id_lists"] as? Int == 0)
        let human = try run(["status", "--db", db])
        #expect(human.stdout.contains("exposures  7"))
    }

    @Test("standard input: ingested once, recognised by content the second time")
    func standardInput() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = (dir as NSString).appendingPathComponent("k.sqlite")
        let body = try Data(contentsOf: URL(fileURLWithPath: fixture("logs/log_event_body.json")))
        let first = try run(["ingest", "logs", "-", "--db", db], stdin: body)
        #expect(first.status == 0)
        #expect(first.stdout.contains("7 exposure(s) added"))
        let second = try run(["ingest", "logs", "-", "--db", db], stdin: body)
        #expect(second.status == 0)
        #expect(second.stdout.contains("1 already ingested"))
        let file = try run(["ingest", "logs", fixture("logs/log_event_body.json"), "--db", db])
        #expect(file.stdout.contains("1 already ingested"))
        let snapshot = try Data(contentsOf: URL(fileURLWithPath: fixture("snapshots/statsig-fixture1_raw_v1.json")))
        let s = try run(["ingest", "snapshots", "-", "--db", db], stdin: snapshot)
        #expect(s.status == 0)
        let ids = try run(["ingest", "idlists", "-", "--db", db], stdin: Data("+ABCDEFGH\n".utf8))
        #expect(ids.status == 2)
        #expect(ids.stderr.contains("--list"))
    }
}
