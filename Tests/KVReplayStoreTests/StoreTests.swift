import Foundation
import KVReplayIO
import KVReplayStore
import Testing

/// A store in a fresh temporary folder.
final class TempStore {
    let dir: String
    let path: String

    init() throws {
        dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = (dir as NSString).appendingPathComponent("s.sqlite")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func open(_ extra: [StoreMigration] = []) throws -> Store { try Store(path: path, additionalMigrations: extra) }
}

func user(_ id: String, time: Int64?, json: String? = nil) -> UserObservation {
    UserObservation(unitKey: "{\"userID\":\"\(id)\"}", userID: id, customIDs: nil, json: json ?? "{\"userID\":\"\(id)\"}", time: time, line: 1)
}

func exposure(_ key: Int64, entity: String = "g", time: Int64 = 1) -> ExposureRow {
    var e = ExposureRow(dedupeKey: key, kind: .gate, entity: entity)
    e.value = "true"
    e.ruleID = "r"
    e.time = time
    return e
}

@Suite("Store")
struct StoreTests {
    @Test("the schema is created by versioned migrations, in WAL mode; reopening applies nothing twice")
    func migrations() throws {
        let t = try TempStore()
        let store = try t.open()
        #expect(try store.appliedMigrations() == StoreSchema.migrations.map(\.identifier))
        let tables = Set(try store.rows("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0[0] })
        for name in ["source_files", "snapshots", "snapshot_captures", "snapshot_entities", "users", "exposures", "id_lists",
                     "id_list_entries", "rejects"] {
            #expect(tables.contains(name), "\(name)")
        }
        #expect(try store.rows("PRAGMA journal_mode") == [["wal"]])
        // A later stage appends its migration; an older binary still opens the database.
        let replay = StoreMigration(identifier: "v1-replay-test", sql: "CREATE TABLE replay_results (id INTEGER PRIMARY KEY)")
        let upgraded = try t.open([replay])
        #expect(try upgraded.appliedMigrations().last == "v1-replay-test")
        _ = try t.open([replay])
        let older = try t.open()
        #expect(try older.appliedMigrations().count == StoreSchema.migrations.count + 1)
    }

    @Test("read-only mode needs an existing kvreplay database")
    func readOnly() throws {
        let t = try TempStore()
        #expect(throws: StoreError.self) { try Store(path: t.path, mode: .readOnly) }
        _ = try t.open()
        let ro = try Store(path: t.path, mode: .readOnly)
        #expect(try ro.status().snapshots == 0)
        #expect(throws: (any Error).self) { try ro.writeTransaction { _ in ((), true) } }
    }

    @Test("users: one row per unit key, the latest object kept, first/last seen; exposures stored once per key")
    func usersAndExposures() throws {
        let t = try TempStore()
        let store = try t.open()
        try store.writeTransaction { w in
            let file = try w.beginSourceFile(sha256: "f1", probe: "p1", path: "a", kind: .logs, bytes: 1, ingestedAt: 0)
            var batch = RowBatch()
            batch.append(exposure: exposure(1, time: 10), user: user("u1", time: 10, json: "{\"userID\":\"u1\",\"v\":1}"))
            batch.append(exposure: exposure(2, time: 30), user: user("u1", time: 30, json: "{\"userID\":\"u1\",\"v\":3}"))
            batch.append(exposure: exposure(3, time: 20), user: user("u1", time: 20, json: "{\"userID\":\"u1\",\"v\":2}"))
            batch.append(exposure: exposure(1, time: 10), user: user("u2", time: 5))
            let r = try w.write(batch, sourceFileID: file)
            #expect(r.exposuresAdded == 3)
            #expect(r.exposureDuplicates == 1)
            #expect(r.usersAdded == 2)
            return ((), true)
        }
        // A second transaction: an older sighting does not replace the object; a later one does.
        try store.writeTransaction { w in
            let file = try w.beginSourceFile(sha256: "f2", probe: "p2", path: "b", kind: .logs, bytes: 1, ingestedAt: 0)
            var batch = RowBatch()
            batch.append(user: user("u1", time: 1, json: "{\"userID\":\"u1\",\"v\":0}"))
            batch.append(user: user("u2", time: 50, json: "{\"userID\":\"u2\",\"v\":9}"))
            batch.append(exposure: exposure(2, time: 30), user: user("u1", time: 30, json: "{\"userID\":\"u1\",\"v\":3}"))
            let r = try w.write(batch, sourceFileID: file)
            #expect(r.exposuresAdded == 0)
            #expect(r.usersAdded == 0)
            return ((), true)
        }
        var users: [UserRecord] = []
        try store.forEachUserBatch(batchSize: 1) { users += $0 }
        #expect(users.map(\.userID) == ["u1", "u2"])
        #expect(users[0].json == "{\"userID\":\"u1\",\"v\":3}")
        #expect(users[0].firstSeen == 1)
        #expect(users[0].lastSeen == 30)
        #expect(users[1].json == "{\"userID\":\"u2\",\"v\":9}")
        var exposures: [ExposureRecord] = []
        try store.forEachExposureBatch(batchSize: 2) { exposures += $0 }
        #expect(exposures.map(\.row.dedupeKey) == [1, 2, 3])
        #expect(exposures[0].userRow == users[0].id)
        #expect(exposures[0].row.value == "true")
    }

    @Test("equal event times: the kept object does not depend on the order the sightings arrive in")
    func deterministicTieBreak() throws {
        var kept: [String] = []
        for order in [["a", "b"], ["b", "a"]] {
            let t = try TempStore()
            let store = try t.open()
            try store.writeTransaction { w in
                let file = try w.beginSourceFile(sha256: "f", probe: "p", path: "a", kind: .logs, bytes: 1, ingestedAt: 0)
                var batch = RowBatch()
                for v in order { batch.append(user: user("u", time: 7, json: "{\"userID\":\"u\",\"x\":\"\(v)\"}")) }
                _ = try w.write(batch, sourceFileID: file)
                return ((), true)
            }
            kept.append(try store.rows("SELECT user_json FROM users")[0][0]!)
        }
        #expect(kept[0] == kept[1])
    }

    @Test("a transaction that throws or asks for a rollback leaves nothing")
    func rollback() throws {
        let t = try TempStore()
        let store = try t.open()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try store.writeTransaction { w -> ((), commit: Bool) in
                _ = try w.beginSourceFile(sha256: "f", probe: "p", path: "a", kind: .logs, bytes: 1, ingestedAt: 0)
                throw Boom()
            }
        }
        try store.writeTransaction { w in
            _ = try w.beginSourceFile(sha256: "g", probe: "p", path: "a", kind: .logs, bytes: 1, ingestedAt: 0)
            return ((), false)
        }
        #expect(try store.status().sourceFiles == 0)
    }

    @Test("snapshots: stored once per content hash, each capture recorded, payload kept compressed")
    func snapshots() throws {
        let t = try TempStore()
        let store = try t.open()
        let payload = Array("{\"has_updates\":true,\"time\":5,\"feature_gates\":[]}".utf8)
        func insert(_ record: String, capturedAt: Int64, source: CapturedAtSource) -> SnapshotInsert {
            var counts = SnapshotCounts()
            counts.gates = 1
            let entity = SnapshotEntityRow(collection: "feature_gates", name: "g", kind: "gate", entity: "feature_gate", jsonBytes: 10,
                                           specSHA256: "00", rules: 1, enabled: true, isActive: nil, version: 2, idType: "userID",
                                           valid: true, problem: nil)
            return SnapshotInsert(sha256: "abc", kvKey: "statsig-x", kvID: "x", lcut: 5, capturedAt: capturedAt, capturedAtSource: source,
                                  format: "dcs-v1", hasUpdates: true, sizeBytes: Int64(payload.count), overKVLimit: false, companyID: nil,
                                  counts: counts, payloadZlib: (try? Gzip.zlibCompress(payload)) ?? [], sourceRecord: record,
                                  entities: [entity])
        }
        try store.writeTransaction { w in
            let file = try w.beginSourceFile(sha256: "f", probe: "p", path: "a", kind: .snapshots, bytes: 1, ingestedAt: 0)
            #expect(try w.insertSnapshot(insert("[0]", capturedAt: 5, source: .lcut), sourceFileID: file).isNew)
            #expect(try !w.insertSnapshot(insert("[1]", capturedAt: 300, source: .metadata), sourceFileID: file).isNew)
            #expect(try !w.insertSnapshot(insert("[2]", capturedAt: 200, source: .filename), sourceFileID: file).isNew)
            #expect(try !w.insertSnapshot(insert("[3]", capturedAt: 100, source: .lcut), sourceFileID: file).isNew)
            return ((), true)
        }
        let s = try #require(try store.snapshots().first)
        #expect(s.capturedAt == 200)
        #expect(s.capturedAtSource == "filename")
        #expect(s.counts.gates == 1)
        #expect(try store.payload(snapshotID: s.id) == payload)
        #expect(try store.scalar("SELECT count(*) FROM snapshot_captures") == 4)
        #expect(try store.entities(snapshotID: s.id).count == 1)
    }

    @Test("ID lists: add, remove, clear, counts")
    func idLists() throws {
        let t = try TempStore()
        let store = try t.open()
        try store.writeTransaction { w in
            let file = try w.beginSourceFile(sha256: "f", probe: "p", path: "a", kind: .idlists, bytes: 1, ingestedAt: 0)
            let list = try w.idList(named: "vip", sourceFileID: file)
            #expect(try w.addIDListEntry(list: list, hash: "AAAAAAAA"))
            #expect(try !w.addIDListEntry(list: list, hash: "AAAAAAAA"))
            #expect(try w.addIDListEntry(list: list, hash: "BBBBBBBB"))
            #expect(try w.removeIDListEntry(list: list, hash: "AAAAAAAA"))
            #expect(try !w.removeIDListEntry(list: list, hash: "CCCCCCCC"))
            try w.refreshIDListCount(list)
            let other = try w.idList(named: "empty", sourceFileID: file)
            try w.clearIDList(other)
            try w.refreshIDListCount(other)
            return ((), true)
        }
        #expect(try store.idLists() == ["vip": ["BBBBBBBB"], "empty": []])
        let status = try store.status()
        #expect(status.idLists == 2)
        #expect(status.idListEntries == 1)
        #expect(status.json.contains("\"id_lists\":2"))
    }

    @Test("status JSON has the documented keys")
    func statusJSON() throws {
        let t = try TempStore()
        let json = try t.open().status().json
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        for key in ["snapshots", "users", "exposures", "rejects", "id_lists"] {
            #expect(object?[key] as? Int == 0, "\(key)")
        }
    }
}

@Suite struct AuditCauseMigrationTests {
    @Test func v2KeepsTheAuditRowsAddsCausesAndTakesAnyVerdict() throws {
        let t = try TempStore()
        // A database replayed before causes existed: the v1 replay tables with one audit row.
        let seed = StoreMigration(identifier: "test-seed-v1-audit", sql: """
            INSERT INTO audit (exposure_id, snapshot_id, inferred, verdict, fields, expected_value, expected_rule_id, expected_group,
                               newer_snapshot_id, flavor) VALUES (7, 1, 0, 'mismatch', 'value', 'false', 'default', NULL, NULL, 'core');
            """)
        _ = try t.open([ReplaySchema.migrations[0], seed])
        let store = try Store.open(path: t.path)
        #expect(try store.appliedMigrations().contains("v2-replay-causes"))
        #expect(try store.rows("SELECT exposure_id, verdict, fields, expected_rule_id, flavor, cause, stale_lag_ms FROM audit")
            == [["7", "mismatch", "value", "default", "core", nil, nil]])
        // The verdict column is open (a later stage's verdict needs no migration); causes and stale costs are stored.
        try store.replaceReplayResults { w in
            try w.add(AuditRow(exposureID: 1, snapshotID: 1, inferred: false, verdict: "edge-blind", fields: "", expectedValue: nil, expectedRuleID: nil,
                               expectedGroup: nil, newerSnapshotID: nil, flavor: "legacy", cause: "ip3country", causeDetail: #"{"summary":"s"}"#))
            try w.add(AuditRow(exposureID: 2, snapshotID: 1, inferred: false, verdict: "stale", fields: "", expectedValue: "false", expectedRuleID: "r",
                               expectedGroup: nil, newerSnapshotID: 2, flavor: "core", cause: "newer-config:pass-percentage", causeDetail: "{}",
                               newerValue: "true", newerRuleID: "r", newerGroup: nil, staleLagMs: 90_000))
        }
        #expect(try store.rows("SELECT exposure_id, verdict, cause, newer_value, stale_lag_ms FROM audit ORDER BY exposure_id")
            == [["1", "edge-blind", "ip3country", nil, nil], ["2", "stale", "newer-config:pass-percentage", "true", "90000"]])
        var rows: [AuditRow] = []
        try store.forEachAuditBatch { rows += $0 }
        #expect(rows.map(\.cause) == ["ip3country", "newer-config:pass-percentage"] && rows[1].staleLagMs == 90_000)
    }
}

@Suite("Replay flips")
struct ReplayFlipTests {
    static func flip(_ to: Int64, _ entity: String, _ user: Int64, _ before: String, _ after: String, group: String? = nil) -> FlipRow {
        FlipRow(fromSnapshotID: to - 1, toSnapshotID: to, kind: "gate", entity: entity, userRow: user, beforeValue: before, beforeRuleID: "r1",
                beforeGroup: group, afterValue: after, afterRuleID: before == after ? "r1" : "r2", afterGroup: group,
                changed: before == after ? "" : "value,rule")
    }

    static let viewSQL = "SELECT * FROM replay_flips ORDER BY to_snapshot_id, kind, entity, user_row"

    @Test("v4 converts the flips of a database replayed before: the replay_flips view shows the same rows")
    func v4KeepsTheFlips() throws {
        let t = try TempStore()
        // A database replayed by the kvreplay before v4: flips as text rows in the replay_flips table.
        let seed = StoreMigration(identifier: "test-seed-v3-flips", sql: """
            INSERT INTO replay_flips VALUES (1, 2, 'gate', 'g', 5, 'false', 'r1', NULL, 'true', 'r2', NULL, 'value,rule');
            INSERT INTO replay_flips VALUES (1, 2, 'gate', 'g', 9, 'false', 'r1', NULL, 'true', 'r2', NULL, 'value,rule');
            INSERT INTO replay_flips VALUES (2, 3, 'gate', 'g', 5, 'true', 'r2', NULL, 'false', 'r1', NULL, 'value,rule');
            INSERT INTO replay_flips VALUES (2, 3, 'experiment', 'e', 7, '{"a":1}', 'r', 'A', '{"a":1}', 'r', 'B', 'group');
            """)
        let old = try t.open(Array(ReplaySchema.migrations.prefix(3)) + [seed])
        let before = try old.rows(Self.viewSQL)
        // Read-only, an old database is refused with a clear message rather than read wrongly.
        let readOnly = try Store.open(path: t.path, mode: .readOnly)
        #expect(throws: StoreError.self) { try readOnly.forEachFlipRefBatch { _ in } }
        let store = try Store.open(path: t.path)
        #expect(try store.appliedMigrations().last == "v4-replay-transitions")
        #expect(try store.rows(Self.viewSQL) == before)
        #expect(try store.scalar("SELECT count(*) FROM replay_transitions") == 3)
        #expect(try store.scalar("SELECT count(*) FROM replay_flip_rows") == 4)
        #expect(try store.scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE 'temp_%'") == 0)
    }

    @Test("transitions are stored once; flips written in bulk read back through the view, by keyset across batches")
    func transitionsInternedAndPaged() throws {
        let t = try TempStore()
        let store = try Store.open(path: t.path)
        // 150 users flip the same way (multi-row inserts and single rows), a few others another way.
        let users = (1...150).map { Int64($0 * 3) }
        var expected: [FlipRow] = users.map { Self.flip(2, "g", $0, "false", "true") }
        expected += [Self.flip(2, "g", 4, "true", "false"), Self.flip(3, "g\u{0}x", 4, "1.5", "2", group: "G"), Self.flip(3, "g", 1, "false", "true")]
        try store.replaceReplayResults { w in
            let a = try w.transition(kind: "gate", entity: "g", before: OutcomeText(value: "false", ruleID: "r1", group: nil),
                                     after: OutcomeText(value: "true", ruleID: "r2", group: nil))
            let again = try w.transition(kind: "gate", entity: "g", before: OutcomeText(value: "false", ruleID: "r1", group: nil),
                                         after: OutcomeText(value: "true", ruleID: "r2", group: nil))
            #expect(a == again)
            try w.addFlips(fromSnapshotID: 1, toSnapshotID: 2, transition: a, userRows: Array(users.prefix(100)))
            try w.addFlips(fromSnapshotID: 1, toSnapshotID: 2, transition: a, userRows: Array(users.dropFirst(100)))
            // The row API interns the same way (the derived `changed` equals the given one).
            for f in expected.suffix(3) { try w.add(f) }
        }
        #expect(try store.scalar("SELECT count(*) FROM replay_transitions") == 3)
        #expect(try store.rows("SELECT changed FROM replay_transitions ORDER BY id") == [["value,rule"], ["value,rule"], ["value,rule"]])
        func text(_ f: FlipRow) -> [String?] {
            [String(f.fromSnapshotID), String(f.toSnapshotID), f.kind, f.entity.contains("\u{0}") ? "g" : f.entity, String(f.userRow), f.beforeValue,
             f.beforeRuleID, f.beforeGroup, f.afterValue, f.afterRuleID, f.afterGroup, f.changed]
        }
        let sorted = expected.sorted { ($0.toSnapshotID, $0.entity, $0.userRow) < ($1.toSnapshotID, $1.entity, $1.userRow) }
        #expect(try store.rows(Self.viewSQL) == sorted.map(text))
        // Keyset pages of 7: every flip once, in key order, across batch boundaries; names exact (NUL kept).
        var batches = 0
        var refs: [FlipRef] = []
        try store.forEachFlipRefBatch(batchSize: 7) { refs += $0; batches += 1 }
        #expect(batches == (expected.count + 6) / 7 && refs.count == expected.count)
        #expect(refs == refs.sorted { ($0.toSnapshotID, $0.transitionID, $0.userRow) < ($1.toSnapshotID, $1.transitionID, $1.userRow) })
        var rows: [FlipRow] = []
        try store.forEachFlipBatch(batchSize: 7) { rows += $0 }
        #expect(Set(rows.map { "\($0)" }) == Set(expected.map { "\($0)" }))
        #expect(rows.contains { $0.entity == "g\u{0}x" })
    }

    @Test("a failed replay leaves the previous flips and transitions")
    func failureLeavesNothing() throws {
        let t = try TempStore()
        let store = try Store.open(path: t.path)
        try store.replaceReplayResults { w in try w.add(Self.flip(2, "g", 1, "false", "true")) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try store.replaceReplayResults { w in
                try w.add(Self.flip(3, "h", 1, "false", "true"))
                throw Boom()
            }
        }
        #expect(try store.rows("SELECT entity, user_row FROM replay_flips") == [["g", "1"]])
        #expect(try store.scalar("SELECT count(*) FROM replay_transitions") == 1)
    }
}

@Suite("Audit exposure reader")
struct AuditExposureReaderTests {
    @Test("the audit's lean reader gives the columns of the full record, in id order, across keyset batches")
    func leanEqualsFull() throws {
        let t = try TempStore()
        let store = try Store.open(path: t.path)
        try store.writeTransaction { w in
            let file = try w.beginSourceFile(sha256: "f1", probe: "p1", path: "a", kind: .logs, bytes: 1, ingestedAt: 0)
            var batch = RowBatch()
            for i in 1...23 {
                var e = exposure(Int64(i), entity: i == 5 ? "g\u{0}nul" : "g\(i % 3)", time: Int64(i))
                if i % 2 == 0 {
                    e.kind = .layer
                    e.parameterName = "p"
                    e.allocatedExperiment = "exp"
                    e.isExplicitParameter = i % 4 == 0
                    e.value = nil
                }
                if i % 5 == 0 { e.time = nil; e.receivedAt = 99 }
                e.lcut = i % 3 == 0 ? nil : 7
                e.sdkType = i % 2 == 0 ? "statsig-node" : nil
                e.groupName = i == 7 ? "G" : nil
                batch.append(exposure: e, user: i == 11 ? nil : user("u\(i % 4)", time: Int64(i)))
            }
            _ = try w.write(batch, sourceFileID: file)
            return ((), true)
        }
        var full: [ExposureRecord] = []
        try store.forEachExposureBatch(batchSize: 4) { full += $0 }
        var lean: [AuditExposure] = []
        var batches = 0
        try store.forEachAuditExposureBatch(batchSize: 4) { lean += $0; batches += 1 }
        #expect(batches == 6 && lean.count == 23)
        let expected = full.map { r in
            AuditExposure(id: r.id, kind: r.row.kind, entity: r.row.entity, userRow: r.userRow, value: r.row.value, ruleID: r.row.ruleID,
                          groupName: r.row.groupName, allocatedExperiment: r.row.allocatedExperiment, isExplicitParameter: r.row.isExplicitParameter,
                          parameterName: r.row.parameterName, time: r.row.time, receivedAt: r.row.receivedAt, lcut: r.row.lcut, sdkType: r.row.sdkType)
        }
        #expect(lean == expected)
        #expect(lean.map(\.id) == lean.map(\.id).sorted())
        #expect(lean[4].entity == "g\u{0}nul" && lean[10].userRow == nil && lean[3].isExplicitParameter == true)
    }
}
