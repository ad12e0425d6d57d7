import FuzzEntry
import FuzzSupport
import KVReplayEvaluation
import KVReplayModel

/// Payload decoder and compiler: any bytes → `ConfigSpecs` → `CompiledPayload` → every entity evaluated for fixed users.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayload(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let specs = try? ConfigSpecs(jsonBytes: bytes, source: "fuzz") else { return 0 }
    FuzzSupport.evaluateAll(CompiledPayload(specs))
    return 0
}
