import Foundation
import KVReplayEvaluation
import KVReplayIngest
import KVReplayIO
import KVReplayModel
import Testing

/// Replays the inputs kept in `Fuzz/regressions/TARGET/` (crashes, hangs and leaks the fuzz targets found, and the
/// seeds) through the code each target drives. A crash here is a crash of the test process, so each input is named
/// in the test's arguments.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func inputs(_ target: String) -> [String] {
        var out: [String] = []
        for dir in ["Fuzz/regressions/\(target)", "Fuzz/seeds/\(target)"] {
            let d = root.appendingPathComponent(dir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []
            out += names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { d.appendingPathComponent($0).path }
        }
        return out
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func users() -> [StatsigUser] { [
        #"{"userID":"u1","email":"a@corp.com","ip":"1.2.3.4","country":"US","userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)","custom":{"level":3},"customIDs":{"companyID":"c1"}}"#,
        #"{}"#,
    ].map { try! StatsigUser(json: try! JSONParser.parse($0)) } }

    static func evaluateAll(_ payload: CompiledPayload, users: [StatsigUser]) {
        let ctx = EvaluationContext()
        for flavor in [SDKFlavor.core, .legacy] {
            let evaluator = Evaluator(payload: payload, options: EvaluationOptions(flavor: flavor, now: 1_767_225_600_000))
            let prepared = users.map(evaluator.prepare)
            for ref in payload.entities.prefix(64) { for u in prepared { _ = evaluator.evaluate(ref, for: u, in: ctx) } }
        }
    }

    @Test("payload target inputs", arguments: inputs("payload"))
    func payload(_ path: String) throws {
        guard let specs = try? ConfigSpecs(jsonBytes: try Self.bytes(path), source: path) else { return }
        Self.evaluateAll(CompiledPayload(specs), users: Self.users())
    }

    @Test("logs target inputs", arguments: inputs("logs"))
    func logs(_ path: String) throws {
        _ = IngestProbe.mapLogLine(try Self.bytes(path))
        _ = IngestProbe.readLog(path: path)
        _ = IngestProbe.readLog(path: path, maxLineLength: 512)
    }

    @Test("user target inputs", arguments: inputs("user"))
    func user(_ path: String) throws {
        let payloadPath = Self.root.appendingPathComponent("Tests/KVReplayEvaluationTests/Fixtures/oracle/edge_cases_v1/payload.json").path
        let payload = CompiledPayload(try ConfigSpecs(jsonBytes: try Self.bytes(payloadPath), source: payloadPath))
        guard let json = try? JSONParser.parse(try Self.bytes(path)), let user = try? StatsigUser(json: json) else { return }
        Self.evaluateAll(payload, users: [user])
    }

    @Test("snapshot target inputs", arguments: inputs("snapshot"))
    func snapshot(_ path: String) throws {
        var bytes = try Self.bytes(path)
        if Gzip.isGzip(bytes) {
            guard let inflated = try? Gzip.decompress(bytes, limit: 1 << 22) else { return }
            bytes = inflated
        }
        _ = IngestProbe.readSnapshot(bytes)
    }
}
