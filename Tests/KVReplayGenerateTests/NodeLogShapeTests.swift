import Foundation
import Testing
import KVReplayIO
import KVReplayModel

@testable import KVReplayGenerate

/// The generator's statsig-node `log_event` bodies have the shape of a body the real statsig-node 6.5.1 sent from a
/// Worker (`Fixtures/statsig-node-6.5.1_log_event.json`, captured by `../shared/realclient/`).
@Suite struct NodeLogShapeTests {
    static let sampleBytes: [UInt8] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/statsig-node-6.5.1_log_event.json")
        return try! FileReading.readAll(url.path)
    }()
    static let sample = try! JSONParser.parse(sampleBytes)

    /// The structure of a value: object members in order with their structures, the element structure of a
    /// non-empty array, the JSON type of a scalar. `user` objects are left out (their members are the user's).
    static func shape(_ v: JSONValue, dropping: Set<String> = []) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array(let a): return a.isEmpty ? "[]" : "[" + shape(a[0], dropping: dropping) + "]"
        case .object(let o):
            let members = o.members.filter { !dropping.contains($0.0) }.map { k, v in k == "user" && v.objectValue != nil ? "user:{…}" : "\(k):\(shape(v, dropping: dropping))" }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// The sample's event of `name` (the first).
    static func sampleEvent(_ name: String) -> JSONValue? {
        sample["events"]?.arrayValue?.first { $0["eventName"]?.stringValue == name }
    }

    @Test func theSampleIsWhatTheChecksAssume() throws {
        // Compact JSON.stringify text: NodeJSON writes it back byte for byte.
        #expect(NodeJSON.bytes(Self.sample) == Self.sampleBytes)
        #expect(!Self.sampleBytes.contains(0x0A))
        for name in ["statsig::diagnostics", "statsig::gate_exposure", "statsig::config_exposure", "statsig::layer_exposure"] {
            #expect(Self.sampleEvent(name) != nil, "\(name)")
        }
        #expect(Self.sample["events"]?.arrayValue?.first?["eventName"]?.stringValue == "statsig::diagnostics")
    }

    @Test func nodeBodiesHaveTheRealSDKShape() throws {
        let d = Dataset.shared
        let users = try FileReading.lines(try FileReading.readAll(d.dir.appendingPathComponent("users.jsonl").path))
            .filter { !$0.1.isEmpty }.map { try JSONParser.parse($0.1) }
        var usersByKey: [String: JSONValue] = [:]
        func userKey(_ u: JSONValue) -> String {
            "\(u["userID"]?.stringValue ?? "")|" + String(decoding: NodeJSON.bytes(u["customIDs"] ?? .null), as: UTF8.self)
        }
        for u in users { usersByKey[userKey(u)] = u }
        let corrupt = Set(d.manifest["corrupt_records"]!.arrayValue!.map { $0["file"]!.stringValue! })
        let sampleMeta = try #require(Self.sample["statsigMetadata"]?.objectValue)
        var bodies = 0, checkedKinds = Set<String>(), sessions = Set<String>(), firstBodies = 0
        let logs = d.dir.appendingPathComponent("logs")
        for day in try FileManager.default.contentsOfDirectory(atPath: logs.path).sorted() {
            for name in try FileManager.default.contentsOfDirectory(atPath: logs.appendingPathComponent(day).path).sorted()
            where name.contains("_log_event_") {
                let rel = "logs/\(day)/\(name)"
                let bytes = try FileReading.readAll(d.dir.appendingPathComponent(rel).path)
                let body = try JSONParser.parse(bytes)
                guard body["statsigMetadata"]?["sdkType"]?.stringValue == "statsig-node" else { continue }
                bodies += 1
                // One compact line, JSON.stringify's text (members in order, JavaScript numbers).
                #expect(!bytes.contains(0x0A), "\(rel)")
                #expect(NodeJSON.bytes(body) == bytes, "\(rel): not JSON.stringify's text")
                #expect(body.objectValue?.keys == Self.sample.objectValue?.keys, "\(rel)")
                let meta = try #require(body["statsigMetadata"]?.objectValue)
                #expect(meta.keys == sampleMeta.keys)
                for k in ["sdkType", "sdkVersion", "languageVersion"] { #expect(meta[k] == sampleMeta[k], "\(rel) \(k)") }
                let session = try #require(meta["sessionID"]?.stringValue)
                #expect(UUID(uuidString: session) != nil)
                let events = try #require(body["events"]?.arrayValue)
                if events.first?["eventName"]?.stringValue == "statsig::diagnostics" {
                    // An isolate's first body opens with its `initialize` event, once per session.
                    firstBodies += 1
                    #expect(sessions.insert(session).inserted, "\(rel): a second initialize in session \(session)")
                    let e = events[0]
                    let want = try #require(Self.sampleEvent("statsig::diagnostics"))
                    // `logger` is the capturing harness's own option.
                    #expect(Self.shape(e) == Self.shape(want, dropping: ["logger"]))
                    var options = want["metadata"]!["statsigOptions"]!.objectValue!
                    options["logger"] = nil
                    #expect(e["metadata"]?["statsigOptions"] == .object(options))
                    #expect(e["metadata"]?["context"] == "initialize")
                    let markers = e["metadata"]!["markers"]!.arrayValue!
                    #expect(e["time"] == markers[1]["timestamp"])
                    #expect(markers[0]["timestamp"]!.doubleValue! <= markers[1]["timestamp"]!.doubleValue!)
                    if events.count > 1 { #expect(e["time"]!.doubleValue! <= events[1]["time"]!.doubleValue!) }
                } else {
                    #expect(sessions.contains(session), "\(rel): session \(session) logs before its initialize")
                }
                if corrupt.contains(rel) { continue }
                for e in events {
                    let name = e["eventName"]!.stringValue!
                    #expect(e.objectValue?.keys == Self.sampleEvent("statsig::gate_exposure")?.objectValue?.keys, "\(rel) \(name)")
                    if name == "statsig::diagnostics" { continue }
                    // The user: the object as passed, `statsigEnvironment` set from the payload, `privateAttributes` null.
                    let user = try #require(e["user"]?.objectValue)
                    let passed = try #require(usersByKey[userKey(.object(user))]?.objectValue, "\(rel): user not in users.jsonl")
                    var expected = passed
                    expected["statsigEnvironment"] = ["tier": "production"]
                    expected["privateAttributes"] = .null
                    #expect(NodeJSON.bytes(.object(user)) == NodeJSON.bytes(.object(expected)), "\(rel) \(name)")
                    guard let want = Self.sampleEvent(name) else {
                        // `logEvent` events: no sampling decision, no exposures.
                        #expect(e["statsigMetadata"] == .object(JSONObject()) && e["secondaryExposures"] == .array([]))
                        continue
                    }
                    var got = e
                    let rate = e["statsigMetadata"]?["samplingRate"]
                    if rate != nil {
                        #expect(e["statsigMetadata"]?.objectValue?.keys == ["samplingRate", "samplingMode"])
                        got = .object(e.objectValue!.replacing("statsigMetadata", with: want["statsigMetadata"]!))
                    }
                    let gotExposures = e["secondaryExposures"]!.arrayValue!, wantExposures = want["secondaryExposures"]!.arrayValue!
                    if !gotExposures.isEmpty, let sampleWithExposures = Self.sample["events"]!.arrayValue!.first(where: { !($0["secondaryExposures"]?.arrayValue ?? []).isEmpty }) {
                        #expect(Self.shape(e["secondaryExposures"]!) == Self.shape(sampleWithExposures["secondaryExposures"]!))
                    }
                    if gotExposures.isEmpty != wantExposures.isEmpty {
                        got = .object(got.objectValue!.replacing("secondaryExposures", with: want["secondaryExposures"]!))
                    }
                    // An unrecognized entity has no version to log.
                    let drop: Set<String> = e["metadata"]?["reason"] == "Unrecognized" ? ["configVersion"] : []
                    #expect(Self.shape(got) == Self.shape(want, dropping: drop), "\(rel) \(name)")
                    let md = e["metadata"]!
                    #expect(md["initTime"] == md["configSyncTime"], "\(rel): the isolate's config is the one it initialized with")
                    #expect(md["serverTime"] == e["time"])
                    checkedKinds.insert(name)
                }
            }
        }
        #expect(bodies > 5)
        #expect(firstBodies > 1 && firstBodies == sessions.count)
        #expect(Int(d.manifest["counts"]!["diagnostics_events"]!.doubleValue!) == firstBodies)
        #expect(checkedKinds == ["statsig::gate_exposure", "statsig::config_exposure", "statsig::layer_exposure"])
    }
}

extension JSONObject {
    /// A copy with member `key` set to `value` (in place).
    func replacing(_ key: String, with value: JSONValue) -> JSONObject {
        var o = self
        o[key] = value
        return o
    }
}
