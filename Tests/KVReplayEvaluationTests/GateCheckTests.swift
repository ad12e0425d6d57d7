import Foundation
import KVReplayModel
import Testing

@testable import KVReplayEvaluation

/// The gate-check fast path (no result record, no exposures; what `bench eval` and `check_gate` use) gives the same
/// boolean as a full evaluation, in every flavour.
struct GateCheckTests {
    @Test(arguments: [SDKFlavor.core, .legacy, .node], ["gen_node_v1", "gen_unsupported_v1"])
    func fastPathEqualsFullEvaluation(_ flavor: SDKFlavor, _ name: String) throws {
        let corpus = OracleCorpus(name)
        let evaluator = try corpus.evaluator(flavor: flavor)
        let users = try corpus.users().users
        let ctx = EvaluationContext(), full = EvaluationContext()
        var checked = 0, differing: [String] = []
        for user in users.prefix(60) {
            let prepared = evaluator.prepare(user)
            let session = evaluator.session(for: prepared, in: ctx)
            for (i, gate) in evaluator.payload.gates.enumerated() {
                let fast = session.checkGate(index: i)
                let e = evaluator.evaluate(EntityRef(kind: .gate, name: gate.name), for: prepared, in: full)
                if fast != e.boolValue { differing.append("\(gate.name)") }
                checked += 1
            }
        }
        #expect(checked > 1000)
        #expect(differing.isEmpty, "\(name) \(flavor): \(differing.prefix(10))")
        // The benchmark runs on the same path (whole rounds of every gate for every user).
        let r = EvaluationBenchmark.run(evaluator: evaluator, users: Array(users.prefix(20)), threads: 2, passes: 1)
        let round = 20 * evaluator.payload.gates.count
        #expect(r.gates.evaluations > 0 && r.gates.evaluations % round == 0)
    }
}
