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

/// The node flavour's gate check stops a rule at its first failed condition, but must still reach what after it can end
/// the evaluation early (statsig-node evaluates every condition of a rule).
struct NodeGateCheckTests {
    /// On every corpus with statsig-node output, for every user and gate, under both edge profiles.
    @Test(arguments: OracleConformanceTests.nodeCorpora)
    func fastPathEqualsFullEvaluation(_ name: String) throws {
        let corpus = OracleCorpus(name)
        let base = try corpus.evaluator(flavor: .node)
        let users = try corpus.users().users
        for profile in [EdgeProfile.full, .guide] {
            var options = base.options
            options.edge = profile
            let evaluator = Evaluator(payload: base.payload, options: options)
            let ctx = EvaluationContext(), full = EvaluationContext()
            var checked = 0, differing: [String] = []
            for user in users {
                let prepared = evaluator.prepare(user)
                let session = evaluator.session(for: prepared, in: ctx)
                for (i, gate) in evaluator.payload.gates.enumerated() {
                    let e = evaluator.evaluate(EntityRef(kind: .gate, name: gate.name), for: prepared, in: full)
                    if session.checkGate(index: i) != e.boolValue || session.checkGate(gate.name) != e.boolValue {
                        differing.append(gate.name)
                    }
                    checked += 1
                }
            }
            #expect(checked == users.count * evaluator.payload.gates.count)
            #expect(differing.isEmpty, "\(name) \(profile): \(differing.prefix(10))")
        }
    }

    @Test func conditionsThatCanAbortAreReachedAfterAFailedOne() throws {
        func gate(_ name: String, _ rules: [String]) -> String {
            let r = rules.enumerated().map { i, conditions in
                #"{"name": "r\#(i)", "id": "\#(name)_r\#(i)", "salt": "s", "passPercentage": 100, "returnValue": true, "idType": "userID", "conditions": [\#(conditions)]}"#
            }
            return #"{"name": "\#(name)", "type": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false, "idType": "userID", "entity": "feature_gate", "rules": [\#(r.joined(separator: ","))]}"#
        }
        let fails = #"{"type": "user_field", "operator": "eq", "field": "email", "targetValue": "nobody", "idType": "userID"}"#
        let pub = #"{"type": "public", "idType": "userID"}"#
        func passGate(_ g: String) -> String { #"{"type": "pass_gate", "targetValue": "\#(g)", "idType": "userID"}"# }
        let gates = [
            gate("unsupported_after_fail", ["\(fails), {\"type\": \"made_up\", \"idType\": \"userID\"}", pub]),
            gate("unknown_operator_after_fail", ["\(fails), {\"type\": \"user_field\", \"operator\": \"made_up\", \"field\": \"a\", \"idType\": \"userID\"}", pub]),
            gate("nested_unsupported_after_fail", ["\(fails), \(passGate("unsupported"))", pub]),
            gate("unsupported", ["{\"type\": \"made_up\", \"idType\": \"userID\"}"]),
            gate("cycle_after_fail", ["\(fails), \(passGate("loop"))", pub]),
            gate("loop", [passGate("loop")]),
            gate("plain_after_fail", ["\(fails), \(passGate("plain"))", pub]),
            gate("plain", [pub]),
        ]
        let payload = #"{"has_updates": true, "time": 1700000000000, "dynamic_configs": [], "layer_configs": [], "feature_gates": [\#(gates.joined(separator: ","))]}"#
        let specs = try ConfigSpecs(jsonBytes: Array(payload.utf8), source: "test")
        let evaluator = Evaluator(payload: CompiledPayload(specs), options: EvaluationOptions(flavor: .node, now: 1_700_000_000_000))
        let user = evaluator.prepare(try StatsigUser(json: JSONParser.parse(#"{"userID": "u", "email": "a@b.c"}"#)))
        let ctx = EvaluationContext()
        func full(_ name: String) -> Evaluation { evaluator.evaluate(EntityRef(kind: .gate, name: name), for: user, in: EvaluationContext()) }
        func check(_ name: String) -> Bool { evaluator.checkGate(name, for: user, in: ctx) }
        for name in ["unsupported_after_fail", "unknown_operator_after_fail", "nested_unsupported_after_fail"] {
            #expect(full(name).reason == .unsupported, "\(name)")
            #expect(check(name) == false, "\(name)")
        }
        #expect(full("cycle_after_fail").reason == .error)
        #expect(check("cycle_after_fail") == false)
        #expect(full("plain_after_fail").boolValue && full("plain_after_fail").ruleID == "plain_after_fail_r1")
        #expect(check("plain_after_fail"))
    }
}
