import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel
import Testing

/// Found by hand while fuzzing (issue 9): a payload whose gates form a chain of 10,000 `pass_gate` conditions made the
/// replay's dependency closure recurse once per gate and overflow the stack (SIGSEGV in `kvreplay replay`).
@Suite("Deep gate chains")
struct DeepChainTests {
    static func chain(_ n: Int, changing changed: Int? = nil) throws -> ConfigSpecs {
        var gates: [String] = []
        for i in 0..<n {
            let condition = i + 1 < n
                ? #"{"type":"pass_gate","targetValue":"g\#(i + 1)","operator":null,"field":null,"additionalValues":{},"isDeviceBased":false,"idType":"userID"}"#
                : #"{"type":"public","targetValue":null,"operator":null,"field":null,"additionalValues":{},"isDeviceBased":false,"idType":"userID"}"#
            let salt = i == changed ? "changed" : "s\(i)"
            gates.append(#"{"name":"g\#(i)","type":"feature_gate","salt":"\#(salt)","enabled":true,"defaultValue":false,"rules":[{"name":"r","groupName":"g","passPercentage":100,"conditions":[\#(condition)],"returnValue":true,"id":"r\#(i)","salt":"s","isDeviceBased":false,"idType":"userID"}],"isDeviceBased":false,"idType":"userID","entity":"feature_gate"}"#)
        }
        let text = #"{"feature_gates":[\#(gates.joined(separator: ","))],"dynamic_configs":[],"layer_configs":[],"has_updates":true,"time":1}"#
        return try ConfigSpecs(jsonBytes: Array(text.utf8), source: "chain.json")
    }

    @Test("A 10,000-gate chain: closures are computed without deep recursion")
    func longChain() throws {
        let closure = DependencyClosure(specs: try Self.chain(10_000), idListHashes: [:], now: 0)
        #expect(closure.hashes.count == 10_000)
    }

    @Test("A change within the evaluator's reach changes the closure; one past the cut does not")
    func reach() throws {
        let base = DependencyClosure(specs: try Self.chain(1_000), idListHashes: [:], now: 0)
        let changed = DependencyClosure(specs: try Self.chain(1_000, changing: 700), idListHashes: [:], now: 0)
        func h(_ c: DependencyClosure, _ i: Int) -> [UInt8]? { c.hashes[EntityRef(kind: .gate, name: "g\(i)")] }
        // g700 is 400 levels below g300 (the cut) and 700 below g0: the evaluator stops at 300 levels, so g0 cannot
        // see it; g300 to g700 can.
        #expect(h(base, 0) == h(changed, 0))
        #expect(h(base, 299) == h(changed, 299))
        for i in [300, 450, 699, 700] { #expect(h(base, i) != h(changed, i), "g\(i)") }
        #expect(h(base, 701) == h(changed, 701))
    }
}
