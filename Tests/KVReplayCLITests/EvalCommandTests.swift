import Foundation
import Testing

/// Runs the built `kvreplay` binary.
func runKVReplay(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var exe = bin.appendingPathComponent("kvreplay")
    if !FileManager.default.fileExists(atPath: exe.path) {
        exe = bin.deletingLastPathComponent().appendingPathComponent("kvreplay")
    }
    let p = Process()
    p.executableURL = exe
    p.arguments = arguments
    if let directory { p.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvreplay-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct EvalCommandTests {
    static let payload = #"""
    {"has_updates": true, "time": 1, "feature_gates": [
      {"name": "emails", "type": "feature_gate", "entity": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false,
       "idType": "userID", "rules": [{"name": "r1", "id": "r1", "passPercentage": 100, "returnValue": true, "idType": "userID",
       "conditions": [{"type": "user_field", "field": "email", "operator": "str_ends_with_any", "targetValue": ["@statsig.com"], "idType": "userID"}]}]}],
     "dynamic_configs": [], "layer_configs": []}
    """#

    @Test func evaluatesGoodUsersAndReportsBadLines() throws {
        let dir = try temporaryDirectory()
        try Self.payload.write(to: dir.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        try """
        {"userID": "a", "email": "a@statsig.com"}
        {"userID": "b", "custom": 5}

        not json
        {"userID": "c", "email": "c@example.com"}
        """.write(to: dir.appendingPathComponent("u.jsonl"), atomically: true, encoding: .utf8)
        let r = try runKVReplay(["eval", "--payload", "p.json", "--users", "u.jsonl"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == """
            {"group_name":null,"id_type":"userID","kind":"gate","name":"emails","reason":"ok","rule_id":"r1","secondary_exposures":[],"u":0,"value":true}
            {"group_name":null,"id_type":"userID","kind":"gate","name":"emails","reason":"ok","rule_id":"default","secondary_exposures":[],"u":3,"value":false}

            """)
        #expect(r.stderr.contains("u.jsonl:2: field \"custom\": is a number, expected an object"))
        #expect(r.stderr.contains("u.jsonl:4: not valid JSON"))
    }

    @Test func outFileIsWrittenWholeOrNotAtAll() throws {
        let dir = try temporaryDirectory()
        try Self.payload.write(to: dir.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        try #"{"userID": "a", "email": "a@statsig.com"}"#.write(to: dir.appendingPathComponent("u.jsonl"), atomically: true, encoding: .utf8)
        let ok = try runKVReplay(["eval", "--payload", "p.json", "--users", "u.jsonl", "--out", "out.jsonl"], in: dir)
        #expect(ok.status == 0)
        #expect(try String(contentsOf: dir.appendingPathComponent("out.jsonl"), encoding: .utf8).hasSuffix("\"value\":true}\n"))

        try "{ not a payload".write(to: dir.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
        let bad = try runKVReplay(["eval", "--payload", "bad.json", "--users", "u.jsonl", "--out", "out2.jsonl"], in: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.json: not valid JSON"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out2.jsonl").path))
        let contents = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!contents.contains { $0.contains("partial") })
    }

    @Test func missingFileIsAClearError() throws {
        let dir = try temporaryDirectory()
        let r = try runKVReplay(["eval", "--payload", "nope.json", "--users", "u.jsonl"], in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("nope.json: no such file"))
    }
}

@Suite struct OutputToDevicesTests {
    /// `--out /dev/null` (or a pipe) is written directly: the device is never replaced by a regular file.
    @Test func outToADeviceLeavesTheDeviceAlone() throws {
        let dir = try temporaryDirectory()
        try EvalCommandTests.payload.write(to: dir.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        try #"{"userID": "a"}"#.write(to: dir.appendingPathComponent("u.jsonl"), atomically: true, encoding: .utf8)
        let r = try runKVReplay(["eval", "--payload", "p.json", "--users", "u.jsonl", "--out", "/dev/null"], in: dir)
        #expect(r.status == 0)
        let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        #expect(type == .typeCharacterSpecial)
    }
}
