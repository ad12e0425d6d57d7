import FuzzEntry
import Foundation
import FuzzSupport
import KVReplayEvaluation
import KVReplayModel

/// User objects: any bytes → JSON → `StatsigUser` → `PreparedUser` → evaluation under a fixed payload that uses every
/// condition family (the edge_cases_v1 conformance payload).
private let payload: CompiledPayload = {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../Tests/KVReplayEvaluationTests/Fixtures/oracle/edge_cases_v1/payload.json").standardized.path
    let bytes = FileManager.default.contents(atPath: ProcessInfo.processInfo.environment["FUZZ_USER_PAYLOAD"] ?? file)!
    return CompiledPayload(try! ConfigSpecs(jsonBytes: [UInt8](bytes), source: file))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let json = try? JSONParser.parse(buffer: bytes), let user = try? StatsigUser(json: json) else { return 0 }
    let ctx = EvaluationContext()
    for flavor in [SDKFlavor.core, .legacy] {
        let evaluator = Evaluator(payload: payload, options: EvaluationOptions(flavor: flavor, now: 1_767_225_600_000))
        let prepared = evaluator.prepare(user)
        for ref in payload.entities { _ = evaluator.evaluate(ref, for: prepared, in: ctx) }
    }
    return 0
}
