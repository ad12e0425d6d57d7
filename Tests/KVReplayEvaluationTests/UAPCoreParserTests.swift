import Foundation
import KVReplayIO
import KVReplayModel
import Testing

@testable import KVReplayEvaluation

/// The legacy flavour's user-agent parser against statsig 0.72.1 itself: `Fixtures/uap_python_cases.jsonl.gz` holds
/// the four `ua_based` fields the SDK derived for 6,024 agents from uap-core's test files
/// (`Tests/Tools/make_uap_cases.py`). Set `KVREPLAY_UAP_CASES` to a file of the same shape to check more agents.
struct UAPCoreParserTests {
    static func cases(_ path: String) throws -> [(ua: String, expected: UAPCoreParser.Fields)] {
        try FileReading.lines(FileReading.readAll(path)).compactMap { (_, line) in
            if line.isEmpty { return nil }
            let o = try JSONParser.parse(line)
            return (o["ua"]!.stringValue!, UAPCoreParser.Fields(
                osName: o["os_name"]?.stringValue, osVersion: o["os_version"]?.stringValue,
                browserName: o["browser_name"]?.stringValue, browserVersion: o["browser_version"]?.stringValue))
        }
    }

    static func check(_ path: String) throws {
        let all = try cases(path)
        var bad: [String] = []
        for (ua, expected) in all {
            let got = UAPCoreParser.fields(ua)
            if got != expected { bad.append("\(ua)\n  ours \(got)\n  sdk  \(expected)") }
        }
        let report = "\(bad.count) of \(all.count) agents differ:\n" + bad.prefix(15).joined(separator: "\n")
        #expect(bad.isEmpty, "\(report)")
    }

    @Test func rulesCompile() {
        #expect(UAPCoreParser.uncompiledRules.isEmpty, "\(UAPCoreParser.uncompiledRules)")
        #expect(UAPCoreParser.rules.userAgent.count == 433 && UAPCoreParser.rules.os.count == 204)
    }

    @Test func agreesWithTheSDK() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/uap_python_cases.jsonl", withExtension: "gz"))
        try Self.check(url.path)
        if let extra = ProcessInfo.processInfo.environment["KVREPLAY_UAP_CASES"] { try Self.check(extra) }
    }

    @Test func statsigDerivation() {
        // "" parses as Other with no versions: 0.0.0 (known disagreement 2 with the core).
        #expect(UAPCoreParser.fields("") == .init(osName: "Other", osVersion: "0.0.0", browserName: "Other", browserVersion: "0.0.0"))
        // iPadOS: uap-core has no pattern; statsig takes the version from the agent.
        let ipad = UAPCoreParser.fields("Mozilla/5.0 (iPad; CPU iPadOS 26.5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148")
        #expect(ipad.osName == "iOS")
    }
}
