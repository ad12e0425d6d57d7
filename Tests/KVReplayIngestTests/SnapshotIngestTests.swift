import Foundation
import KVReplayIngest
import KVReplayStore
import Testing

@Suite("Snapshot ingest")
struct SnapshotIngestTests {
    @Test("raw DCS v1 payload: identity, key, sizes, counts, entities, payload")
    func rawV1() throws {
        let db = try TestDB()
        let path = fixture("snapshots/statsig-fixture1_raw_v1.json")
        let report = try db.ingest(.snapshots, [path])
        #expect(report.exitCode == 0)
        #expect(report.files.first?.format == "raw")
        let snapshots = try db.store.snapshots()
        try #require(snapshots.count == 1)
        let s = snapshots[0]
        let bytes = try fixtureBytes("snapshots/statsig-fixture1_raw_v1.json")
        #expect(s.sha256 == SHA256Stream.hex(bytes))
        #expect(s.kvKey == "statsig-fixture1")
        #expect(s.kvID == "fixture1")
        #expect(s.format == "dcs-v1")
        #expect(s.hasUpdates)
        #expect(s.lcut == 1_767_225_600_000)
        #expect(s.capturedAtSource == "lcut")
        #expect(s.sizeBytes == Int64(bytes.count))
        #expect(!s.overKVLimit)
        #expect(s.counts.featureGates == 4)
        #expect(s.counts.gates == 2)
        #expect(s.counts.segments == 1)
        #expect(s.counts.holdouts == 1)
        #expect(s.counts.experiments == 1)
        #expect(s.counts.configs == 1)
        #expect(s.counts.layers == 1)
        #expect(s.counts.invalidSpecs == 1)
        #expect(s.counts.idListNames == 1)
        #expect(try db.store.payload(snapshotID: s.id) == bytes)

        let entities = try db.store.entities(snapshotID: s.id)
        #expect(entities.count == 7)
        let broken = try #require(entities.first { $0.name == "broken_gate" })
        #expect(!broken.valid)
        #expect(broken.problem?.contains("salt") == true)
        let exp = try #require(entities.first { $0.name == "exp_a" })
        #expect(exp.kind == "experiment")
        #expect(exp.entity == "experiment")
        #expect(exp.rules == 1)
        #expect(exp.valid)
        // The spec's size is its text in the payload.
        let text = String(decoding: bytes, as: UTF8.self)
        let start = try #require(text.range(of: "{\"name\":\"exp_a\""))
        #expect(exp.jsonBytes > 100 && start.lowerBound < text.endIndex)
        #expect(entities.reduce(0) { $0 + $1.jsonBytes } < Int64(bytes.count))
    }

    @Test("spec hashes ignore formatting; sizes are the text as stored")
    func prettyPrinted() throws {
        let db = try TestDB()
        _ = try db.ingest(.snapshots, [fixture("snapshots/statsig-fixture1_raw_v1.json"), fixture("snapshots/raw_v1_pretty.json")])
        let snapshots = try db.store.snapshots()
        try #require(snapshots.count == 2)
        let a = try db.store.entities(snapshotID: snapshots[0].id)
        let b = try db.store.entities(snapshotID: snapshots[1].id)
        #expect(a.map(\.specSHA256) == b.map(\.specSHA256))
        #expect(zip(a, b).allSatisfy { $0.jsonBytes < $1.jsonBytes })
        #expect(snapshots[1].kvKey == nil)
    }

    @Test("raw DCS v2 payload with a trailing newline (wrangler --text): the newline is not counted")
    func rawV2() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [fixture("snapshots/statsig-fixture1_raw_v2.json")])
        #expect(report.exitCode == 0)
        let s = try #require(try db.store.snapshots().first)
        let bytes = try fixtureBytes("snapshots/statsig-fixture1_raw_v2.json")
        #expect(bytes.last == 0x0A)
        #expect(s.sizeBytes == Int64(bytes.count - 1))
        #expect(s.sha256 == SHA256Stream.hex(bytes.dropLast()))
        #expect(s.format == "dcs-v2")
        #expect(s.counts.conditions == 5)
        #expect(s.counts.invalidSpecs == 1)
        #expect(try db.store.entities(snapshotID: s.id).count == 7)
    }

    @Test("gzip file; capture time from the file name")
    func gzip() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [fixture("snapshots/statsig-fixture1_2026-01-03T00-00-00Z.json.gz")])
        #expect(report.exitCode == 0)
        let s = try #require(try db.store.snapshots().first)
        #expect(s.capturedAt == 1_767_398_400_000)
        #expect(s.capturedAtSource == "filename")
        #expect(s.lcut == 1_767_398_400_000)
        #expect(s.kvKey == "statsig-fixture1")
        // The size is that of the value, not of the compressed file.
        #expect(s.sizeBytes > Int64(try fixtureBytes("snapshots/statsig-fixture1_2026-01-03T00-00-00Z.json.gz").count))
    }

    @Test("wrangler kv bulk get (remote): Success! trailer, values parsed again, other keys passed over")
    func bulkGetRemote() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [fixture("snapshots/wrangler_bulk_get_remote.txt")])
        #expect(report.exitCode == 0)
        let f = try #require(report.files.first)
        #expect(f.format == "wrangler-bulk-get")
        #expect(f.added == 1)
        #expect(f.notes.contains { $0.contains("other-key") })
        let s = try #require(try db.store.snapshots().first)
        #expect(s.kvKey == "statsig-fixture1")
        #expect(s.sha256 == SHA256Stream.hex(try fixtureBytes("snapshots/statsig-fixture1_raw_v1.json")))
    }

    @Test("wrangler kv bulk get --local: per-key {value}; a null value is a rejected record")
    func bulkGetLocal() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [fixture("snapshots/wrangler_bulk_get_local.txt")])
        #expect(report.exitCode == 3)
        let f = try #require(report.files.first)
        #expect(f.format == "wrangler-bulk-get-local")
        #expect(f.added == 1)
        #expect(f.rejected == 1)
        let rejects = try db.store.rejects()
        #expect(rejects.count == 1)
        #expect(rejects[0].row.record == "statsig-missing")
        #expect(rejects[0].row.reason.contains("not found"))
        #expect(try db.store.snapshots().first?.format == "dcs-v2")
    }

    @Test("bulk-put / backup array: base64 values, metadata capture time, a record without a value rejected")
    func bulkPut() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [fixture("snapshots/kv_backup.json")])
        #expect(report.exitCode == 3)
        let snapshots = try db.store.snapshots()
        #expect(snapshots.count == 2)
        let first = try #require(snapshots.first { $0.kvKey == "statsig-fixture1" })
        #expect(first.capturedAtSource == "metadata")
        #expect(first.capturedAt == 1_768_046_400_000)
        let second = try #require(snapshots.first { $0.kvKey == "statsig-fixture2" })
        #expect(second.format == "dcs-v2")
        var v2 = try fixtureBytes("snapshots/statsig-fixture1_raw_v2.json")
        v2.removeLast()
        #expect(second.sha256 == SHA256Stream.hex(v2))
        let rejects = try db.store.rejects()
        #expect(rejects.map(\.row.record) == ["[2] statsig-fixture3"])
        #expect(rejects[0].row.field == "value")
        #expect(rejects[0].row.reason == "missing field")
    }

    @Test("Cloudflare REST envelopes around a payload, a bulk get and a backup array; an error response")
    func restEnvelopes() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [
            fixture("snapshots/rest_payload.json"), fixture("snapshots/rest_bulk_get.json"),
            fixture("snapshots/rest_backup_array.json"), fixture("snapshots/rest_error.json"),
        ])
        #expect(report.exitCode == 2)
        #expect(report.file("rest_payload.json")?.format == "rest/raw")
        #expect(report.file("rest_bulk_get.json")?.format == "rest/wrangler-bulk-get")
        #expect(report.file("rest_backup_array.json")?.format == "rest/bulk-put")
        let error = try #require(report.file("rest_error.json"))
        #expect(error.outcome == .failed)
        #expect(error.error?.contains("key not found") == true)
        let snapshots = try db.store.snapshots()
        // A payload given as parsed JSON is stored in its compact form: the same bytes as the raw v1 value.
        let v1 = SHA256Stream.hex(try fixtureBytes("snapshots/statsig-fixture1_raw_v1.json"))
        #expect(snapshots.contains { $0.sha256 == v1 })
        let v2 = try #require(snapshots.first { $0.format == "dcs-v2" })
        #expect(v2.capturedAt == 1_767_600_000_000)
        #expect(v2.capturedAtSource == "metadata")
        #expect(snapshots.count == 2)
        #expect(try db.count("SELECT count(*) FROM snapshot_captures") == 3)
    }

    @Test("has_updates false is recorded as 'no change', not as an empty config")
    func noUpdates() throws {
        let db = try TestDB()
        let report = try db.ingest(.snapshots, [fixture("snapshots/no_updates.json")])
        #expect(report.exitCode == 0)
        #expect(report.files.first?.notes.contains { $0.contains("no change") } == true)
        #expect(try db.store.snapshots().isEmpty)
        let all = try db.store.snapshots(includeNoChange: true)
        try #require(all.count == 1)
        #expect(!all[0].hasUpdates)
        #expect(all[0].lcut == 1_767_225_600_000)
        #expect(try db.store.entities(snapshotID: all[0].id).isEmpty)
        #expect(try db.store.status().noChangeSnapshots == 1)
    }

    @Test("a value over KV's 25 MiB limit is ingested and flagged")
    func overLimit() throws {
        let db = try TestDB()
        // One gate with a very long target list: 25 MiB and a bit.
        let filler = String(repeating: "x", count: 26_214_400)
        let payload = "{\"has_updates\":true,\"time\":1767225600000,\"feature_gates\":[{\"name\":\"big\",\"type\":\"feature_gate\",\"salt\":\"s\","
            + "\"enabled\":true,\"defaultValue\":false,\"idType\":\"userID\",\"entity\":\"feature_gate\",\"rules\":[{\"name\":\"r\",\"id\":\"r\","
            + "\"passPercentage\":100,\"returnValue\":true,\"idType\":\"userID\",\"conditions\":[{\"type\":\"user_field\",\"operator\":\"any\","
            + "\"field\":\"email\",\"idType\":\"userID\",\"targetValue\":[\"\(filler)\"]}]}]}],\"dynamic_configs\":[],\"layer_configs\":[]}"
        let path = try db.write("statsig-big.json", payload)
        let report = try db.ingest(.snapshots, [path])
        #expect(report.exitCode == 0)
        #expect(report.files.first?.notes.contains { $0.contains("25 MiB") } == true)
        let s = try #require(try db.store.snapshots().first)
        #expect(s.overKVLimit)
        #expect(s.sizeBytes == Int64(payload.utf8.count))
        #expect(try db.store.status().overKVLimit == 1)
        #expect(try db.store.entities(snapshotID: s.id).first?.jsonBytes ?? 0 > 26_214_400)
    }

    @Test("capture time: --captured-at, else record metadata, else the file name, else the payload's time")
    func captureTimePrecedence() throws {
        // --captured-at wins over everything.
        do {
            let db = try TestDB()
            var options = IngestOptions()
            options.capturedAt = Timestamps.parse("2026-03-01T00:00:00Z")
            let named = try db.copy("snapshots/kv_backup.json", as: "backup_2026-02-01T00-00-00Z.json")
            _ = try db.ingest(.snapshots, [named], options: options)
            let sources = try db.rows("SELECT DISTINCT captured_at_source, captured_at FROM snapshot_captures")
            #expect(sources == [["option", "1772323200000"]])
        }
        // Metadata wins over the file name; the file name over the lcut.
        do {
            let db = try TestDB()
            let named = try db.copy("snapshots/kv_backup.json", as: "backup_2026-02-01T00-00-00Z.json")
            _ = try db.ingest(.snapshots, [named])
            let rows = try db.rows("SELECT source_record, captured_at_source, captured_at FROM snapshot_captures ORDER BY source_record")
            #expect(rows == [["[0]", "metadata", "1768046400000"], ["[1]", "filename", "1769904000000"]])
        }
        // Epoch seconds and milliseconds in file names; no timestamp: the lcut.
        do {
            let db = try TestDB()
            let seconds = try db.copy("snapshots/statsig-fixture1_raw_v1.json", as: "a/snap_1767800000.json")
            let millis = try db.copy("snapshots/statsig-fixture1_raw_v2.json", as: "b/snap-1767900000123.json")
            let none = try db.copy("snapshots/raw_v1_pretty.json", as: "c/statsig-abc.json")
            _ = try db.ingest(.snapshots, [seconds, millis, none])
            let rows = try db.rows("SELECT kv_key, captured_at_source, captured_at FROM snapshot_captures ORDER BY source_file_id")
            #expect(rows == [[nil, "filename", "1767800000000"], [nil, "filename", "1767900000123"], ["statsig-abc", "lcut", "1767225600000"]])
        }
    }

    @Test("a truncated or non-JSON file is an error naming the file; the other files are ingested; running again adds nothing")
    func unusableFiles() throws {
        let db = try TestDB()
        let paths = [fixture("snapshots/truncated.json"), fixture("snapshots/not_json.txt"), fixture("snapshots/statsig-fixture1_raw_v1.json"),
                     fixture("snapshots/key_list.json"), (db.dir as NSString).appendingPathComponent("missing.json")]
        let report = try db.ingest(.snapshots, paths)
        #expect(report.exitCode == 2)
        #expect(report.file("truncated.json")?.outcome == .failed)
        #expect(report.file("truncated.json")?.error?.contains("truncated") == true)
        #expect(report.file("not_json.txt")?.error?.contains("not JSON") == true)
        #expect(report.file("key_list.json")?.error?.contains("key names") == true)
        #expect(report.file("missing.json")?.error?.contains("no such file") == true)
        #expect(report.file("statsig-fixture1_raw_v1.json")?.outcome == .ingested)
        #expect(try db.store.snapshots().count == 1)
        let rejectsBefore = try db.count("SELECT count(*) FROM rejects")
        #expect(rejectsBefore == 3)
        #expect(try db.store.rejects().allSatisfy { $0.source.hasSuffix(".json") || $0.source.hasSuffix(".txt") })

        let again = try db.ingest(.snapshots, paths)
        #expect(again.exitCode == 2)
        #expect(again.file("truncated.json")?.error?.contains("truncated") == true)
        #expect(again.file("statsig-fixture1_raw_v1.json")?.outcome == .alreadyIngested)
        #expect(try db.count("SELECT count(*) FROM rejects") == rejectsBefore)
    }

    @Test("ingesting the same files again adds nothing")
    func idempotent() throws {
        let db = try TestDB()
        let folder = fixture("snapshots")
        _ = try db.ingest(.snapshots, [folder])
        let tables = ["source_files", "snapshots", "snapshot_captures", "snapshot_entities", "rejects"]
        let before = try tables.map { try db.count("SELECT count(*) FROM \($0)") }
        let again = try db.ingest(.snapshots, [folder])
        #expect(again.added == 0)
        #expect(again.files.allSatisfy { $0.outcome != .ingested })
        let after = try tables.map { try db.count("SELECT count(*) FROM \($0)") }
        #expect(before == after)
        #expect(try db.store.integrityCheck() == "ok")
    }
}
