import Foundation
import KVReplayIngest
import KVReplayIO
import KVReplayModel
import KVReplayStore
import Testing

/// Hostile inputs: decompression bombs, absurd nesting, huge lines and numbers. Each must fail with a clear error
/// naming the file (or the record), within bounded memory and time, and the rest of the input must still be read.
@Suite("Hostile inputs")
struct HostileInputTests {
    static let event = #"{"eventName":"statsig::gate_exposure","metadata":{"gate":"g","gateValue":"true","ruleID":"r"},"user":{"userID":"u1"},"time":1767225600000}"#

    static func event(_ user: String) -> String { event.replacingOccurrences(of: "\"u1\"", with: "\"\(user)\"") }

    static func deep(_ depth: Int) -> [UInt8] { Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth) }

    static func millionDigits() -> String { "1" + String(repeating: "0", count: 1_000_000) }

    // MARK: Decompression bombs

    @Test("A gzip stream is inflated in small pieces and stops at the inflate limit with a clear problem")
    func streamedInflateLimit() throws {
        let db = try TestDB()
        // 64 MiB of zeros: 64 KiB compressed.
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 64 << 20), level: 9)
        let path = try db.write("bomb.gz", bomb)
        let input = try StreamingInput(path: path, inflateLimit: 8 << 20)
        var total = 0
        var largest = 0
        while let chunk = try input.read() {
            total += chunk.count
            largest = max(largest, chunk.count)
        }
        #expect(total <= (8 << 20) + (1 << 20))
        #expect(largest <= (1 << 20) + (17 << 20))
        #expect(input.compressionProblem?.contains("inflates to more than 8 MiB") == true)
        #expect(input.compressionProblem?.contains("KVREPLAY_MAX_INFLATED_BYTES") == true)
    }

    @Test("A gzip NDJSON log that inflates past the limit keeps the lines before it and rejects the rest")
    func logBomb() throws {
        let db = try TestDB()
        var text = (0..<100).map { Self.event("u\($0)") }.joined(separator: "\n") + "\n"
        text += String(repeating: " ", count: 32 << 20)
        let path = try db.write("bomb.ndjson.gz", try Gzip.compress(Array(text.utf8), level: 9))
        let outcome = IngestProbe.readLog(path: path, maxInflatedBytes: 4 << 20)
        #expect(outcome.failure == nil)
        #expect(outcome.exposures == 100)
        #expect(outcome.rejects.count == 1)
        #expect(outcome.rejects.first?.contains("inflates to more than 4 MiB") == true)
    }

    @Test("A gzip log_event body that inflates past the document limit is an error; a whole file never exceeds it")
    func documentBomb() throws {
        let db = try TestDB()
        let body = "{\n\"events\":[" + Self.event + "]" + String(repeating: " ", count: 16 << 20) + "}"
        let path = try db.write("body.json.gz", try Gzip.compress(Array(body.utf8), level: 9))
        let outcome = IngestProbe.readLog(path: path, maxDocumentBytes: 2 << 20)
        #expect(outcome.failure?.contains("larger than 2 MiB") == true)
        #expect(outcome.failure?.contains("KVREPLAY_MAX_DOCUMENT_BYTES") == true)
        #expect(throws: FileError.self) { try FileReading.readAll(path, limit: 2 << 20) }
        do {
            _ = try FileReading.readAll(path, limit: 2 << 20)
        } catch {
            #expect(error.description.hasPrefix(path))
            #expect(error.problem.contains("inflates to more than 2 MiB"))
        }
        // Not gzip: refused from its size, before it is read.
        let plain = try db.write("big.json", Array(repeating: UInt8(ascii: " "), count: 3 << 20))
        #expect(throws: FileError.self) { try FileReading.readAll(plain, limit: 2 << 20) }
    }

    @Test("kvreplay ingest snapshots: a gzip bomb fails naming the file; the other snapshot is ingested")
    func snapshotBombCLI() throws {
        let db = try TestDB()
        let bomb = try db.write("snaps/a-bomb.json.gz", try Gzip.compress([UInt8](repeating: 0x20, count: 16 << 20), level: 9))
        _ = try db.copy("snapshots/statsig-fixture1_raw_v1.json", as: "snaps/statsig-fixture1_raw_v1.json")
        let dbPath = (db.dir as NSString).appendingPathComponent("cli.sqlite")
        let run = try runKVReplayCapturing(["ingest", "snapshots", (db.dir as NSString).appendingPathComponent("snaps"), "--db", dbPath],
                                           environment: ["KVREPLAY_MAX_DOCUMENT_BYTES": String(4 << 20)])
        #expect(run.status == 2)
        #expect(run.stderr.contains(bomb) || run.stderr.contains("a-bomb.json.gz"))
        #expect(run.stderr.contains("inflates to more than 4 MiB"))
        let store = try Store(path: dbPath)
        #expect(try store.scalar("SELECT count(*) FROM snapshots") as Int64? == 1)
    }

    // MARK: Nesting

    @Test("100,000-deep JSON: a rejected NDJSON line, the lines around it kept")
    func deepLogLine() throws {
        let db = try TestDB()
        let text = Self.event("a") + "\n" + String(decoding: Self.deep(100_000), as: UTF8.self) + "\n"
            + "{\"eventName\":\"x\",\"user\":" + String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "}\n"
            + Self.event("b") + "\n"
        let path = try db.write("deep.ndjson", text)
        let outcome = IngestProbe.readLog(path: path)
        #expect(outcome.exposures == 2)
        #expect(outcome.rejects.count == 2)
        #expect(outcome.rejects.allSatisfy { $0.contains("nesting deeper than") })
    }

    @Test("100,000-deep JSON: a log_event document and a snapshot file are unusable, with the reason")
    func deepDocuments() throws {
        let db = try TestDB()
        let body = "{\"events\":[" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "]}"
        let path = try db.write("deep-body.json", body)
        let outcome = IngestProbe.readLog(path: path)
        #expect(outcome.exposures == 0)
        #expect(outcome.failure != nil || outcome.rejects.contains { $0.contains("nesting deeper than") })
        let snapshot = IngestProbe.readSnapshot(Array("{\"feature_gates\":".utf8) + Self.deep(100_000) + Array("}".utf8))
        #expect((snapshot.failure ?? "") .contains("nesting deeper than") || snapshot.rejects.contains { $0.contains("nesting deeper than") })
        #expect(throws: PayloadError.self) { try ConfigSpecs(jsonBytes: Self.deep(100_000), source: "deep.json") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Self.deep(100_000)) }
    }

    @Test("kvreplay eval: a 100,000-deep payload is an error naming the file; a deep user line is skipped, the others evaluated")
    func deepEvalCLI() throws {
        let db = try TestDB()
        let deepPayload = try db.write("deep.json", Self.deep(100_000))
        let users = try db.write("users.jsonl", "{\"userID\":\"a\"}\n" + String(decoding: Self.deep(100_000), as: UTF8.self)
            + "\n{\"userID\":\"" + Self.millionDigits() + "\",\"custom\":{\"n\":" + Self.millionDigits() + "}}\n{\"userID\":\"b\"}\n")
        let bad = try runKVReplayCapturing(["eval", "--payload", deepPayload, "--users", users, "--now", "0"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("deep.json"))
        #expect(bad.stderr.contains("nesting deeper than"))
        let payload = try db.copy("snapshots/statsig-fixture1_raw_v1.json", as: "payload.json")
        let good = try runKVReplayCapturing(["eval", "--payload", payload, "--users", users, "--now", "0"])
        #expect(good.stderr.contains("users.jsonl:2"))
        #expect(good.stderr.contains("nesting deeper than"))
        #expect(good.stderr.contains("users.jsonl:3"))
        #expect(good.stderr.contains("number literal longer than"))
        let records = good.stdout.split(separator: "\n")
        #expect(!records.isEmpty)
        #expect(Set(records.compactMap { line -> Int? in
            guard case .object(let o)? = try? JSONParser.parse(Array(line.utf8)), case .int(let u)? = o["u"] else { return nil }
            return Int(u)
        }) == [0, 3])
    }

    // MARK: Long lines and numbers

    @Test("An overlong NDJSON line is rejected without being kept; the next lines are read")
    func overlongLine() throws {
        let db = try TestDB()
        var bytes = Array((Self.event("a") + "\n").utf8)
        bytes += Array(repeating: UInt8(ascii: "x"), count: 24 << 20)
        bytes += Array(("\n" + Self.event("b") + "\n").utf8)
        let path = try db.write("long.ndjson", bytes)
        let outcome = IngestProbe.readLog(path: path, maxLineLength: 1 << 20)
        #expect(outcome.exposures == 2)
        #expect(outcome.rejects == ["line 2: line longer than 1048576 bytes"])
    }

    @Test("A line of gigabytes from a stream is skipped in bounded memory", .timeLimit(.minutes(2)))
    func streamedHugeLine() throws {
        // A pipe fed by a writer thread: 1 GiB without a line break between two events, never on disk.
        let db = try TestDB()
        let fifo = (db.dir as NSString).appendingPathComponent("stream.ndjson")
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            guard let fh = FileHandle(forWritingAtPath: fifo) else { return }
            fh.write(Data((Self.event("a") + "\n").utf8))
            let block = Data(repeating: UInt8(ascii: "7"), count: 1 << 20)
            for _ in 0..<1024 { fh.write(block) }
            fh.write(Data(("\n" + Self.event("b") + "\n").utf8))
            try? fh.close()
        }
        writer.start()
        let before = residentBytes()
        let outcome = IngestProbe.readLog(path: fifo, maxLineLength: 4 << 20)
        #expect(outcome.exposures == 2)
        #expect(outcome.rejects == ["line 2: line longer than 4194304 bytes"])
        #expect(residentBytes() - before < 512 << 20)
    }

    @Test("A number of a million digits: the record is rejected, not parsed")
    func millionDigitNumber() throws {
        let db = try TestDB()
        let text = Self.event("a") + "\n" + Self.event("b").replacingOccurrences(of: "1767225600000", with: Self.millionDigits()) + "\n"
            + Self.event("c") + "\n"
        let path = try db.write("digits.ndjson", text)
        let outcome = IngestProbe.readLog(path: path)
        #expect(outcome.exposures == 2)
        #expect(outcome.rejects.count == 1)
        #expect(outcome.rejects.first?.contains("number literal longer than 1000 characters") == true)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Self.millionDigits()) }
        let payload = "{\"feature_gates\":[],\"time\":" + Self.millionDigits() + "}"
        #expect(throws: PayloadError.self) { try ConfigSpecs(jsonBytes: Array(payload.utf8), source: "digits.json") }
        let snapshot = IngestProbe.readSnapshot(Array(payload.utf8))
        #expect((snapshot.failure ?? "").contains("number literal longer than") || snapshot.rejects.contains { $0.contains("number literal longer than") })
    }
}

/// The process's resident memory now (Linux /proc/self/statm), in bytes; 0 elsewhere.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Runs `kvreplay` to completion with extra environment variables; returns its status and output.
func runKVReplayCapturing(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = try kvreplayBinary()
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read both pipes to the end while the process runs (a full pipe would block it).
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let done = DispatchSemaphore(value: 0)
    let t = Thread {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile()
        done.signal()
    }
    t.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    done.wait()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

@Suite("Hostile inputs: CSV")
struct HostileCSVTests {
    @Test("A warehouse CSV quote that never closes is rejected once it passes the line limit; memory stays bounded")
    func unclosedQuote() throws {
        let db = try TestDB()
        var text = "unit_id,unit_type,exposure_type,name,rule,experiment_group,first_exposure_utc\n"
        text += "u1,userID,gate,g,r,,2026-01-01 00:00:00\n"
        text += "\"u2,userID,gate,g,r,,2026-01-01 00:00:00\n"
        for i in 0..<20_000 { text += "u\(i),userID,gate,g,r,,2026-01-01 00:00:00\n" }
        let path = try db.write("export.csv", text)
        let outcome = IngestProbe.readLog(path: path, maxLineLength: 64 << 10)
        #expect(outcome.format == "warehouse-csv")
        #expect(outcome.exposures >= 1)
        #expect(outcome.rejects.first?.contains("a quoted record longer than 65536 bytes") == true)
    }
}
