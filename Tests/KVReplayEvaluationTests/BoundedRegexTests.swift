import Dispatch
import Foundation
import KVReplayEvaluation
import KVReplayModel
import Testing

@Suite struct BoundedRegexTests {
    @Test func matchesLikeAnUnanchoredSearch() throws {
        let r = try #require(BoundedRegex(pattern: "^9$"))
        #expect(r.firstMatch(in: "9") == true)
        #expect(r.firstMatch(in: "19") == false)
        let word = try #require(BoundedRegex(pattern: "ab+c"))
        #expect(word.firstMatch(in: "xxabbbcyy") == true)
        #expect(BoundedRegex(pattern: "(unclosed") == nil)
        let look = try #require(BoundedRegex(pattern: "foo(?=bar)"))
        #expect(look.firstMatch(in: "foobar") == true && look.firstMatch(in: "foobaz") == false)
    }

    @Test func aPathologicalPatternStopsAtTheBudget() throws {
        let r = try #require(BoundedRegex(pattern: "(a+)+$"))
        let subject = String(repeating: "a", count: 64) + "!"
        let start = DispatchTime.now().uptimeNanoseconds
        let result = r.firstMatch(in: subject)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        #expect(result == nil)
        #expect(seconds < 5)
        // The same pattern on a harmless subject still answers.
        #expect(r.firstMatch(in: "aaaa") == true)
    }

    @Test func aHugeSubjectIsFine() throws {
        let r = try #require(BoundedRegex(pattern: "needle"))
        #expect(r.firstMatch(in: String(repeating: "hay", count: 1_000_000) + "needle") == true)
    }

    @Test func sharedAcrossThreads() throws {
        let r = try #require(BoundedRegex(pattern: "^user-[0-9]+@corp\\.com$"))
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 2000)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: 2000) { i in
            out[i] = r.firstMatch(in: i % 2 == 0 ? "user-\(i)@corp.com" : "user-\(i)@other.com") == true
        }
        for i in 0..<2000 { #expect(out[i] == (i % 2 == 0)) }
    }

    /// Wired into the evaluator: a `str_matches` rule whose pattern backtracks catastrophically on this user's
    /// email fails (as fancy_regex's `is_match(..).unwrap_or(false)` does in the core SDK), and evaluation goes on
    /// to the next rule instead of stalling.
    @Test func aRunawayStrMatchesFailsItsConditionInTheEvaluator() throws {
        let payload = #"""
        {"has_updates": true, "time": 1700000000000, "dynamic_configs": [], "layer_configs": [],
         "feature_gates": [{"name": "redos", "type": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false,
           "idType": "userID", "entity": "feature_gate", "rules": [
             {"name": "r1", "id": "r1", "salt": "r1", "passPercentage": 100, "returnValue": true, "idType": "userID",
              "conditions": [{"type": "user_field", "operator": "str_matches", "field": "email", "targetValue": "(a+)+$",
                              "idType": "userID"}]},
             {"name": "r2", "id": "r2", "salt": "r2", "passPercentage": 100, "returnValue": true, "idType": "userID",
              "conditions": [{"type": "public", "idType": "userID"}]}]}]}
        """#
        let specs = try ConfigSpecs(jsonBytes: Array(payload.utf8), source: "test")
        let compiled = CompiledPayload(specs)
        // Both flavours: the legacy one (Python `re`, translated) is bounded the same way.
        for flavor in [SDKFlavor.core, .legacy] {
            let evaluator = Evaluator(payload: compiled, options: EvaluationOptions(flavor: flavor, now: 1_700_000_000_000))
            let ctx = EvaluationContext()
            let gate = EntityRef(kind: .gate, name: "redos")
            func rule(_ email: String) throws -> String {
                let user = try StatsigUser(json: JSONParser.parse(#"{"userID": "u", "email": "\#(email)"}"#))
                return evaluator.evaluate(gate, for: evaluator.prepare(user), in: ctx).ruleID
            }
            #expect(try rule("aaaa") == "r1", "\(flavor)")
            let start = DispatchTime.now().uptimeNanoseconds
            #expect(try rule(String(repeating: "a", count: 64) + "!") == "r2", "\(flavor)")
            #expect(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < 5)
        }
    }
}
