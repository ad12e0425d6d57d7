import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayIngest
import KVReplayStore
import Testing

@Suite("Log ingest")
struct LogIngestTests {
    @Test("a log_event body (the core SDK's captured one): exposures of the three kinds, SDK from statsigMetadata")
    func logEventBody() throws {
        let db = try TestDB()
        let report = try db.ingest(.logs, [fixture("logs/log_event_body.json")])
        #expect(report.exitCode == 0)
        #expect(report.files.first?.format == "log-event-body")
        #expect(report.records == 8)
        #expect(report.added == 7)
        #expect(try db.store.userCount() == 1)
        var exposures: [ExposureRecord] = []
        try db.store.forEachExposureBatch { exposures += $0 }
        try #require(exposures.count == 7)
        #expect(exposures.map(\.row.kind) == [.gate, .gate, .gate, .config, .config, .layer, .layer])
        let gate = exposures[0].row
        #expect(gate.entity == "test_nested_gate_condition")
        #expect(gate.value == "true")
        #expect(gate.ruleID == "5M3Tb2ogJMUG7FtzvaRgAn")
        #expect(gate.time == 1_795_924_743_450)
        #expect(gate.lcut == 1_767_981_029_384)
        #expect(gate.receivedAt == 1_795_924_743_450)
        #expect(gate.configVersion == "3")
        #expect(gate.reason == "Network:Recognized")
        #expect(gate.sdkType == "statsig-server-core-python")
        #expect(gate.sdkVersion == "0.24.2")
        #expect(gate.record == 0)
        #expect(gate.line == nil)
        #expect(exposures[2].row.value == "false")
        #expect(exposures[2].row.ruleID == "")
        let config = exposures[3].row
        #expect(config.entity == "test_email_config")
        #expect(config.rulePassed == false)
        #expect(config.value == "default")
        #expect(exposures[4].row.rulePassed == true)
        let explicit = exposures[5].row
        #expect(explicit.entity == "test_layer_with_holdout")
        #expect(explicit.parameterName == "shared_string_param")
        #expect(explicit.value == "shared_string_param")
        #expect(explicit.allocatedExperiment == "test_exp_with_layers_targeting_and_holdout")
        #expect(explicit.isExplicitParameter == true)
        #expect(exposures[6].row.isExplicitParameter == false)
        #expect(exposures[6].row.allocatedExperiment == "")
        #expect(Set(exposures.map(\.userRow)).count == 1)
        // Unit type and ID are not in a logged event (they depend on the spec's idType).
        #expect(gate.unitType == nil && gate.unitID == nil)

        var users: [UserRecord] = []
        try db.store.forEachUserBatch { users += $0 }
        #expect(users.count == 1)
        #expect(users[0].unitKey == "{\"customIDs\":{\"companyID\":\"123\"},\"userID\":\"a_user\"}")
        #expect(users[0].userID == "a_user")
        #expect(users[0].customIDs == "{\"companyID\":\"123\"}")
        #expect(users[0].json.hasPrefix("{\"userID\":\"a_user\",\"customIDs\":{\"companyID\":\"123\",\"stableID\":\"\"}"))
        #expect(users[0].id == exposures[0].userRow)
    }

    /// The body the real statsig-node 6.5.1 sent from a Worker (captured by `../shared/realclient/`, as
    /// `Tests/KVReplayGenerateTests/Fixtures/statsig-node-6.5.1_log_event.json`): its `statsig::diagnostics` event
    /// (`user: null`) is read and left out, no reject; `privateAttributes: null` is no attribute.
    @Test("a statsig-node body: the diagnostics event is no exposure and no reject")
    func statsigNodeBody() throws {
        let db = try TestDB()
        let report = try db.ingest(.logs, [fixture("logs/statsig_node_log_event_body.json")])
        #expect(report.exitCode == 0)
        // One line (statsig-node sends compact bodies): read as a line that holds a whole body.
        #expect(report.files.first?.format == "ndjson")
        #expect(report.records == 6)
        #expect(report.added == 5)
        #expect(try db.store.rejects().isEmpty)
        var exposures: [ExposureRecord] = []
        try db.store.forEachExposureBatch { exposures += $0 }
        #expect(exposures.map(\.row.kind) == [.gate, .gate, .config, .layer, .layer])
        let gate = try #require(exposures.first?.row)
        #expect(gate.entity == "ios_home_widget" && gate.value == "true" && gate.ruleID == "Lbc1qWt2R6r9PHHTQev6ag")
        #expect(gate.lcut == 1_772_231_794_934)
        #expect(gate.reason == "DataAdapter")
        #expect(gate.sdkType == "statsig-node" && gate.sdkVersion == "6.5.1")
        #expect(gate.record == 1)
        var users: [UserRecord] = []
        try db.store.forEachUserBatch { users += $0 }
        #expect(users.count == 1)
        #expect(users[0].userID == "u_101850")
    }

    @Test("a gzip body on one line; the same events from two files are stored once")
    func gzipBodyAndDedupe() throws {
        let db = try TestDB()
        let first = try db.ingest(.logs, [fixture("logs/log_event_body.json")])
        #expect(first.added == 7)
        let second = try db.ingest(.logs, [fixture("logs/rgstr_body.json.gz")])
        #expect(second.exitCode == 0)
        #expect(second.records == 8)
        #expect(second.added == 0)
        #expect(second.duplicates == 7)
        #expect(try db.count("SELECT count(*) FROM exposures") == 7)
        #expect(try db.store.userCount() == 1)
        #expect(try db.count("SELECT count(*) FROM source_files") == 2)
    }

    @Test("NDJSON: bad lines go to rejects with their line and reason; the good ones are kept")
    func ndjsonRejects() throws {
        let db = try TestDB()
        let report = try db.ingest(.logs, [fixture("logs/events.ndjson")])
        #expect(report.exitCode == 3)
        #expect(report.files.first?.format == "ndjson")
        #expect(report.records == 11)
        #expect(report.added == 5)
        #expect(report.rejected == 5)
        let rejects = try db.store.rejects()
        #expect(rejects.map(\.row.line) == [6, 7, 8, 9, 10])
        #expect(rejects[0].row.reason.hasPrefix("truncated JSON"))
        #expect(rejects[1].row.reason.hasPrefix("not valid JSON"))
        #expect(rejects[1].row.excerpt == "not json at all")
        #expect(rejects[2].row.field == "metadata.gate")
        #expect(rejects[2].row.reason == "missing field")
        #expect(rejects[3].row.field == "time")
        #expect(rejects[3].row.reason.contains("expected ms since the epoch"))
        #expect(rejects[4].row.field == "user.customIDs")
        #expect(rejects.allSatisfy { $0.source.hasSuffix("events.ndjson") })
        #expect(try db.count("SELECT count(*) FROM exposures WHERE line IN (1, 3, 4, 5, 11)") == 5)

        // The user seen later with a new email keeps the later object; a custom event's user joins the population.
        var users: [UserRecord] = []
        try db.store.forEachUserBatch { users += $0 }
        #expect(users.count == 2)
        let a = try #require(users.first { $0.userID == "a_user" })
        #expect(a.json.contains("new@statsig.com"))
        #expect(a.firstSeen == 1_795_924_743_450)
        #expect(a.lastSeen == 1_795_924_744_450)
        #expect(users.contains { $0.userID == "custom_only_user" })
    }

    @Test("a users file (one user object per line) adds its users to the population; one seen in a log is merged")
    func usersFile() throws {
        let db = try TestDB()
        _ = try db.ingest(.logs, [fixture("logs/events.ndjson")])
        let path = try db.write("users.jsonl", """
            {"userID": "a_user", "customIDs": {"companyID": "123"}, "email": "a@statsig.com"}
            {"userID": "only_in_users_file", "customIDs": {"companyID": "c9"}, "country": "NZ"}
            {"customIDs": {"stableID": "s-1"}}
            {"country": "NZ"}

            """)
        let report = try db.ingest(.logs, [path])
        #expect(report.added == 0)
        #expect(report.records == 4)
        #expect(report.rejected == 1)
        let rejects = try db.store.rejects()
        #expect(rejects.last?.row.line == 4)
        #expect(rejects.last?.row.field == "eventName")
        var users: [UserRecord] = []
        try db.store.forEachUserBatch { users += $0 }
        #expect(users.count == 4)
        #expect(users.contains { $0.userID == "only_in_users_file" && $0.json.contains("NZ") })
        #expect(users.contains { $0.customIDs?.contains("s-1") == true })
        #expect(users.filter { $0.userID == "a_user" }.count == 1)
        #expect(try db.ingest(.logs, [path]).added == 0)
        try db.store.forEachUserBatch { users = $0 }
        #expect(users.count == 4)
    }

    @Test("warehouse exposures export (CSV): quoted fields over two lines, unit types, bad rows rejected")
    func warehouseCSV() throws {
        let db = try TestDB()
        let report = try db.ingest(.logs, [fixture("logs/exposures_export.csv")])
        #expect(report.exitCode == 3)
        #expect(report.files.first?.format == "warehouse-csv")
        #expect(report.records == 5)
        #expect(report.added == 2)
        let rows = try db.rows("""
            SELECT kind, entity, unit_type, unit_id, value, group_name, rule_id, time, line FROM exposures ORDER BY id
            """)
        #expect(rows == [
            ["config", "exp_a", "user_id", "u100", "expRule:50:1", "Test", "expRule:50:1", "1767607200000", "2"],
            ["gate", "email_gate", "stableID", "stable-7", "true", "Pass", "emailRule", "1767610800000", "3"],
        ])
        let users = try db.rows("SELECT unit_key, user_json FROM users ORDER BY id")
        #expect(users[0][0] == "{\"userID\":\"u100\"}")
        #expect(users[0][1] == "{\"country\":\"US\",\"custom\":{\"os\":\"iOS\"},\"userID\":\"u100\"}")
        #expect(users[1][0] == "{\"customIDs\":{\"stableID\":\"stable-7\"}}")
        let rejects = try db.store.rejects()
        #expect(rejects.map(\.row.line) == [5, 6, 7])
        #expect(rejects.map(\.row.field) == ["unit_id", "first_exposure_utc", nil])
        #expect(rejects[2].row.reason == "expected 17 fields, found 7")
    }

    @Test("ingesting the same log files again adds nothing")
    func idempotent() throws {
        let db = try TestDB()
        let folder = fixture("logs")
        let first = try db.ingest(.logs, [folder])
        #expect(first.exitCode == 3)
        let tables = ["source_files", "exposures", "users", "rejects"]
        let before = try tables.map { try db.count("SELECT count(*) FROM \($0)") }
        let again = try db.ingest(.logs, [folder])
        #expect(again.exitCode == 0)
        #expect(again.files.allSatisfy { $0.outcome == .alreadyIngested })
        #expect(try tables.map { try db.count("SELECT count(*) FROM \($0)") } == before)
        // The same content under another name is recognised by its content.
        let renamed = try db.copy("logs/events.ndjson", as: "renamed.ndjson")
        let third = try db.ingest(.logs, [renamed])
        #expect(third.files.first?.outcome == .alreadyIngested)
        #expect(try tables.map { try db.count("SELECT count(*) FROM \($0)") } == before)
    }

    @Test("a truncated gzip log keeps the lines before the damage and rejects the rest")
    func truncatedGzip() throws {
        let db = try TestDB()
        var lines = ""
        for i in 0..<2000 {
            lines += "{\"eventName\":\"statsig::gate_exposure\",\"user\":{\"userID\":\"u\(i % 50)\"},\"time\":\(1_700_000_000_000 + i),"
                + "\"metadata\":{\"gate\":\"g\",\"gateValue\":\"true\",\"ruleID\":\"r\"}}\n"
        }
        let gz = try Gzip.compress(Array(lines.utf8))
        let path = try db.write("cut.ndjson.gz", Array(gz[0..<(gz.count * 2 / 3)]))
        let report = try db.ingest(.logs, [path])
        #expect(report.exitCode == 3)
        let added = report.added
        #expect(added > 100 && added < 2000)
        let rejects = try db.store.rejects()
        #expect(rejects.last?.row.reason.contains("gzip") == true)
    }

    @Test("a file that is not a log is an error naming it; an empty log is fine")
    func unusableLogs() throws {
        let db = try TestDB()
        let notLog = try db.write("notes.txt", "hello\nworld\n")
        let empty = try db.write("empty.ndjson", "")
        let truncatedBody = try db.write("body.json", String(String(decoding: try fixtureBytes("logs/log_event_body.json"), as: UTF8.self).prefix(900)))
        let report = try db.ingest(.logs, [notLog, empty, truncatedBody, fixture("logs/rgstr_body.json.gz")])
        #expect(report.exitCode == 2)
        #expect(report.file("notes.txt")?.error?.contains("not a recognized log format") == true)
        #expect(report.file("body.json")?.error?.contains("truncated") == true)
        #expect(report.file("empty.ndjson")?.outcome == .ingested)
        #expect(report.file("rgstr_body.json.gz")?.added == 7)
    }
}

@Suite("ID-list ingest")
struct IDListIngestTests {
    @Test("+id/-id line files and JSON objects; raw IDs are hashed, 8-character entries are hashes")
    func bothShapes() throws {
        let db = try TestDB()
        let report = try db.ingest(.idlists, [fixture("idlists")])
        #expect(report.exitCode == 3)
        let lists = try db.store.idLists()
        #expect(lists["vip_users"] == ["12345678", "Zz9+/aB0", Hashing.idListHash(of: "raw-user-id-1")].sorted())
        #expect(lists["beta_testers"] == ["u1", "u2", "42"].map { Hashing.idListHash(of: $0) }.sorted())
        #expect(lists["empty_list"] == [])
        #expect(lists["bad_list"] == nil)
        let rejects = try db.store.rejects()
        #expect(rejects.count == 2)
        #expect(rejects.contains { $0.row.line == 5 && $0.row.reason.contains("+<id>") })
        #expect(rejects.contains { $0.row.record == "bad_list" })
        #expect(try db.count("SELECT entries FROM id_lists WHERE name = 'vip_users'") == 3)
    }

    @Test("a JSON file replaces the lists it names; a line file applies its changes in order")
    func replaceAndApply() throws {
        let db = try TestDB()
        _ = try db.ingest(.idlists, [fixture("idlists/lists.json")])
        let replacement = try db.write("more.json", "{\"beta_testers\": [\"u9\"]}")
        _ = try db.ingest(.idlists, [replacement])
        #expect(try db.store.idLists()["beta_testers"] == [Hashing.idListHash(of: "u9")])
        let changes = try db.write("beta_testers.txt.gz", try Gzip.compress(Array("-\(Hashing.idListHash(of: "u9"))\n+ABCDEFGH\n".utf8)))
        _ = try db.ingest(.idlists, [changes])
        #expect(try db.store.idLists()["beta_testers"] == ["ABCDEFGH"])
        var options = IngestOptions()
        options.idForm = .raw
        options.idListName = "named"
        let raw = try db.write("x.txt", "+ABCDEFGH\n")
        _ = try db.ingest(.idlists, [raw], options: options)
        #expect(try db.store.idLists()["named"] == [Hashing.idListHash(of: "ABCDEFGH")])
    }

    @Test("Statsig's get_id_lists manifest names lists but holds no IDs: recognised, nothing added, nothing rejected")
    func manifestIsRecognised() throws {
        let db = try TestDB()
        let manifest = try db.write("get_id_lists.json", #"""
            {"beta_testers": {"name": "beta_testers", "size": 90, "url": "https://idliststorage.example/beta_testers.txt",
             "creationTime": 1700000000000, "fileID": "abc"}}
            """#)
        let report = try db.ingest(.idlists, [manifest])
        #expect(report.exitCode == 0)
        #expect(report.files.first?.notes.first?.contains("manifest") == true)
        #expect(try db.store.idLists().isEmpty)
        #expect(try db.store.rejects().isEmpty)
    }
}
