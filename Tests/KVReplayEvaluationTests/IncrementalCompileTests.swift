import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import Testing

/// A history's payload compiled with the one before it (`CompiledPayload(previous:)`) takes the unchanged specs from it
/// and evaluates exactly as the same payload compiled from scratch.
@Suite("Incremental compilation")
struct IncrementalCompileTests {
    static func specs(_ corpus: OracleCorpus) throws -> ConfigSpecs {
        let path = corpus.file("payload.json", "payload.json.gz")!
        return try ConfigSpecs(jsonBytes: FileReading.readAll(path), source: path)
    }

    /// The payload's records for every user and entity, as `kvreplay eval` prints them.
    static func records(_ payload: CompiledPayload, _ flavor: SDKFlavor, _ corpus: OracleCorpus) throws -> [UInt8] {
        let users = try corpus.users()
        let evaluator = Evaluator(payload: payload, options: EvaluationOptions(flavor: flavor, now: 1_750_000_000_000))
        return evaluator.records(users: users.users, indices: users.indices, range: 0..<users.users.count)
    }

    @Test("an edited spec is compiled, the others reused; every record equals a full compilation", arguments: ["edge_cases_v2", "gen_node_v1"])
    func editedSpec(_ name: String) throws {
        let corpus = OracleCorpus(name)
        let before = try Self.specs(corpus)
        var after = before
        let g = try #require(after.featureGates.firstIndex { $0.rules.contains { $0.passPercentage > 0 && $0.passPercentage < 100 } })
        let r = after.featureGates[g].rules.firstIndex { $0.passPercentage > 0 && $0.passPercentage < 100 }!
        after.featureGates[g].rules[r].passPercentage = after.featureGates[g].rules[r].passPercentage >= 50 ? 1 : 99
        let targets = TargetValueCache()
        let first = CompiledPayload(before, targets: targets, legacy: false)
        let next = CompiledPayload(after, targets: targets, legacy: false, previous: first)
        let total = after.featureGates.count + after.dynamicConfigs.count + after.layerConfigs.count
        #expect(next.reusedSpecs == total - 1)
        let fresh = CompiledPayload(after, legacy: false)
        for flavor in [SDKFlavor.core, .node] {
            let a = try Self.records(next, flavor, corpus), b = try Self.records(fresh, flavor, corpus)
            #expect(a == b, "\(name) \(flavor)")
            #expect(a != (try Self.records(first, flavor, corpus)), "the edit changes some record")
        }
    }

    @Test func renumberedGatesAndTheLegacyViewCompileInFull() throws {
        let corpus = OracleCorpus("edge_cases_v2")
        let before = try Self.specs(corpus)
        var shifted = before
        shifted.featureGates.insert(before.featureGates[0], at: 0)
        shifted.featureGates[0].name = "a_new_gate_first"
        let targets = TargetValueCache()
        let first = CompiledPayload(before, targets: targets, legacy: false)
        #expect(CompiledPayload(shifted, targets: targets, legacy: false, previous: first).reusedSpecs == 0)
        #expect(CompiledPayload(before, targets: targets, legacy: true, previous: first).reusedSpecs == 0)
        #expect(CompiledPayload(before, targets: TargetValueCache(), legacy: false, previous: first).reusedSpecs == 0)
        #expect(CompiledPayload(before, targets: targets, legacy: false, previous: first).reusedSpecs
                == before.featureGates.count + before.dynamicConfigs.count + before.layerConfigs.count)
    }
}
