import KVReplayModel
import Testing

@Suite struct NumberFormattingTests {
    // Vectors verified against the Rust core (spec §3.3 and §4.3) and Python.
    @Test(arguments: [
        (9.0, "9"), (0.1, "0.1"), (123.456, "123.456"), (1e16, "10000000000000000"),
        (1e20, "100000000000000000000"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (-0.0, "-0"),
        (9007199254740993.0, "9007199254740992"), (0.5, "0.5"), (-42.25, "-42.25"),
    ])
    func rustDisplay(value: Double, expected: String) {
        #expect(NumberFormatting.rustDisplay(value) == expected)
    }

    @Test(arguments: [
        (9.0, "9.0"), (123.5, "123.5"), (0.0001, "0.0001"), (1e15, "1000000000000000.0"), (1e16, "1e16"),
        (1e21, "1e21"), (1e-7, "1e-7"), (0.0, "0.0"), (1.5e300, "1.5e300"), (2.5e-5, "0.000025"),
    ])
    func serdeJSON(value: Double, expected: String) {
        #expect(NumberFormatting.serdeJSON(value) == expected)
    }

    @Test(arguments: [
        (9.0, "9.0"), (1e21, "1e+21"), (1e-7, "1e-07"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (1.5e300, "1.5e+300"), (123.456, "123.456"),
    ])
    func pythonRepr(value: Double, expected: String) {
        #expect(NumberFormatting.pythonRepr(value) == expected)
    }
}

@Suite struct JSONParserTests {
    @Test func integersStayExactAndDistinctFromFloats() throws {
        let v = try JSONParser.parse(#"{"a": 9, "b": 9.0, "c": 9223372036854775807, "d": -9223372036854775808, "e": 18446744073709551615, "f": 1e2}"#)
        #expect(v["a"] == .int(9))
        #expect(v["b"] == .double(9.0))
        #expect(v["a"] != v["b"])
        #expect(v["c"] == .int(.max))
        #expect(v["d"] == .int(.min))
        #expect(v["e"] == .double(18446744073709551615.0))
        #expect(v["f"] == .double(100))
    }

    @Test func objectsKeepOrderAndLastDuplicateWins() throws {
        let v = try JSONParser.parse(#"{"z": 1, "a": 2, "z": 3}"#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["z", "a"])
        #expect(o["z"] == .int(3))
    }

    @Test func stringsDecodeEscapesAndSurrogatePairs() throws {
        let v = try JSONParser.parse(#"["a\"b\\c\/d\n", "\u00e9\ud83d\ude00", "\ud800x"]"#)
        #expect(v == .array([.string("a\"b\\c/d\n"), .string("é😀"), .string("\u{FFFD}x")]))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "expected a string key"),
        ("[1, 2\n, ]", 2, 3, "unexpected character ']'"),
        ("{\"a\": tru}", 1, 7, "invalid literal"),
        ("01", 1, 1, "leading zero in a number"),
        ("\"abc", 1, 1, "unterminated string"),
        ("[1] 2", 1, 5, "unexpected data after the JSON value"),
        ("", 1, 1, "unexpected end of input"),
    ])
    func errorsNameLineAndColumn(text: String, line: Int, column: Int, reason: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("parsed invalid JSON \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.column == column)
            #expect(error.reason == reason)
        }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        #expect(throws: Never.self) { try JSONParser.parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) }
    }

    @Test func longNumbersAreRejected() {
        let huge = String(repeating: "9", count: 1_000_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(huge) }
    }

    @Test func writerMatchesPythonJSONDumps() throws {
        let v = try JSONParser.parse(#"{"b": [1, 2.0, 1e21, "é\u0001"], "a": {"y": null, "x": true}, "B": 0.1}"#)
        #expect(JSONWriter(style: .python).string(v) == #"{"B":0.1,"a":{"x":true,"y":null},"b":[1,2.0,1e+21,"é\u0001"]}"#)
        #expect(JSONWriter(style: .serde).string(v) == #"{"b":[1,2.0,1e21,"é\u0001"],"a":{"y":null,"x":true},"B":0.1}"#)
    }
}
