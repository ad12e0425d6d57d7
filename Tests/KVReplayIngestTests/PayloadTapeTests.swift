import Foundation
import KVReplayIO
import KVReplayModel
import KVReplayStore
import Testing

@testable import KVReplayIngest

/// The tape path of `SnapshotBuilder` (no tree, no decoder) gives the same row, or the same problem, as the tree
/// path (`JSONParser` and `ConfigSpecs`) it replaces.
@Suite("Snapshot rows from the tape")
struct PayloadTapeTests {
    static let builder = SnapshotBuilder(capturedAtOption: nil, fileName: "statsig-abc_2026-01-05T10-00-00Z.json", fileIsOneValue: true,
                                         zlibLevel: 1)

    /// Everything of a row, the compressed payload included.
    static func describe(_ r: Result<SnapshotInsert, RecordProblem>) -> String {
        switch r {
        case .success(var s):
            let zlib = s.payloadZlib
            s.payloadZlib = []
            return "row \(s) zlib \(zlib.count) \(SHA256Stream.hex(zlib))"
        case .failure(let p): return "problem \(p.field ?? "-"): \(p.reason)"
        }
    }

    static func tree(_ r: SnapshotRecord, _ b: SnapshotBuilder = builder) -> String {
        var r = r
        r.tape = nil
        do throws(RecordProblem) { return describe(.success(try b.buildFromTree(r))) } catch { return describe(.failure(error)) }
    }

    /// The tape path's result; nil when it leaves the value to the tree path.
    static func tape(_ r: SnapshotRecord, _ b: SnapshotBuilder = builder) -> String? {
        b.buildFromTape(r).map(describe)
    }

    static func record(_ bytes: [UInt8]) -> SnapshotRecord {
        SnapshotRecord(locator: "", key: nil, bytes: bytes, parsed: nil, metadata: nil)
    }

    static var testsDir: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent() }

    /// The conformance payloads (the oracle corpora) and the generated sample history's.
    static func corpusPayloads() throws -> [String] {
        let oracle = testsDir.appendingPathComponent("KVReplayEvaluationTests/Fixtures/oracle")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: oracle.path).sorted()
        return dirs.map { oracle.appendingPathComponent($0).appendingPathComponent("payload.json").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test("the conformance payloads: the same rows as the decoder's path")
    func conformancePayloads() throws {
        let paths = try Self.corpusPayloads()
        #expect(paths.count >= 15)
        for path in paths {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let r = Self.record(bytes)
            let tape = try #require(Self.tape(r), "\(path): the tape path took it")
            #expect(tape == Self.tree(r), "\(path)")
        }
    }

    @Test("every snapshot fixture, through the file reader: the same records and rows")
    func snapshotFixtures() throws {
        let dir = fixture("snapshots")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() {
            var content = [UInt8](try Data(contentsOf: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name))))
            if Gzip.isGzip(content) { content = try Gzip.decompress(content) }
            guard let parsed = try? SnapshotFormats.read(content) else { continue }
            for r in parsed.records {
                #expect((Self.tape(r) ?? Self.tree(r)) == Self.tree(r), "\(name) \(r.locator)")
                #expect((try? SnapshotBuilder(capturedAtOption: nil, fileName: name, fileIsOneValue: true, zlibLevel: 1).build(r)).map { Self.describe(.success($0)) }
                    == (try? SnapshotBuilder(capturedAtOption: nil, fileName: name, fileIsOneValue: true, zlibLevel: 1).buildFromTree(r)).map { Self.describe(.success($0)) })
            }
        }
    }

    @Test("raw files: the reader keeps the tape, the format and the value's bytes as before")
    func rawFiles() throws {
        for name in ["statsig-fixture1_raw_v1.json", "statsig-fixture1_raw_v2.json", "raw_v1_pretty.json", "no_updates.json"] {
            let bytes = try fixtureBytes("snapshots/" + name)
            let parsed = try SnapshotFormats.read(Array("\u{FEFF}".utf8) + bytes + Array("\n\n".utf8))
            #expect(parsed.format == "raw")
            try #require(parsed.records.count == 1)
            #expect(parsed.records[0].tape != nil)
            #expect(parsed.records[0].bytes == SnapshotFormats.stripTrailingNewlines(bytes))
            let wrangler = try SnapshotFormats.read(bytes + Array("\n\nSuccess!\n".utf8))
            #expect(wrangler.format == "wrangler/raw")
        }
    }

    // MARK: Mutated payloads

    /// A small deterministic generator (SplitMix64).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let replacements: [JSONValue] = [
        .null, .bool(true), .bool(false), .int(7), .double(1.5), .double(3.0), .double(1e19), .int(Int64.max), "segment", "experiment",
        "autotune", "holdout", "dcs-v2", "1767225600000", "x\u{0}y\"é", .array([]), .array(["a", 1]), .object(JSONObject()),
        .object(JSONObject([("type", "public"), ("idType", "userID")])),
    ]

    /// `value` with one random change somewhere inside: a value replaced, a member removed, a member repeated with
    /// another value, an element dropped or doubled.
    static func mutate(_ value: JSONValue, _ rng: inout Random, depth: Int = 0) -> JSONValue {
        let descend = depth < 6 && rng.below(4) != 0
        switch value {
        case .object(let o) where !o.isEmpty:
            var keys = o.keys
            var values = o.values
            let i = rng.below(keys.count)
            if descend {
                values[i] = mutate(values[i], &rng, depth: depth + 1)
            } else {
                switch rng.below(4) {
                case 0: keys.remove(at: i); values.remove(at: i)
                case 1: keys.append(keys[i]); values.append(replacements[rng.below(replacements.count)])
                default: values[i] = replacements[rng.below(replacements.count)]
                }
            }
            // A repeated key is merged by JSONObject (its value replaced); repeated keys in the text are tested below.
            return .object(JSONObject(zip(keys, values).map { ($0, $1) }))
        case .array(var a) where !a.isEmpty:
            let i = rng.below(a.count)
            if descend {
                a[i] = mutate(a[i], &rng, depth: depth + 1)
            } else {
                switch rng.below(3) {
                case 0: a.remove(at: i)
                case 1: a.append(a[i])
                default: a[i] = replacements[rng.below(replacements.count)]
                }
            }
            return .array(a)
        default:
            return replacements[rng.below(replacements.count)]
        }
    }

    @Test("payloads with random changes (types, missing and repeated keys, odd numbers): the same rows or problems")
    func mutatedPayloads() throws {
        let sources = [fixture("snapshots/statsig-fixture1_raw_v1.json"), fixture("snapshots/statsig-fixture1_raw_v2.json")]
            + (try Self.corpusPayloads()).filter { $0.contains("edge_cases") || $0.contains("big_number") }
        var rng = Random(state: 11)
        var compared = 0
        for path in sources {
            let json = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            for _ in 0..<150 {
                var v = json
                for _ in 0...rng.below(3) { v = Self.mutate(v, &rng) }
                var text = [UInt8]()
                JSONWriter(style: .serde).write(v, into: &text)
                let r = Self.record(text)
                if let tape = Self.tape(r) {
                    #expect(tape == Self.tree(r), "\(String(decoding: text.prefix(300), as: UTF8.self))")
                    compared += 1
                }
            }
        }
        #expect(compared > 500)
    }

    @Test("repeated keys, escaped keys and names, whitespace: merged and hashed as the tree path does")
    func repeatedAndEscapedKeys() {
        let texts = [
            #"{"feature_gates": {"g": {"name": "a"}, "g": {"type": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false, "rules": [], "idType": "userID", "entity": "feature_gate"}}, "dynamic_configs": {}, "layer_configs": {}, "condition_map": {}}"#,
            #"{"feature_gates": [{"n\u0061me": "g\u00e9", "entity": "segment", "rules": [1], "version": 3.0}], "time": 1.767e12, "has_updates": true, "feature_gates": [ { "name" : "h" , "rules" : [ ] } ]}"#,
            #"{"feature_gates": {"\u00e9": {}, "e\u0301": {}, "k1": {}, "k2": {}, "k3": {}, "k4": {}, "k5": {}, "k6": {}, "k7": {}, "k8": {}, "k9": {}, "k10": {}, "k11": {}, "k12": {}, "é": {"rules": "x"}}, "condition_map": {"c": {"type": "public", "idType": "userID"}, "c": 5}, "id_lists": {"a": 1, "a": 2, "b": 3}}"#,
            #"{"feature_gates": [{"name": "g", "type": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false, "idType": "userID", "entity": "feature_gate", "rules": [{"name": "r", "id": "r", "passPercentage": 100, "returnValue": true, "idType": "userID", "conditions": [{"type": "public", "idType": "userID", "additionalValues": 3}], "samplingRate": 1e3}]}], "time": "17"}"#,
            #"{"feature_gates": [], "dynamic_configs": {"x": 1}, "layer_configs": []}"#,
            #"{"feature_gates": [], "condition_map": [], "response_format": "dcs-v2"}"#,
            #"{"has_updates": false}"#,
            #"{"has_updates": true, "feature_gates": null}"#,
            #"{"feature_gates": [], "time": 1e400}"#,
            #"{"feature_gates": [], "version": 123456789012345678901234567890}"#,
            #"[{"feature_gates": []}]"#,
            #"{"feature_gates": [tru]}"#,
        ]
        for text in texts {
            let r = Self.record(Array(text.utf8))
            #expect((Self.tape(r) ?? Self.tree(r)) == Self.tree(r), "\(text)")
        }
        // Values the tape path leaves to the tree path, whose problem names the cause.
        for text in [#"{"feature_gates": [], "time": 1e400}"#, #"[{"feature_gates": []}]"#, #"{"feature_gates": [tru]}"#] {
            #expect(Self.tape(Self.record(Array(text.utf8))) == nil)
        }
    }

    @Test("a payload met again in the same run (another capture, gzip or not) is one row, its payload compressed once and intact")
    func samePayloadAgain() throws {
        let db = try TestDB()
        let bytes = try fixtureBytes("snapshots/statsig-fixture1_raw_v1.json")
        let a = try db.write("statsig-fixture1_2026-01-05T10-00-00Z.json", bytes)
        let b = try db.write("statsig-fixture1_2026-01-06T10-00-00Z.json.gz", try Gzip.compress(bytes))
        let c = try db.write("statsig-fixture1_2026-01-07T10-00-00Z.json", bytes + Array("\n".utf8))
        let report = try db.ingest(.snapshots, [a, b, c])
        #expect(report.exitCode == 0)
        #expect(report.added == 1)
        #expect(report.duplicates == 2)
        let snapshots = try db.store.snapshots()
        try #require(snapshots.count == 1)
        #expect(try db.store.payload(snapshotID: snapshots[0].id) == bytes)
        #expect(snapshots[0].capturedAt == 1_767_607_200_000)
    }

    @Test("hostile values: deep nesting and long numbers give the tree path's problem")
    func hostileValues() {
        let deep = Array(#"{"feature_gates": "#.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 300) + [UInt8](repeating: UInt8(ascii: "]"), count: 300) + [UInt8(ascii: "}")]
        let digits = Array(#"{"feature_gates": [], "time": 1"#.utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: 2000) + [UInt8(ascii: "}")]
        let within = Array(#"{"feature_gates": "#.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 200) + [UInt8](repeating: UInt8(ascii: "]"), count: 200) + [UInt8(ascii: "}")]
        for bytes in [deep, digits] {
            #expect(Self.tape(Self.record(bytes)) == nil)
            #expect(Self.tree(Self.record(bytes)).hasPrefix("problem value: the value is not valid JSON"))
        }
        #expect(Self.tape(Self.record(within)) == Self.tree(Self.record(within)))
    }
}
