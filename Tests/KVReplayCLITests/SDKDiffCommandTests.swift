import Foundation
import Testing

/// Runs the built `kvreplay` binary (for the sdk-diff and legacy tests).
private func kvreplay(_ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var exe = bin.appendingPathComponent("kvreplay")
    if !FileManager.default.fileExists(atPath: exe.path) { exe = bin.deletingLastPathComponent().appendingPathComponent("kvreplay") }
    let p = Process()
    p.executableURL = exe
    p.arguments = arguments
    p.currentDirectoryURL = directory
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite struct SDKDiffCommandTests {
    /// A disabled gate that keeps a public rule (legacy: disabled, core: passes), a gate on an empty user agent
    /// (legacy parses "" as Other 0.0.0), and a gate both SDKs agree on.
    static let payload = #"""
    {"has_updates": true, "time": 1, "feature_gates": [
      {"name": "disabled_public", "type": "feature_gate", "entity": "feature_gate", "salt": "s1", "enabled": false,
       "defaultValue": false, "idType": "userID", "rules": [{"name": "r1", "id": "r1", "passPercentage": 100,
       "returnValue": true, "idType": "userID", "conditions": [{"type": "public", "idType": "userID"}]}]},
      {"name": "old_os", "type": "feature_gate", "entity": "feature_gate", "salt": "s2", "enabled": true,
       "defaultValue": false, "idType": "userID", "rules": [{"name": "r2", "id": "r2", "passPercentage": 100,
       "returnValue": true, "idType": "userID", "conditions": [{"type": "ua_based", "field": "os_version",
       "operator": "version_lt", "targetValue": "17.1", "idType": "userID"}]}]},
      {"name": "emails", "type": "feature_gate", "entity": "feature_gate", "salt": "s3", "enabled": true,
       "defaultValue": false, "idType": "userID", "rules": [{"name": "r3", "id": "r3", "passPercentage": 100,
       "returnValue": true, "idType": "userID", "conditions": [{"type": "user_field", "field": "email",
       "operator": "str_ends_with_any", "targetValue": ["@statsig.com"], "idType": "userID"}]}]}],
     "dynamic_configs": [], "layer_configs": []}
    """#

    static let users = """
    {"userID": "a", "email": "a@statsig.com", "userAgent": ""}
    {"userID": "b", "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Mobile/15E148 Safari/604.1"}
    {"email": "nobody@example.com"}
    """

    static func setUp() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvreplay-sdkdiff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try payload.write(to: dir.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        try users.write(to: dir.appendingPathComponent("u.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func markdown() throws {
        let dir = try Self.setUp()
        let r = try kvreplay(["sdk-diff", "--from", "legacy", "--payload", "p.json", "--users", "u.jsonl", "--now", "1700000000000"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("# SDK migration audit: legacy (statsig 0.72.1 (Python)) → core (statsig-server-core 0.24.2)"))
        // The rejected user differs everywhere (legacy: rule "" and reason error).
        #expect(r.stdout.contains("**3 of 3 entities**"))
        #expect(r.stdout.contains("| `disabled_public` | gate | 3 | 3 (100%) | 3 | 3 | 0 |"))
        #expect(r.stdout.contains("- 1 user(s) rejected by one of the SDKs"))
        #expect(r.stdout.contains("| condition ua_based/version_lt (os_version) | 1 |"))
        #expect(r.stdout.contains("| `emails` | gate | 3 | 1 (33%) | 0 | 1 | 0 | user rejected by statsig 0.72.1 (Python)"))
    }

    @Test func nodeToCoreByDefault() throws {
        let dir = try Self.setUp()
        let r = try kvreplay(["sdk-diff", "--payload", "p.json", "--users", "u.jsonl", "--now", "1700000000000"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("# SDK migration audit: node (statsig-node 6.5.1) → core (statsig-server-core 0.24.2)"))
        // statsig-node also skips the disabled spec's rules and rejects the user without IDs.
        #expect(r.stdout.contains("| `disabled_public` | gate | 3 | 3 (100%) |"))
        #expect(r.stdout.contains("user rejected by statsig-node 6.5.1"))
        let same = try kvreplay(["sdk-diff", "--from", "core", "--payload", "p.json", "--users", "u.jsonl"], in: dir)
        #expect(same.status != 0 && same.stderr.contains("--from and --to name the same SDK"))
    }

    @Test func json() throws {
        let dir = try Self.setUp()
        let r = try kvreplay(["sdk-diff", "--from", "legacy", "--payload", "p.json", "--users", "u.jsonl", "--now", "1700000000000",
                              "--format", "json", "--out", "report.json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let text = try String(contentsOf: dir.appendingPathComponent("report.json"), encoding: .utf8)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Array(root.keys).sorted() == ["entities", "from", "inputs", "now_ms", "sdks", "summary", "to"])
        #expect(root["from"] as? String == "legacy" && root["to"] as? String == "core")
        // Keys are written sorted.
        #expect(text.hasPrefix(#"{"entities":[{"causes":"#))
        let entities = try #require(root["entities"] as? [[String: Any]])
        #expect(entities.map { $0["name"] as? String } == ["disabled_public", "emails", "old_os"])
        let oldOS = entities[2]
        #expect(oldOS["differing_users"] as? Int == 2)
        #expect(oldOS["value_differs"] as? Int == 1)
        let examples = try #require(oldOS["examples"] as? [[String: Any]])
        #expect(examples.map { $0["u"] as? Int } == [0, 2])
        #expect((examples[0]["from"] as? [String: Any])?["value"] as? Bool == true)
        #expect((examples[1]["from"] as? [String: Any])?["reason"] as? String == "error")
        let summary = try #require(root["summary"] as? [String: Any])
        #expect(summary["entities_differing"] as? Int == 3)
        // Same input, same bytes.
        let again = try kvreplay(["sdk-diff", "--from", "legacy", "--payload", "p.json", "--users", "u.jsonl", "--now", "1700000000000",
                                  "--format", "json", "--threads", "1"], in: dir)
        #expect(again.stdout == text)
    }

    @Test func legacyEval() throws {
        let dir = try Self.setUp()
        let r = try kvreplay(["eval", "--sdk", "legacy", "--payload", "p.json", "--users", "u.jsonl", "--now", "1700000000000"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 9)
        #expect(lines[0] == #"{"group_name":null,"id_type":"userID","kind":"gate","name":"disabled_public","reason":"ok","rule_id":"disabled","secondary_exposures":[],"u":0,"value":false}"#)
        #expect(lines[2] == #"{"group_name":null,"id_type":"userID","kind":"gate","name":"old_os","reason":"ok","rule_id":"r2","secondary_exposures":[],"u":0,"value":true}"#)
        #expect(lines[8] == #"{"group_name":null,"id_type":"","kind":"gate","name":"old_os","reason":"error","rule_id":"","secondary_exposures":[],"u":2,"value":false}"#)
    }
}
