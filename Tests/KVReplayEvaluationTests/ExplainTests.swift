import KVReplayEvaluation
import KVReplayModel
import Testing

@Suite struct ExplainTests {
    /// `explain` is the evaluator with a recorder: on whole corpora its answer must be `eval`'s, field for field.
    @Test(arguments: ["gen_realistic_v1", "eval_proj_v2", "edge_cases_v2", "gen_unsupported_v1"])
    func explainAgreesWithEvalOnACorpus(_ name: String) throws {
        let corpus = OracleCorpus(name)
        let evaluator = try corpus.evaluator(flavor: .core)
        let users = try corpus.users()
        let ctx = EvaluationContext()
        var compared = 0
        for user in users.users {
            let prepared = evaluator.prepare(user)
            for ref in evaluator.payload.entities {
                let plain = evaluator.evaluate(ref, for: prepared, in: ctx)
                let explained = evaluator.explain(ref, for: evaluator.prepare(user))
                #expect(explained.evaluation == plain, "\(name) \(ref.name)")
                #expect(!explained.steps.isEmpty || plain.reason == .unrecognized)
                // The last top-level decision recorded names the reported rule.
                let decisions = explained.steps.compactMap { step -> String? in
                    switch step {
                    case .ruleMatched(let id, _, 0): id
                    case .fellThrough(let id, 0): id
                    default: nil
                    }
                }
                if plain.reason == .ok, plain.allocatedExperiment == nil, let last = decisions.last {
                    #expect(last == plain.ruleID, "\(name) \(ref.name)")
                }
                compared += 1
            }
        }
        #expect(compared > 1000)
    }

    @Test func textShowsConditionsBucketsAndNestedGates() throws {
        let corpus = OracleCorpus("eval_proj_v2")
        let evaluator = try corpus.evaluator(flavor: .core)
        let user = try StatsigUser(json: JSONParser.parse(#"{"userID": "a_user", "email": "a_user@statsig.com"}"#))
        let text = evaluator.explain(EntityRef(kind: .gate, name: "test_50_50"), for: evaluator.prepare(user)).text()
        #expect(text.contains("nested gate global_holdout"))
        #expect(text.contains("pass percentage 50% for rule 6U5gYSQ2jRCDWvfPzKSQY9: bucket 4917 of 10000"))
        #expect(text.contains("result: true"))
        #expect(text.contains("global_holdout=false (3QoA4ncNdVGBaMt3N1KYjz:0.50:1)"))
    }
}
