import FuzzEntry
import FuzzSupport
import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel

/// Payload decoder and compiler: any bytes → `ConfigSpecs` → `CompiledPayload` → every entity evaluated for fixed users;
/// and the replay's dependency closures of the payload.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayload(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let specs = try? ConfigSpecs(jsonBytes: bytes, source: "fuzz") else { return 0 }
    FuzzSupport.evaluateAll(CompiledPayload(specs))
    // What replay computes for every snapshot: each entity's dependency closure.
    _ = DependencyClosure(specs: specs, idListHashes: ["list": "h"], now: 1_767_225_600_000)
    return 0
}
