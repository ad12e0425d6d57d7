import Foundation
import Testing
import KVReplayEvaluation
import KVReplayGenerate
import KVReplayIO
import KVReplayModel

/// A small generated dataset, made once for the suite.
struct Dataset: Sendable {
    let dir: URL
    let manifest: JSONValue
    /// lcut → payload (from the snapshot files, every format decoded).
    let payloads: [Int64: ConfigSpecs]
    let snapshotLcuts: [Int64]

    static let options: GenerateOptions = {
        var o = GenerateOptions()
        o.seed = 7
        o.days = 8
        o.snapshotsPerDay = 3
        o.users = 600
        o.gates = 24
        o.experiments = 6
        o.layers = 2
        o.activeShare = 0.2
        o.growthKiBPerDay = 16
        o.servers = 8
        o.laggingShare = 0.6
        o.maxLagMinutes = 25
        o.wrongExposures = 16
        o.corruptRecords = 9
        o.gzipShare = 0.3
        return o
    }()

    static let shared: Dataset = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvreplay-gen-\(UUID().uuidString)")
        _ = try! Generator(options: options, outputDirectory: dir.path).run()
        return try! Dataset(dir: dir)
    }()

    init(dir: URL) throws {
        self.dir = dir
        manifest = try JSONParser.parse(try FileReading.readAll(dir.appendingPathComponent("manifest.json").path))
        var payloads: [Int64: ConfigSpecs] = [:]
        var lcuts: [Int64] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("snapshots").path).sorted() {
            let path = dir.appendingPathComponent("snapshots/\(name)").path
            let specs = try ConfigSpecs(jsonBytes: try Self.payload(fromSnapshot: path), source: path)
            payloads[specs.time!] = specs
            lcuts.append(specs.time!)
        }
        self.payloads = payloads
        snapshotLcuts = Array(Set(lcuts)).sorted()
    }

    /// The DCS payload inside a snapshot file, whatever the export format.
    static func payload(fromSnapshot path: String) throws -> [UInt8] {
        var bytes = try FileReading.readAll(path)
        if bytes.starts(with: Array("{\"has_updates\"".utf8)) { return bytes }
        let success = Array("\n\nSuccess!\n".utf8)
        if bytes.count > success.count && Array(bytes.suffix(success.count)) == success { bytes.removeLast(success.count) }
        let json = try JSONParser.parse(bytes)
        func statsigValue(_ o: JSONObject) -> JSONValue? {
            for (k, v) in o.members where k.hasPrefix("statsig-") { return v }
            return nil
        }
        var value: JSONValue?
        var base64 = false
        switch json {
        case .array(let a):
            for e in a where e["key"]?.stringValue?.hasPrefix("statsig-") == true {
                value = e["value"]
                base64 = e["base64"]?.boolValue ?? false
            }
        case .object(let o):
            if let r = o["result"]?["values"]?.objectValue { value = statsigValue(r) }
            else if let r = o["values"]?.objectValue { value = statsigValue(r) }
            else { value = statsigValue(o)?["value"] }
        default: break
        }
        guard let s = value?.stringValue else { throw GenerateError(message: "\(path): no statsig- value") }
        if base64 { return [UInt8](Data(base64Encoded: s)!) }
        return Array(s.utf8)
    }

    struct LoggedEvent {
        var file: String
        var position: Int
        var ndjson: Bool
        var json: JSONValue?
        var sdkType: String
    }

    /// Every record of every log file, in file order.
    func events() throws -> [LoggedEvent] {
        var out: [LoggedEvent] = []
        let logs = dir.appendingPathComponent("logs")
        for day in try FileManager.default.contentsOfDirectory(atPath: logs.path).sorted() {
            for name in try FileManager.default.contentsOfDirectory(atPath: logs.appendingPathComponent(day).path).sorted() {
                let rel = "logs/\(day)/\(name)"
                let bytes = try FileReading.readAll(dir.appendingPathComponent(rel).path)
                if name.contains(".ndjson") {
                    for (n, line) in FileReading.lines(bytes) {
                        out.append(LoggedEvent(file: rel, position: n, ndjson: true, json: try? JSONParser.parse(line), sdkType: "ndjson"))
                    }
                } else {
                    let body = try JSONParser.parse(bytes)
                    let sdk = body["statsigMetadata"]?["sdkType"]?.stringValue ?? ""
                    for (i, e) in (body["events"]?.arrayValue ?? []).enumerated() {
                        out.append(LoggedEvent(file: rel, position: i, ndjson: false, json: e, sdkType: sdk))
                    }
                }
            }
        }
        return out
    }

    func audit() throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (_, line) in FileReading.lines(try FileReading.readAll(dir.appendingPathComponent("expected_audit.jsonl").path)) where !line.isEmpty {
            let j = try JSONParser.parse(line)
            let pos = j["line"]?.doubleValue ?? j["index"]!.doubleValue!
            out["\(j["file"]!.stringValue!)#\(Int(pos))"] = j
        }
        return out
    }

    var idLists: IDLists {
        IDLists(unitIDs: try! IDListsFile.load(dir.appendingPathComponent("id_lists.json").path))
    }
}

func files(under dir: URL) throws -> [String] {
    let e = FileManager.default.enumerator(atPath: dir.path)!
    var out: [String] = []
    while let p = e.nextObject() as? String {
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: dir.appendingPathComponent(p).path, isDirectory: &isDir)
        if !isDir.boolValue { out.append(p) }
    }
    return out.sorted()
}

@Suite struct GeneratorTests {
    @Test func sameSeedWritesIdenticalFiles() throws {
        var o = Dataset.options
        o.days = 3
        o.users = 300
        let a = FileManager.default.temporaryDirectory.appendingPathComponent("kvreplay-gen-a-\(UUID().uuidString)")
        let b = FileManager.default.temporaryDirectory.appendingPathComponent("kvreplay-gen-b-\(UUID().uuidString)")
        _ = try Generator(options: o, outputDirectory: a.path, threads: 1).run()
        _ = try Generator(options: o, outputDirectory: b.path, threads: 2).run()
        let fa = try files(under: a), fb = try files(under: b)
        #expect(fa == fb)
        #expect(fa.count > 20)
        for f in fa {
            let x = try Data(contentsOf: a.appendingPathComponent(f)), y = try Data(contentsOf: b.appendingPathComponent(f))
            #expect(x == y, "\(f) differs")
        }
        // Another seed gives another history.
        o.seed = 8
        let c = FileManager.default.temporaryDirectory.appendingPathComponent("kvreplay-gen-c-\(UUID().uuidString)")
        _ = try Generator(options: o, outputDirectory: c.path).run()
        #expect(try Data(contentsOf: a.appendingPathComponent("payload.json")) != Data(contentsOf: c.appendingPathComponent("payload.json")))
    }

    @Test func snapshotsParseAndEvaluate() throws {
        let d = Dataset.shared
        let formats = Set(try FileManager.default.contentsOfDirectory(atPath: d.dir.appendingPathComponent("snapshots").path).map {
            $0.split(separator: "_").first.map(String.init) ?? $0
        })
        #expect(formats.contains("kv-backup") || formats.contains("kv-bulk-get") || formats.contains("cf-api-bulk-get"))
        let users = try UsersFile.load(d.dir.appendingPathComponent("users.jsonl").path)
        #expect(users.users.count == Dataset.options.users && users.problems.isEmpty)
        for lcut in d.snapshotLcuts {
            let specs = d.payloads[lcut]!
            #expect(specs.format == .v1 && specs.invalidSpecs.isEmpty)
            let evaluator = Evaluator(payload: CompiledPayload(specs), options: EvaluationOptions(now: lcut, idLists: d.idLists))
            let ctx = EvaluationContext()
            let user = evaluator.prepare(users.users[1])
            for ref in evaluator.payload.entities {
                #expect(evaluator.evaluate(ref, for: user, in: ctx).reason == .ok, "\(ref.name) at \(lcut)")
            }
        }
        // payload.json is the latest snapshot.
        let latest = try ConfigSpecs(jsonBytes: try FileReading.readAll(d.dir.appendingPathComponent("payload.json").path), source: "payload.json")
        #expect(latest.time == d.snapshotLcuts.last)
    }

    @Test func rampsAreVisibleAcrossSnapshots() throws {
        let d = Dataset.shared
        // gate name → pass percentages of its rollout rule, in snapshot order.
        var ramps: [String: [Double]] = [:]
        for lcut in d.snapshotLcuts {
            for g in d.payloads[lcut]!.featureGates where g.entity == "feature_gate" {
                guard let r = g.rules.last(where: { $0.id.split(separator: ":").count == 3 && $0.salt != nil && $0.salt != "" }) else { continue }
                if ramps[g.name]?.last != r.passPercentage { ramps[g.name, default: []].append(r.passPercentage) }
            }
        }
        let ramped = ramps.filter { $0.value.count >= 3 && $0.value == $0.value.sorted() && $0.value.first! <= 5 }
        #expect(!ramped.isEmpty, "no gate ramps through three stages: \(ramps)")
        #expect(ramps.values.contains { $0.contains(1) && $0.contains(5) })
        // Payloads grow.
        let sizes = d.snapshotLcuts.map { d.payloads[$0]!.featureGates.reduce(0) { $0 + $1.rules.count } }
        #expect(sizes.count > 10)
    }

    @Test func missingCapturesLeaveAnUncapturedConfig() throws {
        let d = Dataset.shared
        let counts = d.manifest["counts"]!
        #expect(counts["captures_missing"]!.doubleValue! >= 1)
        let never = d.manifest["never_captured_lcuts"]!.arrayValue!.map { Int64($0.doubleValue!) }
        #expect(!never.isEmpty)
        for l in never { #expect(d.payloads[l] == nil) }
        #expect(counts["snapshots"]!.doubleValue! + counts["captures_missing"]!.doubleValue! == counts["captures_scheduled"]!.doubleValue!)
        // Exposures of a config that was never captured are audited against the config in force before them.
        #expect(counts["inferred"]!.doubleValue! > 0)
    }

    /// The heart of the dataset: every exposure not listed in expected_audit.jsonl re-evaluates, under the snapshot
    /// whose lcut it carries, to exactly what was logged, and no newer captured config disagrees; every listed one is
    /// what the list says.
    @Test func expectedAuditIsCompleteAndRight() throws {
        let d = Dataset.shared
        let audit = try d.audit()
        let lists = d.idLists
        var compiled: [Int64: CompiledPayload] = [:]
        for (l, s) in d.payloads { compiled[l] = CompiledPayload(s) }
        let ctx = EvaluationContext()
        var corrupt = Set<String>()
        for c in d.manifest["corrupt_records"]!.arrayValue! {
            corrupt.insert("\(c["file"]!.stringValue!)#\(Int((c["line"] ?? c["index"])!.doubleValue!))")
        }
        // Each server's SDK and set-up (statsig-node: the Worker of the guide, without ID lists or the country table).
        var flavors: [String: SDKFlavor] = [:]
        for s in d.manifest["servers"]!.arrayValue! { flavors[s["name"]!.stringValue!] = SDKFlavor(rawValue: s["flavor"]!.stringValue!)! }
        var seen = 0, verdicts: [String: Int] = [:]
        for e in try d.events() {
            let key = "\(e.file)#\(e.position)"
            if corrupt.contains(key) { continue }
            let json = try #require(e.json, "\(key) does not parse")
            let name = try #require(json["eventName"]?.stringValue, "\(key)")
            // Custom events and statsig-node's `statsig::diagnostics` events are not exposures.
            guard ["statsig::gate_exposure", "statsig::config_exposure", "statsig::layer_exposure"].contains(name) else {
                #expect(audit[key] == nil)
                continue
            }
            seen += 1
            let m = try #require(json["metadata"]?.objectValue, "\(key)")
            let lcut = Int64(m["lcut"]?.stringValue ?? "") ?? (m["configSyncTime"]?.doubleValue).map { Int64($0) }!
            let time = Int64(json["time"]!.doubleValue!)
            let expected = audit[key]
            let isInferred = expected?["inferred"] == .bool(true)
            if !isInferred { verdicts[expected?["verdict"]?.stringValue ?? "match", default: 0] += 1 }
            let statsigUser = try StatsigUser(json: json["user"]!)
            let server = try #require(flavors.keys.first { e.file.split(separator: "/").last!.hasPrefix($0 + "_") }, "\(key): no server")
            let flavor = flavors[server]!
            func options(_ profile: EdgeProfile? = nil) -> EvaluationOptions {
                EvaluationOptions(flavor: flavor, now: time, idLists: lists, environment: ["tier": "production"],
                                  edge: profile ?? (flavor == .node ? .guide : .full))
            }
            let user = Evaluator(payload: compiled.values.first!, options: options()).prepare(statsigUser)
            guard let payload = compiled[lcut] else {
                // Never captured: the audit uses the latest captured config in force at the event (inferred).
                verdicts["inferred", default: 0] += 1
                #expect(isInferred, "\(key): lcut \(lcut) has no snapshot but the exposure is not listed as inferred")
                guard let inForce = d.snapshotLcuts.last(where: { $0 <= time }) else {
                    #expect(expected?["verdict"]?.stringValue == "no-snapshot")
                    continue
                }
                let evaluator = Evaluator(payload: compiled[inForce]!, options: options())
                if name == "statsig::gate_exposure" {
                    let r = evaluator.evaluate(EntityRef(kind: .gate, name: m["gate"]!.stringValue!), for: user, in: ctx)
                    var agrees = r.ruleID == m["ruleID"]!.stringValue! && (r.boolValue ? "true" : "false") == m["gateValue"]!.stringValue!
                    if !agrees && flavor == .node {
                        // The audit also accepts the config's intent (an edge that had the data after all).
                        let full = Evaluator(payload: compiled[inForce]!, options: options(.full))
                        let i = full.evaluate(EntityRef(kind: .gate, name: m["gate"]!.stringValue!), for: user, in: ctx)
                        agrees = i.ruleID == m["ruleID"]!.stringValue! && (i.boolValue ? "true" : "false") == m["gateValue"]!.stringValue!
                    }
                    if expected?["verdict"]?.stringValue != "unevaluable" && expected?["verdict"]?.stringValue != "edge-blind" {
                        #expect((expected?["verdict"]?.stringValue == "match") == agrees, "\(key): inferred verdict")
                    }
                }
                continue
            }
            /// `value` is what the event logs besides the rule (a gate's value); `result` is the whole answer.
            func evaluate(_ p: CompiledPayload, profile: EdgeProfile? = nil) -> (rule: String, value: String, result: String) {
                let evaluator = Evaluator(payload: p, options: options(profile))
                switch name {
                case "statsig::gate_exposure":
                    let r = evaluator.evaluate(EntityRef(kind: .gate, name: m["gate"]!.stringValue!), for: user, in: ctx)
                    return (r.ruleID, r.boolValue ? "true" : "false", r.boolValue ? "true" : "false")
                case "statsig::config_exposure":
                    let config = m["config"]!.stringValue!
                    let kind: EntityKind = p.specs.dynamicConfigs.first { $0.name == config }?.entity == "experiment" ? .experiment : .config
                    let r = evaluator.evaluate(EntityRef(kind: kind, name: config), for: user, in: ctx)
                    return (r.ruleID, "", JSONWriter().string(r.value) + "/" + (r.groupName ?? "-"))
                default:
                    let r = evaluator.evaluate(EntityRef(kind: .layer, name: m["config"]!.stringValue!), for: user, in: ctx)
                    return (r.ruleID, "", JSONWriter().string(r.value[m["parameterName"]!.stringValue!] ?? .null) + "/" + (r.groupName ?? "-"))
                }
            }
            let logged = (rule: m["ruleID"]!.stringValue!, value: m["gateValue"]?.stringValue ?? "")
            let own = evaluate(payload)
            let agrees = own.rule == logged.rule && (name != "statsig::gate_exposure" || own.value == logged.value)
            switch expected?["verdict"]?.stringValue {
            case "mismatch":
                #expect(!agrees, "\(key) is listed as a mismatch but re-evaluates to what was logged")
                let fields = expected!["fields"]!.arrayValue!.map { $0.stringValue! }
                if fields.contains("rule") { #expect(own.rule != logged.rule && own.rule == expected!["expected_rule_id"]!.stringValue!) }
                if fields.contains("value") { #expect(own.value != logged.value) }
            case "unevaluable":
                #expect(flavor != .node, "\(key): a statsig-node Worker of the guide holds no ID lists, so none of its answers depends on one")
            case "edge-blind":
                #expect(flavor == .node)
                #expect(agrees, "\(key): an edge-blind exposure re-evaluates (as the Worker runs) to what was logged")
                let intent = evaluate(payload, profile: .full)
                #expect(intent.rule != own.rule || intent.result != own.result, "\(key): the config's intent answers the same")
                #expect(expected?["cause"]?.stringValue?.hasPrefix("edge:") == true)
            case "no-snapshot":
                Issue.record("\(key) is listed as no-snapshot but its lcut \(lcut) is captured")
            case "stale":
                #expect(agrees, "\(key): a stale exposure re-evaluates to what was logged")
                let newer = Int64(expected!["newest_lcut"]!.doubleValue!)
                #expect(newer > lcut && newer <= time)
                let n = evaluate(compiled[newer]!)
                #expect(n.rule != own.rule || n.result != own.result, "\(key): the newer config answers the same")
            default:
                #expect(agrees, "\(key): logged \(logged), re-evaluated \(own), not in expected_audit.jsonl")
                // Nothing newer that was captured by the event time answers differently.
                if let newest = d.snapshotLcuts.last(where: { $0 <= time }), newest > lcut {
                    let n = evaluate(compiled[newest]!)
                    #expect(n.rule == own.rule && n.result == own.result, "\(key): served an older config that answers differently (stale) but is not listed")
                }
            }
        }
        #expect(seen > 1000)
        #expect(verdicts["mismatch"] == Dataset.options.wrongExposures)
        #expect((verdicts["stale"] ?? 0) > 0, "\(verdicts)")
        #expect((verdicts["inferred"] ?? 0) > 0)
        #expect((verdicts["unevaluable"] ?? 0) > 0)
        #expect((verdicts["edge-blind"] ?? 0) > 0, "\(verdicts)")
        let listedInferred = audit.values.filter { $0["inferred"] == .bool(true) }.count
        #expect(listedInferred == verdicts["inferred"])
        #expect(audit.count - listedInferred == verdicts.filter { $0.key != "match" && $0.key != "inferred" }.values.reduce(0, +))
    }

    @Test func corruptRecordsAreWhereTheManifestSays() throws {
        let d = Dataset.shared
        let records = d.manifest["corrupt_records"]!.arrayValue!
        #expect(records.count == Dataset.options.corruptRecords)
        var byKey: [String: Dataset.LoggedEvent] = [:]
        for e in try d.events() { byKey["\(e.file)#\(e.position)"] = e }
        var kinds = Set<String>()
        for r in records {
            let key = "\(r["file"]!.stringValue!)#\(Int((r["line"] ?? r["index"])!.doubleValue!))"
            let e = try #require(byKey[key], "\(key) not found")
            let kind = r["kind"]!.stringValue!
            kinds.insert(kind)
            switch kind {
            case "truncated": #expect(e.json == nil && e.ndjson)
            case "missing_eventName": #expect(e.json != nil && e.json?["eventName"] == nil)
            default: #expect(e.json?["metadata"]?.stringValue != nil)
            }
        }
        #expect(kinds.count >= 2)
    }

    @Test func logsCarryBothSDKGenerationsAndSampling() throws {
        let d = Dataset.shared
        let events = try d.events()
        let types = Set(events.map(\.sdkType))
        #expect(types.contains("statsig-node") && types.contains("statsig-server-core-python") && types.contains("ndjson"))
        let sampled = events.filter { $0.json?["statsigMetadata"]?["samplingRate"] != nil }
        #expect(!sampled.isEmpty)
        #expect(d.manifest["counts"]!["sampled_out"]!.doubleValue! > 0)
        let node = try #require(events.first { $0.sdkType == "statsig-node" && $0.json?["eventName"]?.stringValue == "statsig::gate_exposure" })
        #expect(node.json!["metadata"]!["configSyncTime"]?.isNumber == true)
        #expect(events.contains { $0.json?["eventName"]?.stringValue == "purchase" })
        #expect(events.contains { $0.json?["eventName"]?.stringValue == "statsig::layer_exposure" })
        // ID list files in Statsig's format.
        let text = String(decoding: try FileReading.readAll(d.dir.appendingPathComponent("idlists/beta_testers.txt").path), as: UTF8.self)
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("+") && $0.count == 9 })
    }
}
