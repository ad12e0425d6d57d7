import Foundation
import KVReplayIO
import KVReplayModel
import Testing

@testable import KVReplayEvaluation

/// The node flavour's user-agent parser against the real ua-parser-js 1.0.41 and statsig-node 6.5.1:
/// `Fixtures/uaparserjs_node_cases.jsonl.gz` holds, for every agent of ua-parser-js's test files (`test/*.json`) and
/// of the conformance corpora's users, the four strings statsig-node's `getFromUserAgent` returned (null for
/// `null`/`undefined`): 1,250 agents; then 3,367 variants of every 3rd browser/OS test agent and every 8th device
/// test agent that probe where JavaScript's non-unicode regexes and ICU differ (upper/lower case, `ſ`, Kelvin `K`,
/// `ı`, `İ`, `ß`, NBSP, U+3000, tab, leading/trailing `\n`, NEL, U+2028, Arabic-Indic digits, U+FF0F, an emoji):
/// 4,617 in all. It was written by a Node script run against the node oracle build
/// (`/work/shared/oracle/node/setup.sh`): `getFromUserAgent({userAgent: ua}, field)` of statsig-node's
/// `dist/utils/EvaluatorUtils.js` for the four fields (the script is not kept; it holds no SDK code).
/// Set `KVREPLAY_UAPARSERJS_CASES` to a file of the same shape to check more agents.
struct UAParserJSTests {
    static func cases(_ path: String) throws -> [(ua: String, expected: UAParserJS.NodeUAFields)] {
        try FileReading.lines(FileReading.readAll(path)).compactMap { (_, line) in
            if line.isEmpty { return nil }
            let o = try JSONParser.parse(line)
            return (o["ua"]!.stringValue!, UAParserJS.NodeUAFields(
                osName: o["os_name"]?.stringValue, osVersion: o["os_version"]?.stringValue,
                browserName: o["browser_name"]?.stringValue, browserVersion: o["browser_version"]?.stringValue))
        }
    }

    static func check(_ path: String, atLeast: Int) throws {
        let all = try cases(path)
        #expect(all.count >= atLeast)
        var bad: [String] = []
        for (ua, expected) in all {
            let got = UAParserJS.statsigNodeFields(ua)
            if got != expected { bad.append("\(ua)\n  ours \(got)\n  node \(expected)") }
        }
        let report = "\(bad.count) of \(all.count) agents differ:\n" + bad.prefix(15).joined(separator: "\n")
        #expect(bad.isEmpty, "\(report)")
    }

    @Test func rulesCompile() {
        #expect(UAParserJS.uncompiledPatterns.isEmpty, "\(UAParserJS.uncompiledPatterns)")
        #expect(UAParserJS.version == "1.0.41")
        #expect(UAParserJS.rules.browser.rules.count == 51 && UAParserJS.rules.os.rules.count == 18
            && UAParserJS.rules.device.rules.count == 117)
    }

    @Test func agreesWithStatsigNode() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/uaparserjs_node_cases.jsonl", withExtension: "gz"))
        try Self.check(url.path, atLeast: 4617)
        if let extra = ProcessInfo.processInfo.environment["KVREPLAY_UAPARSERJS_CASES"] { try Self.check(extra, atLeast: 1) }
    }

    @Test func statsigNodeRenames() {
        // "Mac OS" → "Mac OS X"; "Chrome"/"Firefox" on a mobile or tablet → "… Mobile"; CriOS is Chrome.
        let mac = UAParserJS.statsigNodeFields("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15")
        #expect(mac == .init(osName: "Mac OS X", osVersion: "10.15.7", browserName: "Safari", browserVersion: "17.4.1"))
        #expect(UAParserJS.parse("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15").osName == "Mac OS")
        let pixel = UAParserJS.statsigNodeFields("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36")
        #expect(pixel == .init(osName: "Android", osVersion: "14", browserName: "Chrome Mobile", browserVersion: "124.0.6367.82"))
        let crios = UAParserJS.statsigNodeFields("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1")
        #expect(crios == .init(osName: "iOS", osVersion: "17.2", browserName: "Chrome Mobile", browserVersion: "120.0.6099.119"))
        #expect(pixel.value(forField: "BrowserName") == "Chrome Mobile" && pixel.value(forField: "osversion") == "14")
        #expect(pixel.value(forField: "device_model") == nil)
    }

    @Test func agentsAreComparedAsJavaScriptStrings() {
        // U+212A KELVIN SIGN is canonically equivalent to "K" for Swift's String ==, not for JavaScript, whose
        // non-unicode /i does not fold it to "k": /(kindle)\/…/i misses and NetFront is found instead.
        let ascii = UAParserJS.statsigNodeFields("Mozilla/4.0 (compatible; Linux 2.6.22) NetFront/3.4 Kindle/2.5 (screen 600x800; rotate)")
        let kelvin = UAParserJS.statsigNodeFields("Mozilla/4.0 (compatible; Linux 2.6.22) NetFront/3.4 \u{212A}indle/2.5 (screen 600x800; rotate)")
        #expect(ascii.browserName == "Kindle" && ascii.browserVersion == "2.5")
        #expect(kelvin.browserName == "NetFront" && kelvin.browserVersion == "3.4")
    }

    @Test func lengthsAreJavaScripts() {
        // Over 1,000 UTF-16 units: statsig-node gives null without parsing.
        let long = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0 Safari/537.36 " + String(repeating: "z", count: 930)
        #expect(long.utf16.count > 1000 && UAParserJS.statsigNodeFields(long) == .none)
        // Over 500: ua-parser-js drops the leading whitespace and keeps 500 units, so a token past them is not seen.
        let cut = "  Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + String(repeating: "y", count: 460) + " Chrome/124.0.0.0 Safari/537.36"
        #expect(UAParserJS.statsigNodeFields(cut).browserName == nil && UAParserJS.statsigNodeFields(cut).osName == "Windows")
        // No fields at all: empty and unknown agents.
        #expect(UAParserJS.statsigNodeFields("") == .none)
        #expect(UAParserJS.statsigNodeFields("curl/8.4.0") == .none)
    }
}
