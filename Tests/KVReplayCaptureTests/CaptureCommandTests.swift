import Foundation
import KVReplayIngest
import KVReplayStore
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

private struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

private func run(_ arguments: [String], environment: [String: String]) throws -> Run {
    let p = Process()
    p.executableURL = try binary()
    p.arguments = arguments
    var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Every column of every row of `table` except `except`, blobs included (`quote()`), in a stable order.
private func dump(_ store: Store, _ table: String, except: Set<String>, order: String) throws -> [[String?]] {
    let columns = try store.rows("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid").compactMap { $0[0] }
    let kept = columns.filter { !except.contains($0) }
    return try store.rows("SELECT \(kept.map { "'\($0)=' || quote(\($0))" }.joined(separator: ", ")) FROM \(table) ORDER BY \(order)")
}

@Suite("kvreplay capture on the command line", .serialized)
struct CaptureCommandTests {
    func kvArguments(_ fake: FakeCloudflare, _ dir: String) -> [String] {
        ["capture", "--api-base", fake.apiBase, "--account", accountID, "--namespace", namespaceID, "--key", "statsig-A",
         "--out", (dir as NSString).appendingPathComponent("snapshots")]
    }

    @Test("capture then ingest gives the same snapshot row as ingesting a wrangler export of the same value")
    func sameRowAsWranglerExport() throws {
        let payload = try samplePayload()
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": payload])
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let captured = try run(kvArguments(fake, dir), environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(captured.status == 0, "\(captured.stderr)")
        #expect(captured.stdout.hasPrefix("captured statsig-A from cloudflare-kv: 129,429 bytes, lcut "))
        #expect(payload.count == 129_429)
        #expect(!captured.stdout.contains(token) && !captured.stderr.contains(token))
        let snapshots = (dir as NSString).appendingPathComponent("snapshots")
        let name = try #require(files(in: snapshots).first)
        let time = String(name.prefix(24))

        // The capture folder, ingested as it is.
        let db1 = (dir as NSString).appendingPathComponent("captured.sqlite")
        let ingested = try run(["ingest", "snapshots", snapshots, "--db", db1], environment: [:])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(ingested.stdout.contains("1 new payload(s)"))

        // The same value as `wrangler kv key get statsig-A > statsig-A_<time>.json` writes it (the raw bytes).
        let exports = (dir as NSString).appendingPathComponent("exports")
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
        try Data(payload).write(to: URL(fileURLWithPath: (exports as NSString).appendingPathComponent("statsig-A_\(time).json")))
        let db2 = (dir as NSString).appendingPathComponent("wrangler.sqlite")
        #expect(try run(["ingest", "snapshots", exports, "--db", db2], environment: [:]).status == 0)

        let a = try Store(path: db1), b = try Store(path: db2)
        let rowA = try dump(a, "snapshots", except: ["id", "source_file_id"], order: "id")
        let rowB = try dump(b, "snapshots", except: ["id", "source_file_id"], order: "id")
        #expect(rowA.count == 1)
        #expect(rowA == rowB)
        // The capture time is the one in the file name, read as such; the key is statsig-A.
        let summary = try a.rows("SELECT kv_key, captured_at, captured_at_source, sha256 FROM snapshots")
        let ms = try #require(Timestamps.parse(time))
        #expect(summary == [["statsig-A", String(ms), "filename", SHA256Stream.hex(payload)]])
        #expect(try dump(a, "snapshot_captures", except: ["id", "snapshot_id", "source_file_id"], order: "rowid")
            == dump(b, "snapshot_captures", except: ["id", "snapshot_id", "source_file_id"], order: "rowid"))
        #expect(try dump(a, "snapshot_entities", except: ["snapshot_id"], order: "collection, name")
            == dump(b, "snapshot_entities", except: ["snapshot_id"], order: "collection, name"))

        // --db ingests directly, giving the same row; a second run finds the value unchanged.
        let db3 = (dir as NSString).appendingPathComponent("direct.sqlite")
        let other = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: other) }
        let direct = try run(kvArguments(fake, other) + ["--db", db3], environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(direct.stdout.contains("1 new payload(s)"))
        let again = try run(kvArguments(fake, other) + ["--db", db3], environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(again.status == 0)
        #expect(again.stdout.contains("unchanged statsig-A: same SHA-256"))
        #expect(files(in: (other as NSString).appendingPathComponent("snapshots")).count == 1)
        let c = try Store(path: db3)
        let rowC = try dump(c, "snapshots", except: ["id", "source_file_id", "captured_at"], order: "id")
        #expect(rowC == (try dump(a, "snapshots", except: ["id", "source_file_id", "captured_at"], order: "id")))
    }

    @Test("exit statuses: 2 without the token, 4 refused, 5 unavailable, 2 for a value that is not a payload")
    func exitStatuses() throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload(), "statsig-N": Array("[1,2]".utf8)])
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let noToken = try run(kvArguments(fake, dir), environment: [:])
        #expect(noToken.status == 2)
        #expect(noToken.stderr.contains("CLOUDFLARE_API_TOKEN is not set"))
        #expect(fake.server.requests.isEmpty)

        let refused = try run(kvArguments(fake, dir), environment: ["CLOUDFLARE_API_TOKEN": "wrong-token-77"])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("error: Cloudflare refused the API token (HTTP 401: 10000: Authentication error)"))
        #expect(!refused.stderr.contains("wrong-token-77"))

        fake.script("/values/statsig-A", [FakeResponse(status: 502), FakeResponse(status: 502)])
        let down = try run(kvArguments(fake, dir) + ["--attempts", "2"], environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(down.status == 5)
        #expect(down.stderr.contains("retry: reading statsig-A: HTTP 502"))
        #expect(down.stderr.contains("gave up after 2 attempts"))

        var args = kvArguments(fake, dir)
        args[args.firstIndex(of: "statsig-A")!] = "statsig-N"
        let notPayload = try run(args, environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(notPayload.status == 2)
        #expect(notPayload.stderr.contains("statsig-N: the value is not a config-specs payload"))

        let noSecret = try run(["capture", "--source", "statsig", "--out", dir], environment: [:])
        #expect(noSecret.status == 2)
        #expect(noSecret.stderr.contains("STATSIG_SERVER_SECRET is not set"))

        let badEvery = try run(kvArguments(fake, dir) + ["--every", "0s"], environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(badEvery.status == 2)
        #expect(files(in: (dir as NSString).appendingPathComponent("snapshots")).isEmpty)
    }

    @Test("--every with --cycles keeps capturing and then stops")
    func every() throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload()])
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(kvArguments(fake, dir) + ["--every", "1s", "--cycles", "2"], environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("captured statsig-A") }.count == 1)
        #expect(r.stdout.contains("unchanged statsig-A"))
        #expect(fake.server.requests.filter { $0.path.hasSuffix("/values/statsig-A") }.count == 2)
    }
}
