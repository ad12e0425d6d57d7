import Foundation
import Testing

@testable import KVReplayEvaluation

/// Conformance with statsig-server-core's `statsig-rust/tests/data/ua_string_cases.json`
/// (`{ "<user agent>": { osName, osVersion, browserName, browserVersion } }`).
struct UserAgentParserTests {
    static func loadCases() throws -> [(userAgent: String, expected: ParsedUserAgent)] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/ua_string_cases", withExtension: "json"))
        let data = try Data(contentsOf: url)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: String]])
        return object.keys.sorted().map { ua in
            let e = object[ua]!
            return (ua, ParsedUserAgent(
                osName: e["osName"], osVersion: e["osVersion"],
                browserName: e["browserName"], browserVersion: e["browserVersion"]))
        }
    }

    @Test func upstreamUAStringCases() throws {
        let cases = try Self.loadCases()
        #expect(cases.count >= 20)
        for (ua, expected) in cases {
            let actual = FirstPartyUserAgentParser.parse(ua)
            #expect(actual == expected, "user agent: \(ua)")
            #expect(FirstPartyUserAgentParser.parseForCondition(ua) == expected, "user agent: \(ua)")
        }
    }

    @Test func fieldResolution() {
        let parsed = FirstPartyUserAgentParser.parse(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15")
        #expect(parsed == ParsedUserAgent(
            osName: "Mac OS X", osVersion: "10.15.7", browserName: "Safari", browserVersion: "17.5"))
        for field in ["os_name", "osname", "OS_NAME", "osName"] { #expect(parsed.value(forField: field) == "Mac OS X") }
        for field in ["os_version", "osversion", "OsVersion"] { #expect(parsed.value(forField: field) == "10.15.7") }
        for field in ["browser_name", "browsername", "browserName"] { #expect(parsed.value(forField: field) == "Safari") }
        for field in ["browser_version", "browserversion", "BROWSER_VERSION"] {
            #expect(parsed.value(forField: field) == "17.5")
        }
        for field in ["", "os", "os-name", "os name", "browser", "device_type", "os_names"] {
            #expect(parsed.value(forField: field) == nil)
        }
    }

    @Test func conditionPreconditions() {
        // "" is parsed (the core skips an empty *top-level* userAgent in its user lookup, but a custom
        // userAgent "" reaches the parser); only the 1000-byte cap lives between lookup and parser.
        let other = ParsedUserAgent(osName: "Other", osVersion: "0.0.0", browserName: "Other", browserVersion: "0.0.0")
        #expect(FirstPartyUserAgentParser.parse("") == other)
        #expect(FirstPartyUserAgentParser.parseForCondition("") == other)
        #expect(FirstPartyUserAgentParser.parseForCondition("5") == other)
        let ua1000 = "Mozilla/5.0 (Windows NT 10.0) Chrome/1.2.3.4 " + String(repeating: "x", count: 1000 - 45)
        #expect(ua1000.utf8.count == 1000)
        #expect(FirstPartyUserAgentParser.parseForCondition(ua1000)?.browserName == "Chrome")
        #expect(FirstPartyUserAgentParser.parseForCondition(ua1000 + "y") == nil)
        // The cap is in UTF-8 bytes, not characters.
        let multiByte = String(repeating: "é", count: 501)
        #expect(multiByte.count == 501 && multiByte.utf8.count == 1002)
        #expect(FirstPartyUserAgentParser.parseForCondition(multiByte) == nil)
    }

    /// Cases from the Rust unit tests (statsig_uaparser/__tests__).
    @Test func rustUnitTestCases() {
        let cases: [(String, String?, String?, String?, String?)] = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Trailer/93.3.8652.5",
             "Windows", "10", nil, nil),
            ("Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2226.0 Safari/537.36",
             "Windows", "8.1", nil, nil),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_10 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.",
             "iOS", "16.7.10", nil, nil),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.10 Safari/605.1.1",
             "Mac OS X", "10.15.7", nil, nil),
            ("Codex Desktop/0.93.0-alpha.13 (Mac OS 26.2.0; arm64) unknown", "Mac OS X", "26.2.0", nil, nil),
            ("Whatnot v26.26.0 (42), iPadOS 26.5, iPad13,19", "iOS", "26.5", nil, nil),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/604.1 (KHTML, like Gecko) Version/11.0 Safari/604.1 Ubuntu/17.04 (3.24.1-0ubuntu1) Epiphany/3.24.1",
             "Ubuntu", "17.04", nil, nil),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
             nil, nil, "Chrome", "137.0.0.0"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
             nil, nil, "Safari", "17.5"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:139.0) Gecko/20100101 Firefox/139.0",
             nil, nil, "Firefox", "139.0"),
        ]
        for (ua, osName, osVersion, browserName, browserVersion) in cases {
            let parsed = FirstPartyUserAgentParser.parse(ua)
            if let osName { #expect(parsed.osName == osName, "user agent: \(ua)") }
            if let osVersion { #expect(parsed.osVersion == osVersion, "user agent: \(ua)") }
            if let browserName { #expect(parsed.browserName == browserName, "user agent: \(ua)") }
            if let browserVersion { #expect(parsed.browserVersion == browserVersion, "user agent: \(ua)") }
        }
    }
}
