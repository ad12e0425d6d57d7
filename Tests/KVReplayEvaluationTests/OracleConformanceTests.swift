import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import Testing

/// A corpus of `Fixtures/oracle/<name>`: a payload, users, optional ID lists, and the records the real SDKs printed.
struct OracleCorpus {
    let name: String
    let directory: URL

    static let root = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/oracle")

    static var all: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("meta.json").path) }.sorted()
    }

    init(_ name: String) {
        self.name = name
        directory = OracleCorpus.root.appendingPathComponent(name)
    }

    func file(_ names: String...) -> String? {
        names.map { directory.appendingPathComponent($0).path }.first { FileManager.default.fileExists(atPath: $0) }
    }

    var meta: JSONValue { get throws { try JSONParser.parse(FileReading.readAll(file("meta.json")!)) } }

    func evaluator(flavor: SDKFlavor) throws -> Evaluator {
        let payloadPath = file("payload.json", "payload.json.gz")!
        let specs = try ConfigSpecs(jsonBytes: FileReading.readAll(payloadPath), source: payloadPath)
        let lists = try file("id_lists.json").map { try IDListsFile.load($0) } ?? [:]
        let now: Int64
        switch try meta["generated_at_ms"] {
        case .int(let t)?: now = t
        default: now = Int64(Date().timeIntervalSince1970 * 1000)
        }
        return Evaluator(payload: CompiledPayload(specs), options: EvaluationOptions(flavor: flavor, now: now, idLists: IDLists(unitIDs: lists)))
    }

    func users() throws -> UsersFile { try UsersFile.load(file("users.jsonl")!) }

    /// Expected records keyed by "u/kind/name".
    func expected(_ sdk: String) throws -> [(key: String, record: JSONObject)]? {
        guard let path = file("expected.\(sdk).jsonl.gz", "expected.\(sdk).jsonl") else { return nil }
        return try FileReading.lines(FileReading.readAll(path)).compactMap { (_, line) in
            if line.isEmpty { return nil }
            let o = try JSONParser.parse(line).objectValue!
            return (OracleCorpus.key(o), o)
        }
    }

    static func key(_ o: JSONObject) -> String {
        "\(o["u"].map { JSONWriter().string($0) } ?? "?")/\(o["kind"]?.stringValue ?? "?")/\(o["name"]?.stringValue ?? "?")"
    }
}

/// Field-by-field comparison of our records with an oracle's: every key the SDK reported must be equal.
struct ConformanceReport {
    var compared = 0
    var mismatched = 0
    var missing = 0
    var examples: [String] = []
    var byField: [String: Int] = [:]

    static func compare(ours: [UInt8], expected: [(key: String, record: JSONObject)]) throws -> ConformanceReport {
        var mine: [String: JSONObject] = [:]
        for (_, line) in FileReading.lines(ours) where !line.isEmpty {
            let o = try JSONParser.parse(line).objectValue!
            mine[OracleCorpus.key(o)] = o
        }
        var report = ConformanceReport()
        for (key, exp) in expected {
            report.compared += 1
            guard let got = mine[key] else {
                report.missing += 1
                if report.examples.count < 12 { report.examples.append("\(key): no record") }
                continue
            }
            var bad: [String] = []
            for (field, value) in exp.members where field != "error" {
                let ours = got[field] ?? .null
                if !ConformanceReport.equal(ours, value) { bad.append(field) }
            }
            if !bad.isEmpty {
                report.mismatched += 1
                for f in bad { report.byField[f, default: 0] += 1 }
                if report.examples.count < 12 {
                    let diffs = bad.map { "\($0): ours \(JSONWriter().string(got[$0] ?? .null)) vs sdk \(JSONWriter().string(exp[$0]!))" }
                    report.examples.append("\(key): " + diffs.joined(separator: "; "))
                }
            }
        }
        return report
    }

    /// Equality, with the oracle's elision of values longer than 5,000 characters.
    static func equal(_ ours: JSONValue, _ sdk: JSONValue) -> Bool {
        if let o = sdk.objectValue, o["$elided_large_value"] == .bool(true) {
            let text = JSONWriter(style: .python).string(ours)
            return Hashing.sha256Hex(Array(text.utf8)) == o["sha256_of_sorted_compact_json"]?.stringValue
        }
        return ours == sdk
    }

    var summary: String {
        "\(compared) records, \(mismatched) mismatched, \(missing) missing; by field: \(byField.sorted { $0.key < $1.key })\n" + examples.joined(separator: "\n")
    }
}

@Suite("Agreement with the real SDKs (oracle corpora)")
struct OracleConformanceTests {
    static func run(_ corpus: OracleCorpus, flavor: SDKFlavor, sdk: String) throws -> ConformanceReport? {
        guard let expected = try corpus.expected(sdk) else { return nil }
        let evaluator = try corpus.evaluator(flavor: flavor)
        let users = try corpus.users()
        let ours = evaluator.records(users: users.users, indices: users.indices, range: 0..<users.users.count)
        return try ConformanceReport.compare(ours: ours, expected: expected)
    }

    /// Corpora with core output (`gen_legacy_users_v1` has user shapes the core's bindings reject: python only).
    static let coreCorpora = OracleCorpus.all.filter { OracleCorpus($0).file("expected.core.jsonl.gz", "expected.core.jsonl") != nil }

    @Test("core flavour agrees with statsig-python-core 0.24.2", arguments: coreCorpora)
    func core(_ name: String) throws {
        let report = try #require(try Self.run(OracleCorpus(name), flavor: .core, sdk: "core"))
        #expect(report.compared > 0)
        #expect(report.mismatched == 0 && report.missing == 0, "\(name): \(report.summary)")
    }

    /// Corpora with python output (`gen_node_ua_v1` has statsig-node output only).
    static let pythonCorpora = OracleCorpus.all.filter { OracleCorpus($0).file("expected.python.jsonl.gz", "expected.python.jsonl") != nil }

    /// Corpora with statsig-node output.
    static let nodeCorpora = OracleCorpus.all.filter { OracleCorpus($0).file("expected.node.jsonl.gz", "expected.node.jsonl") != nil }

    @Test("node flavour agrees with statsig-node 6.5.1", arguments: nodeCorpora)
    func node(_ name: String) throws {
        let report = try #require(try Self.run(OracleCorpus(name), flavor: .node, sdk: "node"))
        #expect(report.compared > 0)
        #expect(report.mismatched == 0 && report.missing == 0, "\(name): \(report.summary)")
    }

    @Test("legacy flavour agrees with statsig 0.72.1 (Python)", arguments: pythonCorpora)
    func legacy(_ name: String) throws {
        let report = try #require(try Self.run(OracleCorpus(name), flavor: .legacy, sdk: "python"))
        #expect(report.compared > 0)
        #expect(report.mismatched == 0 && report.missing == 0, "\(name): \(report.summary)")
    }
}
