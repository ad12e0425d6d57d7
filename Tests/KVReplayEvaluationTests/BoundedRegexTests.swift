import Dispatch
import Foundation
import KVReplayEvaluation
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
}
