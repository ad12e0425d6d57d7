import Foundation

/// A file that could not be read.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

public enum FileReading {
    /// The whole file (or standard input for `-`), gunzipped when it is gzip.
    /// Fails, without reading it all, when the file or its inflated content is larger than `limit`
    /// (``InputLimits/maxDocumentBytes`` by default).
    public static func readAll(_ path: String, limit: Int = InputLimits.maxDocumentBytes) throws(FileError) -> [UInt8] {
        let raw: [UInt8]
        if path == "-" {
            let input = try StreamingInput(path: path, chunkSize: 1 << 20, decompress: false)
            var all = [UInt8]()
            while let chunk = try input.read() {
                if all.count + chunk.count > limit { throw tooLarge(path, limit) }
                all.append(contentsOf: chunk)
            }
            raw = all
        } else {
            guard let fh = FileHandle(forReadingAtPath: path) else {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                    throw FileError(path: path, problem: isDir.boolValue ? "is a directory" : "cannot be opened (permission denied?)")
                }
                throw FileError(path: path, problem: "no such file")
            }
            defer { try? fh.close() }
            if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > limit {
                throw tooLarge(path, limit)
            }
            do {
                raw = [UInt8](try fh.readToEnd() ?? Data())
            } catch {
                throw FileError(path: path, problem: "read failed (\(error.localizedDescription))")
            }
        }
        if Gzip.isGzip(raw) {
            do {
                return try Gzip.decompress(raw, limit: limit)
            } catch {
                throw FileError(path: path, problem: "gzip: \(error)" + (error.isLimit ? limitHint : ""))
            }
        }
        return raw
    }

    static let limitHint = " (the limit is KVREPLAY_MAX_DOCUMENT_BYTES)"

    static func tooLarge(_ path: String, _ limit: Int) -> FileError {
        FileError(path: path, problem: "larger than \(InputLimits.describe(limit)), the most read whole into memory\(limitHint)")
    }

    /// Splits bytes into lines (LF or CRLF), each with its 1-based line number.
    public static func lines(_ bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        var out: [(Int, ArraySlice<UInt8>)] = []
        var start = 0
        var number = 1
        for i in bytes.indices where bytes[i] == 0x0A {
            var end = i
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            out.append((number, bytes[start..<end]))
            start = i + 1
            number += 1
        }
        if start < bytes.count {
            var end = bytes.count
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            out.append((number, bytes[start..<end]))
        }
        return out
    }
}
