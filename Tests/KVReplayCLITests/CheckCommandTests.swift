import Foundation
import Testing

@Suite struct CheckCommandTests {
    static func payload(_ percent: Int) -> String {
        """
        {"has_updates": true, "time": 1, "feature_gates": [{"name": "rollout", "type": "feature_gate", "entity": "feature_gate", "salt": "s",
          "enabled": true, "defaultValue": false, "idType": "userID", "rules": [{"name": "r", "id": "r", "passPercentage": \(percent),
          "returnValue": true, "idType": "userID", "conditions": [{"type": "public", "idType": "userID"}]}]}],
         "dynamic_configs": [], "layer_configs": []}
        """
    }

    func setUp() throws -> URL {
        let dir = try temporaryDirectory()
        try Self.payload(10).write(to: dir.appendingPathComponent("base.json"), atomically: true, encoding: .utf8)
        try Self.payload(60).write(to: dir.appendingPathComponent("cand.json"), atomically: true, encoding: .utf8)
        try (0..<400).map { "{\"userID\": \"u\($0)\"}" }.joined(separator: "\n").write(to: dir.appendingPathComponent("users.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func exitZeroWhenEverythingPasses() throws {
        let dir = try setUp()
        let r = try runKVReplay(["check", "--baseline", "base.json", "--candidate", "cand.json", "--users", "users.jsonl", "--max-changed-rate", "0.9"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout.contains("PASS  changed users <= 90.00%"))
    }

    @Test func exitOneWhenAThresholdIsCrossedWithJUnitAndGithub() throws {
        let dir = try setUp()
        let r = try runKVReplay(["check", "--baseline", "base.json", "--candidate", "cand.json", "--users", "users.jsonl",
                                 "--max-changed-rate-for", "rollout=0.1", "--junit", "junit.xml", "--format", "github"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("::error title=gate rollout changed users <= 10.00%25::"))
        let xml = try String(contentsOf: dir.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(xml.contains("<failure"))
    }

    @Test func exitOneWhenAnExpectationFails() throws {
        let dir = try setUp()
        try #"[{"gate": "rollout", "pass_rate": {"min": 0, "max": 0.2}}]"#.write(to: dir.appendingPathComponent("e.json"), atomically: true, encoding: .utf8)
        let r = try runKVReplay(["check", "--baseline", "base.json", "--candidate", "cand.json", "--users", "users.jsonl", "--expect", "e.json", "--format", "json"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("\"passed\":false"))
    }

    @Test func exitTwoForUsageAndInputErrors() throws {
        let dir = try setUp()
        let usage = try runKVReplay(["check", "--baseline", "base.json", "--candidate", "cand.json", "--users", "users.jsonl", "--max-changed-rate", "7"], in: dir)
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--max-changed-rate must be between 0 and 1"))
        let missing = try runKVReplay(["check", "--baseline", "nope.json", "--candidate", "cand.json", "--users", "users.jsonl"], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.json: no such file"))
        try "[{}]".write(to: dir.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
        let badExpect = try runKVReplay(["check", "--baseline", "base.json", "--candidate", "cand.json", "--users", "users.jsonl", "--expect", "bad.json"], in: dir)
        #expect(badExpect.status == 2)
    }

    @Test func explainPrintsStepsAndJSON() throws {
        let dir = try setUp()
        let r = try runKVReplay(["explain", "--payload", "cand.json", "--user", #"{"userID": "u1"}"#, "--entity", "rollout"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout.contains("pass percentage 60% for rule r"))
        let j = try runKVReplay(["explain", "--payload", "cand.json", "--user", #"{"userID": "u1"}"#, "--entity", "rollout", "--json"], in: dir)
        #expect(j.stdout.hasPrefix("{\"result\":{"))
        let missing = try runKVReplay(["explain", "--payload", "cand.json", "--user", #"{"userID": "u1"}"#, "--entity", "nope"], in: dir)
        #expect(missing.status == 2)
    }
}
