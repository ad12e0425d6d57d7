import CKVHash
import Foundation
import KVReplayModel
import Testing

@testable import KVReplayIngest

@Suite("Ingest building blocks")
struct UnitTests {
    @Test("timestamps: ISO 8601 forms and epoch seconds/milliseconds")
    func timestamps() {
        #expect(Timestamps.parse("2026-01-05T10:00:00Z") == 1_767_607_200_000)
        #expect(Timestamps.parse("2026-01-05 10:00:00.123") == 1_767_607_200_123)
        #expect(Timestamps.parse("2026-01-05T11:00:00+01:00") == 1_767_607_200_000)
        #expect(Timestamps.parse("2026-01-05 10:00:00 UTC") == 1_767_607_200_000)
        #expect(Timestamps.parse("2026-01-05") == 1_767_571_200_000)
        #expect(Timestamps.parse("20260105T100000Z") == 1_767_607_200_000)
        #expect(Timestamps.parse("1767607200") == 1_767_607_200_000)
        #expect(Timestamps.parse("1767607200123") == 1_767_607_200_123)
        #expect(Timestamps.parse("yesterday") == nil)
        #expect(Timestamps.parse("2026-13-01") == nil)
    }

    @Test("timestamps in file names")
    func fileNames() {
        #expect(Timestamps.fromFileName("statsig-abc_2026-01-05T10-00-00Z.json") == 1_767_607_200_000)
        #expect(Timestamps.fromFileName("snapshot-20260105T100000Z.json.gz") == 1_767_607_200_000)
        #expect(Timestamps.fromFileName("kv-2026-01-05.json") == 1_767_571_200_000)
        #expect(Timestamps.fromFileName("dump_1767607200.json") == 1_767_607_200_000)
        #expect(Timestamps.fromFileName("dump_1767607200123.json") == 1_767_607_200_123)
        // IDs and counters are not dates.
        #expect(Timestamps.fromFileName("statsig-1gh32fg61hds9876.json") == nil)
        #expect(Timestamps.fromFileName("part-00001.json") == nil)
        #expect(Timestamps.fromFileName("dump_9999999999.json") == nil)
    }

    @Test("incremental SHA-256 equals the one-shot digest for any split")
    func sha256Stream() {
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 4097] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var digest = [UInt8](repeating: 0, count: 32)
            kv_sha256(bytes, bytes.count, &digest)
            for _ in 0..<5 {
                var s = SHA256Stream()
                var i = 0
                while i < bytes.count {
                    let n = min(bytes.count - i, Int.random(in: 1...70, using: &rng))
                    s.update(Array(bytes[i..<(i + n)]))
                    i += n
                }
                #expect(s.finalize() == digest, "length \(length)")
            }
        }
        #expect(SHA256Stream.hex([UInt8]("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("the tape accepts and rejects what JSONParser does")
    func tapeAgreesWithParser() {
        let cases = [
            "{}", "[]", "{\"a\":1}", "[1,2.5,-3e2,true,false,null,\"x\"]", "{\"a\":{\"b\":[{}]}}", "\"\\u00e9\\n\"",
            "  {\"k\" : \"v\" }  ", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"abc", "[\"\\x\"]", "tru", "{\"a\":1}x",
            "\"\\ud800\"", "[1e400]", "\"ctl\u{01}\"", "",
        ]
        for text in cases {
            let bytes = Array(text.utf8)
            let parserOK = (try? JSONParser.parse(bytes)) != nil
            var tape = JSONTape()
            let tapeOK = bytes.withUnsafeBufferPointer { b in (try? tape.parseDocument(b)) != nil }
            // A number out of double range is an error for the parser only (the tape does not convert numbers).
            if text == "[1e400]" { continue }
            #expect(parserOK == tapeOK, "\(text)")
        }
    }

    @Test("compact copies of values keep strings intact")
    func compact() throws {
        let text = "{ \"a\" : [ 1 , \"x y\" , {\"b\" :\t null} ],\n \"c\":\"q\\\" z\" }"
        var tape = JSONTape()
        var out = [UInt8]()
        try Array(text.utf8).withUnsafeBufferPointer { b in
            try tape.parseDocument(b)
            tape.appendCompact(b, 0, into: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == "{\"a\":[1,\"x y\",{\"b\":null}],\"c\":\"q\\\" z\"}")
    }

    @Test("CSV fields: quotes, doubled quotes, empty fields")
    func csv() {
        #expect(CSV.fields(Array("a,\"b,c\",\"d \"\"e\"\"\",,f".utf8)) == ["a", "b,c", "d \"e\"", "", "f"])
        #expect(CSV.opensQuote(Array("x,\"open".utf8), initiallyOpen: false))
        #expect(!CSV.opensQuote(Array("close\",y".utf8), initiallyOpen: true))
    }
}
