import Foundation
import KVReplayIO
import KVReplayModel
import Testing

@testable import KVReplayEvaluation

/// `JSDate.parse` against V8 itself: `Fixtures/js_date_cases.jsonl.gz` holds `new Date(s).getTime()` (null for an
/// Invalid Date) as Node 20 answered with TZ=UTC for 11,696 texts: the ES5 ISO forms and their near misses,
/// legacy forms (month and weekday names, AM/PM, zone names, offsets, comments), numbers of 1–13 digits, white
/// space and non-ASCII code units, and seeded fuzzing (`Tests/Tools/make_js_date_cases.js`).
struct JSDateTests {
    static func cases() throws -> [(text: String, time: Double?)] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/js_date_cases.jsonl", withExtension: "gz"))
        return try FileReading.lines(FileReading.readAll(url.path)).compactMap { (number, line) in
            if line.isEmpty { return nil }
            let o = try JSONParser.parse(line)
            guard let s = o["s"]?.stringValue, let t = o["t"] else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "js_date_cases line \(number): no s or t"])
            }
            return (s, t.isNull ? nil : t.doubleValue)
        }
    }

    @Test func agreesWithV8() throws {
        let all = try Self.cases()
        #expect(all.count > 10_000)
        var bad: [String] = []
        for (text, expected) in all {
            let got = JSDate.parse(text)
            let same = expected.map { got == $0 } ?? got.isNaN
            if !same { bad.append("\(text.debugDescription): ours \(got), V8 \(expected.map { "\($0)" } ?? "NaN")") }
        }
        #expect(bad.isEmpty, "\(bad.count) of \(all.count) texts differ:\n\(bad.prefix(30).joined(separator: "\n"))")
    }

    @Test func examples() {
        #expect(JSDate.parse("2024") == 1_704_067_200_000)
        #expect(JSDate.parse("12") == 1_007_164_800_000)  // month 12, day 1, year 1 → 2001
        #expect(JSDate.parse("-1") == 978_307_200_000)
        #expect(JSDate.parse("1.5") == 978_652_800_000)
        #expect(JSDate.parse("100") == -59_011_459_200_000)
        #expect(JSDate.parse("10000") == 253_402_300_800_000)
        #expect(JSDate.parse("2024-02-30") == 1_709_251_200_000)
        #expect(JSDate.parse("2024-01-01t10:00:00z") == 1_704_103_200_000)
        #expect(JSDate.parse("+275760-09-13T00:00:00.000Z") == 8.64e15)
        #expect(JSDate.parse("+275760-09-13T00:00:00.001Z").isNaN)
        #expect(JSDate.parse("1700000000").isNaN)
        #expect(JSDate.parse("2024-01-01T10Z").isNaN)
        #expect(JSDate.parse("").isNaN)
        // Leading zeros do not count towards a number's 9 significant digits.
        #expect(JSDate.parse("00000005000") == 95_617_584_000_000)
        #expect(JSDate.parse("2024-01-01T10:00:00.0001234567899") == 1_704_103_200_123)
        // U+00A0 is white space, U+2028 a letter (garbage after a number).
        #expect(JSDate.parse("2024-01-01\u{A0}10:00") == 1_704_103_200_000)
        #expect(JSDate.parse("2024-01-01\u{2028}").isNaN)
    }
}
