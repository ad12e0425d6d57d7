import Foundation
import KVReplayIO
import KVReplayModel
import Testing

@testable import KVReplayEvaluation

/// `JSRegex.icuPattern` run by `BoundedRegex` against V8 itself: `Fixtures/js_regex_cases.jsonl.gz` holds
/// `new RegExp(p).test(s)` as Node 20 answered (or the SyntaxError of `new RegExp(p)`) for realistic targeting
/// patterns, every place where the JavaScript and ICU syntaxes read the same text differently, and seeded fuzzing
/// (`Tests/Tools/make_js_regex_cases.js`).
struct JSRegexTests {
    enum Expected { case syntaxError, matches([(subject: String, match: Bool)]) }

    static func cases() throws -> [(pattern: String, expected: Expected)] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/js_regex_cases.jsonl", withExtension: "gz"))
        var order: [String] = []
        var byPattern: [String: Expected] = [:]
        for (number, line) in try FileReading.lines(FileReading.readAll(url.path)) where !line.isEmpty {
            let o = try JSONParser.parse(line)
            guard let p = o["p"]?.stringValue else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "js_regex_cases line \(number): no p"])
            }
            if byPattern[p] == nil { order.append(p) }
            if o["e"] != nil {
                byPattern[p] = .syntaxError
            } else if let s = o["s"]?.stringValue, let m = o["m"]?.boolValue {
                var list: [(String, Bool)] = []
                if case .matches(let l) = byPattern[p] { list = l }
                list.append((s, m))
                byPattern[p] = .matches(list)
            } else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "js_regex_cases line \(number): no s/m"])
            }
        }
        return order.map { ($0, byPattern[$0]!) }
    }

    /// The cause of a known difference (`JSRegex`'s doc comment lists them), or nil where the answers must agree.
    /// A nil `subject` asks about a pattern that V8 compiles and ICU does not.
    static func knownLimit(_ pattern: String, _ subject: String?, timedOut: Bool = false) -> String? {
        guard subject != nil else {
            let lookBehind = pattern.contains("(?<=") || pattern.contains("(?<!")
            let reference = pattern.range(of: #"\\[1-9]|\\k<"#, options: .regularExpression) != nil
            return lookBehind && reference ? "back reference inside a look-behind" : nil
        }
        if timedOut && pattern == #"^\w+([.-]?\w+)*@\w+([.-]?\w+)*(\.\w{2,3})+$"# { return "backtracking budget" }
        return nil
    }

    @Test func agreesWithV8() throws {
        let all = try Self.cases()
        var bad: [String] = []
        var checked = 0
        var tolerated: [String: Int] = [:]
        for (pattern, expected) in all {
            let icu = JSRegex.icuPattern(pattern)
            let regex = icu.flatMap { BoundedRegex(pattern: $0) }
            switch expected {
            case .syntaxError:
                checked += 1
                if regex != nil { bad.append("\(pattern.debugDescription): V8 SyntaxError, ours compiles as \(icu!.debugDescription)") }
            case .matches(let list):
                guard let regex else {
                    checked += list.count
                    if let why = Self.knownLimit(pattern, nil) {
                        tolerated[why, default: 0] += list.count
                        continue
                    }
                    bad.append("\(pattern.debugDescription): V8 compiles, ours \(icu.map { "ICU rejects \($0.debugDescription)" } ?? "nil")")
                    continue
                }
                for (subject, match) in list {
                    checked += 1
                    let got = regex.firstMatch(in: JSRegex.icuSubject(subject))
                    if got == match { continue }
                    if let why = Self.knownLimit(pattern, subject, timedOut: got == nil) {
                        tolerated[why, default: 0] += 1
                    } else {
                        bad.append("\(pattern.debugDescription) on \(subject.debugDescription): V8 \(match), ours \(got.map { "\($0)" } ?? "timeout") via \(icu!.debugDescription)")
                    }
                }
            }
        }
        #expect(checked > 90_000)
        // The known limits stay a small, explained minority.
        let limits = tolerated.values.reduce(0, +)
        #expect(limits < checked / 100, "\(limits) known-limit differences: \(tolerated)")
        #expect(bad.isEmpty, "\(bad.count) of \(checked) cases differ:\n\(bad.prefix(60).joined(separator: "\n"))")
    }

    /// `new RegExp(p).test(s)` through the translation; nil when the pattern is rejected.
    static func test(_ p: String, _ s: String) -> Bool? {
        JSRegex.icuPattern(p).flatMap { BoundedRegex(pattern: $0) }?.firstMatch(in: JSRegex.icuSubject(s))
    }

    @Test func examples() {
        #expect(Self.test(#"^\/api\/v\d+\/"#, "/api/v2/users") == true)
        #expect(Self.test(#"@statsig\.com$"#, "a@statsig.com\n") == false)  // `$` is the end of input only
        #expect(Self.test(#"^\d+$"#, "\u{663}") == false)  // ASCII digits only
        #expect(Self.test(#"\bé"#, "é") == false)  // ASCII word characters only
        #expect(Self.test(#"^.$"#, "\u{85}") == true && Self.test(#"^.$"#, "\u{2028}") == false)
        #expect(Self.test(#"[\w-z]"#, "-") == true && Self.test(#"[\w-z]"#, "`") == false)
        #expect(Self.test("[]", "a") == false && Self.test("^[^]$", "\n") == true)
        #expect(Self.test("a{,3}", "a{,3}") == true && Self.test("x{", "x{") == true)
        #expect(Self.test(#"\p{L}"#, "p{L}") == true && Self.test(#"\k"#, "k") == true)
        #expect(Self.test(#"(a)\2"#, "a\u{2}") == true)  // octal, not a back reference
        #expect(Self.test(#"\1(a)"#, "a") == true)  // a reference before its group matches empty
        // UTF-16 code units: a character outside the BMP is two.
        #expect(Self.test("^.$", "😀") == false && Self.test("^..$", "😀") == true)
        #expect(Self.test("^[😀]$", "😀") == false && Self.test("^[😀]{2}$", "😀") == true)
        #expect(Self.test(#"\uD83D"#, "a😀") == true && Self.test("^😀+$", "😀😀") == false)  // + repeats the low half
        #expect(JSRegex.icuSubject("abc") == "abc" && JSRegex.icuSubject("a😀").unicodeScalars.map(\.value) == [0x61, 0x10003D, 0x100600])
        // Deep nesting is refused, not a stack overflow.
        #expect(Self.test(String(repeating: "(", count: 40) + "a" + String(repeating: ")", count: 40), "a") == true)
        #expect(JSRegex.icuPattern(String(repeating: "(?:", count: 100_000) + "a" + String(repeating: ")", count: 100_000)) == nil)
        // JavaScript SyntaxErrors that ICU would accept.
        for p in ["a++", "a{2}*", "(?i)a", "(?#c)a", "(?>a)", "(?<=a)*", "^*", "[b-a]", "(?<a>x)(?<a>y)", "(?<a>x)\\k", "\\", "(", ")", "[a"] {
            #expect(JSRegex.icuPattern(p) == nil, "\(p)")
        }
    }
}
