import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel
import KVReplayStore
import KVReplayTestSupport
import Testing

/// A database made through the CLI from the fixture history: four KV snapshots (raw files named by capture time) and a
/// log_event body of gate exposures for 300 users, some wrong on purpose.
enum ReplayFixture {
    static func make() throws -> URL {
        let dir = try temporaryDirectory()
        let snaps = dir.appendingPathComponent("snapshots")
        try FileManager.default.createDirectory(at: snaps, withIntermediateDirectories: true)
        for s in History.snapshots {
            let iso = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(s.capturedAt) / 1000)).replacingOccurrences(of: ":", with: "-")
            try JSONWriter(style: .serde).string(.object(s.specs.raw)).write(to: snaps.appendingPathComponent("statsig-Fixture00000000000000_\(iso).json"), atomically: true, encoding: .utf8)
        }
        var events: [String] = []
        for (i, u) in History.users(300).enumerated() {
            let t = History.snapshots[0].lcut + 150_000 + Int64(i)
            let value = i % 7 == 0 ? "true" : "false"
            events.append(#"{"eventName":"statsig::gate_exposure","user":\#(JSONWriter().string(u.user.json)),"time":\#(t),"metadata":{"gate":"emails","gateValue":"\#(value)","ruleID":"default","reason":"Network:Recognized","lcut":"\#(History.snapshots[0].lcut)"},"secondaryExposures":[]}"#)
        }
        let body = #"{"events":[\#(events.joined(separator: ","))],"statsigMetadata":{"sdkType":"statsig-server-core-python","sdkVersion":"0.24.2"}}"#
        try body.write(to: dir.appendingPathComponent("log_event.json"), atomically: true, encoding: .utf8)
        try #"{"beta": ["user-0", "user-7", "user-14"]}"#.write(to: dir.appendingPathComponent("lists.json"), atomically: true, encoding: .utf8)
        for args in [["ingest", "snapshots", "snapshots"], ["ingest", "logs", "log_event.json"], ["ingest", "idlists", "lists.json"]] {
            let r = try runKVReplay(args + ["--db", "base.sqlite", "--quiet"], in: dir)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        return dir
    }

    /// Every replay table, rows in key order, as text.
    static func dump(_ path: URL) throws -> [String: [[String?]]] {
        let store = try Store.open(path: path.path, mode: .readOnly)
        var out: [String: [[String?]]] = [:]
        out["replay_runs"] = try store.rows("SELECT flavor, snapshots, first_snapshot_id, last_snapshot_id, users, evaluations, carried_over, exposures, source_fingerprint FROM replay_runs")
        out["replay_entities"] = try store.rows("SELECT * FROM replay_entities ORDER BY snapshot_id, kind, entity")
        out["replay_outcomes"] = try store.rows("SELECT * FROM replay_outcomes ORDER BY snapshot_id, kind, entity, value, rule_id, has_group, group_name")
        out["replay_flips"] = try store.rows("SELECT * FROM replay_flips ORDER BY to_snapshot_id, kind, entity, user_row")
        out["audit"] = try store.rows("SELECT * FROM audit ORDER BY exposure_id")
        return out
    }
}

@Suite(.serialized) struct ReplayCommandTests {
    @Test func oneThreadTwoThreadsAndMergedShardsAgree() throws {
        let dir = try ReplayFixture.make()
        let fm = FileManager.default
        for name in ["t1", "t2", "sharded"] { try fm.copyItem(at: dir.appendingPathComponent("base.sqlite"), to: dir.appendingPathComponent("\(name).sqlite")) }
        #expect(try runKVReplay(["replay", "--db", "t1.sqlite", "--threads", "1"], in: dir).status == 0)
        #expect(try runKVReplay(["replay", "--db", "t2.sqlite", "--threads", "2"], in: dir).status == 0)
        #expect(try runKVReplay(["replay", "--db", "sharded.sqlite", "--shard", "1/2", "--shard-db", "s1.sqlite"], in: dir).status == 0)
        #expect(try runKVReplay(["replay", "--db", "sharded.sqlite", "--shard", "2/2", "--shard-db", "s2.sqlite"], in: dir).status == 0)
        let merge = try runKVReplay(["merge", "sharded.sqlite", "s2.sqlite", "s1.sqlite"], in: dir)
        #expect(merge.status == 0, "\(merge.stderr)")
        let a = try ReplayFixture.dump(dir.appendingPathComponent("t1.sqlite"))
        let b = try ReplayFixture.dump(dir.appendingPathComponent("t2.sqlite"))
        let c = try ReplayFixture.dump(dir.appendingPathComponent("sharded.sqlite"))
        #expect(a == b)
        #expect(a == c)
        #expect((a["replay_flips"]?.count ?? 0) > 100)
        #expect(a["audit"]?.count == 300)
        // Each shard holds part of the population, and both are non-empty.
        let s1 = try ReplayFixture.dump(dir.appendingPathComponent("s1.sqlite"))
        #expect(!(s1["audit"] ?? []).isEmpty && (s1["audit"] ?? []).count < 300)
        // A merge that misses a shard is refused.
        let partial = try runKVReplay(["merge", "t1.sqlite", "s1.sqlite"], in: dir)
        #expect(partial.status != 0)
        #expect(partial.stderr.contains("exactly once"))
    }

    /// The history streams through a bounded set of compiled payloads: with no room to keep any between steps, each
    /// is compiled again when the audit needs it, and every result is the same.
    @Test func aPayloadBudgetOfNothingGivesTheSameResults() throws {
        let dir = try ReplayFixture.make()
        let fm = FileManager.default
        for name in ["kept", "streamed"] { try fm.copyItem(at: dir.appendingPathComponent("base.sqlite"), to: dir.appendingPathComponent("\(name).sqlite")) }
        let kept = try runKVReplay(["replay", "--db", "kept.sqlite"], in: dir)
        let streamed = try runKVReplay(["replay", "--db", "streamed.sqlite", "--payload-memory", "0", "--threads", "1"], in: dir)
        #expect(kept.status == 0 && streamed.status == 0, "\(kept.stderr) \(streamed.stderr)")
        func compilations(_ out: String) -> Int? {
            guard let r = out.range(of: #"\((\d+) payload compilations\)"#, options: .regularExpression) else { return nil }
            return Int(out[r].dropFirst().prefix { $0.isNumber })
        }
        let snapshots = History.snapshots.count
        #expect(compilations(kept.stdout) == snapshots)
        #expect((compilations(streamed.stdout) ?? 0) > snapshots)
        #expect(try ReplayFixture.dump(dir.appendingPathComponent("kept.sqlite")) == ReplayFixture.dump(dir.appendingPathComponent("streamed.sqlite")))
        let negative = try runKVReplay(["replay", "--db", "kept.sqlite", "--payload-memory", "-1"], in: dir)
        #expect(negative.status != 0 && negative.stderr.contains("--payload-memory"))
    }

    @Test func auditVerdictsFollowTheLoggedValues() throws {
        let dir = try ReplayFixture.make()
        #expect(try runKVReplay(["replay", "--db", "base.sqlite"], in: dir).status == 0)
        let store = try Store.open(path: dir.appendingPathComponent("base.sqlite").path, mode: .readOnly)
        // Users whose email ends in @a.com (every third) pass `emails` with rule emails-rule: logging "default" is a mismatch.
        let rows = try store.rows("""
            SELECT u.user_id, e.value, a.verdict, a.fields, a.expected_value, a.expected_rule_id FROM audit a
            JOIN exposures e ON e.id = a.exposure_id JOIN users u ON u.id = e.user_row ORDER BY a.exposure_id
            """)
        #expect(rows.count == 300)
        for r in rows {
            let i = Int(r[0]!.dropFirst("user-".count))!
            let passes = i % 3 == 0
            let loggedTrue = r[1] == "true"
            let expectedVerdict = (passes == loggedTrue && !passes) ? "match" : "mismatch"
            #expect(r[2] == expectedVerdict, "user-\(i): \(r)")
            #expect(r[4] == (passes ? "true" : "false"))
            #expect(r[5] == (passes ? "emails-rule" : "default"))
        }
    }

    /// The flips as kvreplay stored them before `v4-replay-transitions`: one text row per flip, straight from the
    /// replayer's sink.
    final class RowSink: ReplaySink {
        let ids: [Int64]
        var rows: [[String?]] = []
        init(ids: [Int64]) { self.ids = ids }
        func flips(from: Int, to: Int, entity: EntityRef, flips: [Flip]) throws {
            let w = JSONWriter(style: .python)
            for f in flips {
                rows.append([String(ids[from]), String(ids[to]), entity.kind.rawValue, entity.name, String(f.userID), w.string(f.before.value),
                             f.before.ruleID, f.before.groupName, w.string(f.after.value), f.after.ruleID, f.after.groupName,
                             f.before.changes(to: f.after).joined(separator: ",")])
            }
        }
    }

    @Test("the replay_flips view holds exactly the flips the replayer reports, as the table held them before v4")
    func flipsViewEqualsTheOldRows() throws {
        let dir = try ReplayFixture.make()
        #expect(try runKVReplay(["replay", "--db", "base.sqlite"], in: dir).status == 0)
        let store = try Store.open(path: dir.appendingPathComponent("base.sqlite").path, mode: .readOnly)
        let (_, snapshots) = try StoreReplay().loadSnapshots(from: store)
        var users: [ReplayUser] = []
        try store.forEachUserBatch { batch in
            for u in batch { users.append(ReplayUser(id: u.id, user: try StatsigUser(json: try JSONParser.parse(u.json)))) }
        }
        let lists = try store.idLists()
        let options = ReplayOptions(threads: 1, idLists: IDLists(hashedEntries: lists),
                                    idListHashes: lists.mapValues { Hashing.sha256Hex(Array($0.joined(separator: "\n").utf8)) })
        let sink = RowSink(ids: snapshots.map(\.id))
        _ = try Replayer(snapshots: snapshots, options: options).run(users: users, sink: sink)
        let expected = sink.rows.sorted { a, b in
            (Int64(a[1]!)!, a[2]!, a[3]!, Int64(a[4]!)!) < (Int64(b[1]!)!, b[2]!, b[3]!, Int64(b[4]!)!)
        }
        #expect(expected.count > 100)
        #expect(try store.rows("SELECT * FROM replay_flips ORDER BY to_snapshot_id, kind, entity, user_row") == expected)
        #expect(try store.scalar("SELECT count(*) FROM replay_transitions")! < Int64(expected.count) / 10)
    }

    @Test func reportFromTheDatabaseIsDeterministic() throws {
        let dir = try ReplayFixture.make()
        #expect(try runKVReplay(["replay", "--db", "base.sqlite"], in: dir).status == 0)
        let r1 = try runKVReplay(["report", "--db", "base.sqlite", "--out", "r1", "--gzip"], in: dir)
        let r2 = try runKVReplay(["report", "--db", "base.sqlite", "--out", "r2", "--gzip"], in: dir)
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)")
        for name in ["report.md.gz", "report.json.gz", "report.html.gz", "junit.xml.gz", "csv/diffs.csv.gz"] {
            let a = try Data(contentsOf: dir.appendingPathComponent("r1/\(name)"))
            let b = try Data(contentsOf: dir.appendingPathComponent("r2/\(name)"))
            #expect(a == b, "\(name)")
            #expect(a.count > 20)
        }
        let json = try runKVReplay(["report", "--db", "base.sqlite", "--out", "r3", "--format", "json"], in: dir)
        #expect(json.status == 0)
        let text = try String(contentsOf: dir.appendingPathComponent("r3/report.json"), encoding: .utf8)
        // Expected: users passing `emails` (every third) logged rule "default"; others that logged true (every seventh).
        let mismatches = (0..<300).filter { $0 % 3 == 0 || $0 % 7 == 0 }.count
        #expect(text.contains("\"mismatch\": \(mismatches)"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r3/report.md").path))
    }
}

@Suite struct GeneratedHistoryTests {
    /// A generated history, ingested and replayed through the CLI: every exposure's verdict is the one the generator
    /// knew when it wrote the exposure (wrong on purpose, stale, inferred from an uncaptured config, unevaluable).
    @Test func auditAgreesWithTheGeneratorsExpectations() throws {
        let dir = try temporaryDirectory()
        let gen = try runKVReplay(["generate", "--out", "h", "--seed", "15", "--days", "6", "--snapshots-per-day", "3", "--users", "400",
                                   "--gates", "24", "--experiments", "6", "--layers", "2", "--active-share", "0.12", "--servers", "5",
                                   "--lagging-share", "0.8", "--max-lag-minutes", "25", "--wrong-exposures", "10", "--corrupt-records", "4"], in: dir)
        #expect(gen.status == 0, "\(gen.stderr)")
        let h = dir.appendingPathComponent("h")
        let lists = try FileManager.default.contentsOfDirectory(atPath: h.appendingPathComponent("idlists").path).filter { $0.hasSuffix(".txt") }.map { "h/idlists/\($0)" }
        #expect(try runKVReplay(["ingest", "snapshots", "h/snapshots", "--db", "g.sqlite", "--quiet"], in: dir).status == 0)
        #expect(try runKVReplay(["ingest", "logs", "h/logs", "--db", "g.sqlite", "--quiet"], in: dir).status == 3)  // the corrupt records
        #expect(try runKVReplay(["ingest", "idlists"] + lists + ["--db", "g.sqlite", "--quiet"], in: dir).status == 0)
        let replay = try runKVReplay(["replay", "--db", "g.sqlite"], in: dir)
        #expect(replay.status == 0, "\(replay.stderr)")

        var expected: [String: (verdict: String, inferred: Bool)] = [:]
        for line in try String(contentsOf: h.appendingPathComponent("expected_audit.jsonl"), encoding: .utf8).split(separator: "\n") {
            let o = try JSONParser.parse(String(line))
            let position = o["line"].map { "L\(JSONWriter().string($0))" } ?? "R\(JSONWriter().string(o["index"]!))"
            expected["\(o["file"]!.stringValue!)#\(position)"] = (o["verdict"]!.stringValue!, o["inferred"] == .bool(true))
        }
        let store = try Store.open(path: dir.appendingPathComponent("g.sqlite").path, mode: .readOnly)
        let rows = try store.rows("""
            SELECT f.path, e.line, e.record, a.verdict, a.inferred FROM audit a JOIN exposures e ON e.id = a.exposure_id
            JOIN source_files f ON f.id = e.source_file_id ORDER BY a.exposure_id
            """)
        #expect(rows.count > 1000)
        var disagreements: [String] = []
        var counts: [String: Int] = [:]
        for r in rows {
            var file = r[0]!
            if let range = file.range(of: "h/logs/") { file = "logs/" + file[range.upperBound...] }
            let ndjson = file.contains(".ndjson")
            let key = "\(file)#\(ndjson ? "L\(r[1]!)" : "R\(r[2]!)")"
            let want = expected[key] ?? ("match", false)
            let got = (r[3]!, r[4] == "1")
            counts[got.0, default: 0] += 1
            if want.verdict != got.0 || want.inferred != got.1 { disagreements.append("\(key): expected \(want), audit \(got)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        #expect(counts["mismatch", default: 0] >= 10)
        #expect(counts["stale", default: 0] > 0 && counts["unevaluable", default: 0] > 0, "\(counts)")
        #expect(counts["edge-blind", default: 0] > 0, "\(counts)")
        #expect(rows.contains { $0[4] == "1" }, "no exposure was audited against an inferred snapshot")
    }
}

@Suite struct DatabaseCheckAndExplainTests {
    @Test func checkNamesSnapshotsAndTakesTheDatabasePopulation() throws {
        let dir = try ReplayFixture.make()
        let first = String(History.snapshots[0].lcut), second = String(History.snapshots[1].lcut)
        let r = try runKVReplay(["check", "--db", "base.sqlite", "--baseline", first, "--candidate", second,
                                 "--max-changed-rate-for", "ramp=0.2", "--format", "json"], in: dir)
        // The 10% -> 50% ramp moves about 40% of the users: over the 20% threshold.
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("\"users\":300"))
        let usage = try runKVReplay(["check", "--baseline", first, "--candidate", second], in: dir)
        #expect(usage.status == 2)
        let unknown = try runKVReplay(["check", "--db", "base.sqlite", "--baseline", "ffffffffff", "--candidate", second], in: dir)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no snapshot matches"))
    }

    @Test func explainFindsTheUserAndTheSnapshotInTheDatabase() throws {
        let dir = try ReplayFixture.make()
        let r = try runKVReplay(["explain", "--db", "base.sqlite", "--snapshot", String(History.snapshots[0].lcut), "--user-id", "user-3",
                                 "--entity", "emails", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONParser.parse(r.stdout)
        // user-3 has an @a.com address: the emails rule passes.
        #expect(json["result"]?["value"] == .bool(true))
        #expect(json["result"]?["rule_id"] == .string("emails-rule"))
        let missing = try runKVReplay(["explain", "--db", "base.sqlite", "--user-id", "nobody", "--entity", "emails"], in: dir)
        #expect(missing.status == 2)
    }
}
