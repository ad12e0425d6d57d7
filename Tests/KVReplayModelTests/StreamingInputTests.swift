import Foundation
import KVReplayIO
import Testing

private func temp(_ bytes: [UInt8]) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-io-\(UUID().uuidString)")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

private func allLines(_ path: String, chunk: Int = 4096, maxLine: Int = 1 << 20, batchBytes: Int = 1 << 16, maxLines: Int = 7)
    throws -> (lines: [(Int, String)], overlong: [Int], problem: String?)
{
    let input = try StreamingInput(path: path, chunkSize: chunk)
    var reader = LineReader(input: input, maxLineLength: maxLine)
    var lines: [(Int, String)] = []
    var overlong: [Int] = []
    while let b = try reader.nextBatch(targetBytes: batchBytes, maxLines: maxLines) {
        for i in 0..<b.count { lines.append((b.numbers[i], String(decoding: b.line(i), as: UTF8.self))) }
        overlong += b.overlong.map(\.number)
    }
    return (lines, overlong, input.compressionProblem)
}

@Suite("Streaming input and line reader")
struct StreamingInputTests {
    @Test("lines across chunk and batch boundaries, CRLF, a last line without a terminator")
    func lines() throws {
        var text = ""
        for i in 1...3000 { text += "line \(i) " + String(repeating: "x", count: i % 37) + (i % 5 == 0 ? "\r\n" : "\n") }
        text += "last"
        let path = try temp(Array(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (lines, overlong, problem) = try allLines(path, chunk: 4096)
        #expect(lines.count == 3001)
        #expect(overlong.isEmpty)
        #expect(problem == nil)
        #expect(lines.map(\.0) == Array(1...3001))
        #expect(lines[4].1 == "line 5 " + String(repeating: "x", count: 5))
        #expect(lines.last?.1 == "last")
    }

    @Test("gzip input reads like the plain text; truncated gzip delivers what came before and says so")
    func gzip() throws {
        var text = ""
        for i in 1...20000 { text += "{\"n\":\(i),\"pad\":\"\(String(repeating: "p", count: i % 50))\"}\n" }
        let gz = try Gzip.compress(Array(text.utf8))
        let path = try temp(gz)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (lines, _, problem) = try allLines(path, maxLines: 1000)
        #expect(lines.count == 20000)
        #expect(problem == nil)
        let cut = try temp(Array(gz[0..<(gz.count / 2)]))
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let (partial, _, cutProblem) = try allLines(cut, maxLines: 1000)
        #expect(partial.count > 1000 && partial.count < 20000)
        #expect(cutProblem?.contains("truncated") == true)
        #expect(partial.dropLast().allSatisfy { $0.1.hasSuffix("}") })
    }

    @Test("a line over the limit is reported, not kept; memory stays bounded")
    func overlong() throws {
        let text = "short\n" + String(repeating: "y", count: 50_000) + "\nafter\n"
        let path = try temp(Array(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (lines, overlong, _) = try allLines(path, chunk: 4096, maxLine: 10_000)
        #expect(lines.map(\.1) == ["short", "after"])
        #expect(lines.map(\.0) == [1, 3])
        #expect(overlong == [2])
    }

    @Test("content read ahead (to sniff a format) is read again first")
    func initial() throws {
        let path = try temp(Array("a\nb\nc\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let input = try StreamingInput(path: path, chunkSize: 4096)
        let head = try input.read() ?? []
        var reader = LineReader(input: input, initial: head)
        var got: [String] = []
        while let b = try reader.nextBatch() { for i in 0..<b.count { got.append(String(decoding: b.line(i), as: UTF8.self)) } }
        #expect(got == ["a", "b", "c"])
    }

    @Test("a missing file and a folder are errors naming the path")
    func errors() {
        #expect(throws: FileError.self) { try StreamingInput(path: "/nonexistent/kvreplay") }
        #expect(throws: FileError.self) { try StreamingInput(path: NSTemporaryDirectory()) }
    }
}
