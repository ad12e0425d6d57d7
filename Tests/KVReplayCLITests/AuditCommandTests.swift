import Foundation
import KVReplayModel
import KVReplayStore
import Testing

/// A gate whose name holds a NUL and a right-to-left override, and one ordinary gate, through every stage.
enum HostileNameFixture {
    /// `gate` NUL `x` RLO `evil`, as JSON writes it.
    static let jsonName = #"gate\u0000x\u202Eevil"#
    static let name = "gate\u{0}x\u{202E}evil"
    static let shown = #"gate\u{0000}x\u{202E}evil"#

    static func make() throws -> URL {
        let dir = try temporaryDirectory()
        func gate(_ name: String, rule: String) -> String {
            #"{"name": "\#(name)", "type": "feature_gate", "entity": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false, "idType": "userID", "rules": [{"name": "\#(rule)", "id": "\#(rule)", "passPercentage": 100, "returnValue": true, "idType": "userID", "conditions": [{"type": "user_field", "field": "email", "operator": "str_ends_with_any", "targetValue": ["@a.com"], "idType": "userID"}]}]}"#
        }
        let payload = #"{"has_updates": true, "time": 1700000000000, "feature_gates": [\#(gate(jsonName, rule: "r1")), \#(gate("plain", rule: "r2"))], "dynamic_configs": [], "layer_configs": []}"#
        try payload.write(to: dir.appendingPathComponent("statsig-Fixture00000000000000_2023-11-14T22-13-20Z.json"), atomically: true, encoding: .utf8)
        var events: [String] = []
        for i in 0..<6 {
            let user = #"{"userID": "user-\#(i)", "email": "u\#(i)@\#(i % 2 == 0 ? "a" : "b").com"}"#
            // Even users pass (@a.com) but every exposure logs false with the default rule: even users mismatch.
            for g in [jsonName, "plain"] {
                events.append(#"{"eventName":"statsig::gate_exposure","user":\#(user),"time":\#(1_700_000_100_000 + i),"metadata":{"gate":"\#(g)","gateValue":"false","ruleID":"default","reason":"Network:Recognized","lcut":"1700000000000"},"secondaryExposures":[]}"#)
            }
        }
        let body = #"{"events":[\#(events.joined(separator: ","))],"statsigMetadata":{"sdkType":"statsig-server-core-python","sdkVersion":"0.24.2"}}"#
        try body.write(to: dir.appendingPathComponent("log_event.json"), atomically: true, encoding: .utf8)
        for args in [["ingest", "snapshots", "statsig-Fixture00000000000000_2023-11-14T22-13-20Z.json"], ["ingest", "logs", "log_event.json"], ["replay"]] {
            let r = try runKVReplay(args + ["--db", "db.sqlite", "--quiet"], in: dir)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        return dir
    }
}

@Suite(.serialized) struct AuditCommandTests {
    @Test func aNulAndABidiControlInAGateNameRoundTrip() throws {
        let dir = try HostileNameFixture.make()
        let name = HostileNameFixture.name
        let hex = Array(name.utf8).map { String(format: "%02X", $0) }.joined()
        // The database keeps the whole name (SQLite text with the NUL inside) in every table that holds it.
        let store = try Store.open(path: dir.appendingPathComponent("db.sqlite").path, mode: .readOnly)
        for table in ["exposures", "replay_outcomes", "replay_entities"] {
            let names = try store.rows("SELECT DISTINCT hex(entity) FROM \(table)").compactMap { $0[0] }
            #expect(names.contains(hex), "\(table): \(names)")
        }
        #expect(try store.rows("SELECT hex(name) FROM snapshot_entities").compactMap { $0[0] }.contains(hex))

        // audit: JSON Lines carry the exact name; text and CSV show it escaped.
        // (A command line cannot carry a NUL: --entity takes the name as reports show it.)
        let json = try runKVReplay(["audit", "--db", "db.sqlite", "--format", "json", "--entity", HostileNameFixture.shown], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            let o = try JSONParser.parse(String(line))
            #expect(o["entity"]?.stringValue == name)
            #expect(o["verdict"] == "mismatch")
            #expect(o["cause"] == "condition:user_field/str_ends_with_any/email")
        }
        #expect(!json.stdout.unicodeScalars.contains { $0.value == 0 || $0.value == 0x202E })
        for format in ["text", "csv"] {
            let r = try runKVReplay(["audit", "--db", "db.sqlite", "--format", format], in: dir)
            #expect(r.status == 0)
            #expect(r.stdout.contains(HostileNameFixture.shown), "\(format)")
            #expect(!r.stdout.unicodeScalars.contains { $0.value == 0 || $0.value == 0x202E }, "\(format)")
        }

        // report: JSON exact, every other format escaped, none with a raw NUL or bidi control.
        let report = try runKVReplay(["report", "--db", "db.sqlite", "--out", "out"], in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        let out = dir.appendingPathComponent("out")
        let reportJSON = try JSONParser.parse(try String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
        let findings = reportJSON["audit"]?["findings"]?.arrayValue ?? []
        #expect(findings.contains { $0["name"]?.stringValue == name && $0["exposures"] == .int(3) })
        #expect((reportJSON["rollouts"]?.arrayValue ?? []).contains { $0["name"]?.stringValue == name })
        for file in ["report.md", "report.html", "csv/findings.csv", "csv/rollouts.csv"] {
            let text = try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)
            #expect(text.contains(HostileNameFixture.shown), "\(file)")
        }
        let csvFiles = ["findings", "finding_examples", "rollouts", "audit", "diffs", "stale_windows"].map { "csv/\($0).csv" }
        for file in ["report.md", "report.html", "report.json", "junit.xml"] + csvFiles {
            let bytes = try Data(contentsOf: out.appendingPathComponent(file))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!bytes.contains(0) && !text.unicodeScalars.contains { $0.value == 0x202E }, "\(file)")
        }
    }

    @Test func filtersFormatsAndFailOn() throws {
        let dir = try HostileNameFixture.make()
        // Default: every verdict but match (3 + 3 mismatches).
        let all = try runKVReplay(["audit", "--db", "db.sqlite"], in: dir)
        #expect(all.status == 0)
        #expect(all.stdout.split(separator: "\n").count == 6)
        #expect(all.stdout.split(separator: "\n").allSatisfy { $0.contains("mismatch  condition:user_field/str_ends_with_any/email") })
        // Users hashed unless --include-pii; --user-id selects one user.
        #expect(!all.stdout.contains("user-0"))
        let one = try runKVReplay(["audit", "--db", "db.sqlite", "--user-id", "user-2", "--include-pii"], in: dir)
        #expect(one.stdout.split(separator: "\n").count == 2 && one.stdout.contains("user-2"))
        // --verdict match lists the matches; --cause by prefix; --limit.
        let matches = try runKVReplay(["audit", "--db", "db.sqlite", "--verdict", "match", "--format", "csv"], in: dir)
        #expect(matches.stdout.split(separator: "\n").count == 1 + 6)
        #expect(matches.stdout.hasPrefix("exposure_id,verdict,cause,"))
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--cause", "condition"], in: dir).stdout.split(separator: "\n").count == 6)
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--cause", "condition:user_field"], in: dir).stdout.split(separator: "\n").count == 6)
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--cause", "condition:user"], in: dir).stdout.isEmpty)
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--limit", "2"], in: dir).stdout.split(separator: "\n").count == 2)
        // --fail-on: exit 1 when the selection has the verdict (whatever --limit prints), 0 when it has not.
        let fail = try runKVReplay(["audit", "--db", "db.sqlite", "--fail-on", "mismatch", "--limit", "0"], in: dir)
        #expect(fail.status == 1 && fail.stdout.isEmpty && fail.stderr.contains("6 exposure(s)"))
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--fail-on", "stale"], in: dir).status == 0)
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--fail-on", "mismatch", "--entity", "nothing"], in: dir).status == 0)
        // Bad flags are usage errors; a database without an audit is unusable input.
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--verdict", "wrong"], in: dir).status == 2)
        #expect(try runKVReplay(["audit", "--db", "db.sqlite", "--format", "xml"], in: dir).status == 2)
        #expect(try runKVReplay(["ingest", "logs", "log_event.json", "--db", "fresh.sqlite", "--quiet"], in: dir).status == 0)
        let none = try runKVReplay(["audit", "--db", "fresh.sqlite"], in: dir)
        #expect(none.status == 2 && none.stderr.contains("no audit"))
    }
}
