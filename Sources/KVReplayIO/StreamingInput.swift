#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file (or standard input for `-`) read in chunks, gunzipped on the fly when it starts with the gzip magic.
///
/// Memory is bounded by the chunk size and the inflate ratio of one chunk, whatever the input's size.
/// A corrupt or truncated gzip stream does not throw from ``read()``: the bytes inflated before the damage are
/// delivered, then ``compressionProblem`` says what went wrong, so a caller can keep the good records.
public final class StreamingInput {
    public let path: String
    /// True when the input is gzip (detected from its first two bytes).
    public private(set) var isGzip = false
    /// Bytes read from the file or pipe so far (compressed bytes for gzip input).
    public private(set) var rawBytesRead = 0
    /// What went wrong in the compressed stream, if anything; set when ``read()`` has returned nil.
    public private(set) var compressionProblem: String?

    private let fd: Int32
    private let ownsFD: Bool
    private let chunkSize: Int
    /// The size of the chunks read from the file.
    public var chunkSizeHint: Int { chunkSize }
    private var inflater: Inflater?
    private var pendingRaw: [UInt8]?
    private var rawEOF = false
    private var finished = false
    private let rawObserver: ((UnsafeRawBufferPointer) -> Void)?
    /// The most gzip input may inflate to; past it reading stops with ``compressionProblem`` set.
    public let inflateLimit: Int

    /// Opens `path` (`-` = standard input).
    /// - Parameters:
    ///   - chunkSize: bytes read from the file per call (compressed bytes for gzip).
    ///   - rawObserver: sees every byte as read from the file, before gunzip (to hash the file's content).
    ///   - decompress: false delivers gzip input as it is.
    ///   - inflateLimit: the most gzip input may inflate to (``InputLimits/maxInflatedBytes`` by default).
    public init(path: String, chunkSize: Int = 1 << 20, rawObserver: ((UnsafeRawBufferPointer) -> Void)? = nil,
                decompress: Bool = true, inflateLimit: Int = InputLimits.maxInflatedBytes) throws(FileError)
    {
        self.path = path
        self.inflateLimit = inflateLimit
        self.chunkSize = max(4096, chunkSize)
        self.rawObserver = rawObserver
        if path == "-" {
            fd = 0
            ownsFD = false
        } else {
            var st = stat()
            if stat(path, &st) != 0 { throw FileError(path: path, problem: "no such file") }
            if (st.st_mode & S_IFMT) == S_IFDIR { throw FileError(path: path, problem: "is a directory") }
            let f = open(path, O_RDONLY)
            if f < 0 { throw FileError(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))") }
            fd = f
            ownsFD = true
        }
        // Sniff the gzip magic from the first raw chunk.
        let first = try readRaw()
        if decompress, let first, Gzip.isGzip(first) {
            isGzip = true
            do { inflater = try Inflater() } catch { throw FileError(path: path, problem: "gzip: \(error)") }
        }
        pendingRaw = first
        if first == nil { rawEOF = true }
    }

    deinit {
        if ownsFD { close(fd) }
    }

    private func readRaw() throws(FileError) -> [UInt8]? {
        if rawEOF { return nil }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0
        // Fill the chunk (a pipe returns short reads).
        while filled < chunkSize {
            let n = buffer.withUnsafeMutableBytes { b in systemRead(fd, b.baseAddress! + filled, chunkSize - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, problem: "read failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 { rawEOF = true; break }
            filled += n
        }
        if filled == 0 { return nil }
        if filled < chunkSize { buffer.removeSubrange(filled...) }
        rawBytesRead += filled
        if let rawObserver { buffer.withUnsafeBytes { rawObserver($0) } }
        return buffer
    }

    /// The next chunk of (decompressed) content; nil at the end.
    public func read() throws(FileError) -> [UInt8]? {
        if finished { return nil }
        while true {
            let raw: [UInt8]?
            if let p = pendingRaw { raw = p; pendingRaw = nil } else { raw = try readRaw() }
            guard let raw else {
                finished = true
                if inflater != nil {
                    do { try inflater!.finish() } catch { compressionProblem = "gzip: \(error)" }
                }
                return nil
            }
            guard inflater != nil else { return raw }
            // Compressed bytes are fed in small slices, so that what one call returns stays small whatever the
            // inflate ratio (deflate reaches about 1000:1): at most about one chunk plus 16 MiB.
            var out = [UInt8]()
            var offset = 0
            while offset < raw.count {
                let end = min(raw.count, offset + Self.inflateSlice)
                do {
                    try inflater!.feed(Array(raw[offset..<end]), limit: inflateLimit) { chunk in out.append(contentsOf: chunk) }
                } catch {
                    // Deliver what inflated before the damage (or the limit), then stop.
                    compressionProblem = "gzip: \(error)" + (error.isLimit ? " (the limit is KVREPLAY_MAX_INFLATED_BYTES)" : "")
                    finished = true
                    return out.isEmpty ? nil : out
                }
                offset = end
                if out.count >= chunkSize && offset < raw.count {
                    pendingRaw = Array(raw[offset...])
                    break
                }
            }
            if !out.isEmpty { return out }
        }
    }

    static let inflateSlice = 16 << 10

    /// Reads everything that is left (decompressed) into memory, up to `limit` bytes.
    /// Throws when the compressed stream is damaged or the content is larger than `limit`.
    public func readToEnd(limit: Int = Int.max) throws(FileError) -> [UInt8] {
        var all = [UInt8]()
        while let chunk = try read() {
            if all.count + chunk.count > limit {
                throw FileError(path: path, problem: "larger than \(InputLimits.describe(limit)), the most read whole into memory")
            }
            all.append(contentsOf: chunk)
        }
        if let compressionProblem { throw FileError(path: path, problem: compressionProblem) }
        return all
    }
}

/// A run of complete lines in one contiguous buffer, with their 1-based line numbers.
/// A value type, so a batch can be handed to another thread.
public struct LineBatch: Sendable {
    /// The bytes of the lines (line terminators included).
    public var buffer: [UInt8]
    /// Per line: start and end offsets in `buffer` (end excludes the LF and a CR before it).
    public var starts: [Int]
    public var ends: [Int]
    public var numbers: [Int]
    /// Lines that were longer than the reader's limit: their number and first bytes (the rest was skipped).
    public var overlong: [(number: Int, prefix: [UInt8])]

    public var count: Int { starts.count }

    public init() {
        buffer = []
        starts = []
        ends = []
        numbers = []
        overlong = []
    }

    public func line(_ i: Int) -> ArraySlice<UInt8> { buffer[starts[i]..<ends[i]] }
}

/// Splits a ``StreamingInput`` into lines (LF or CRLF), in batches, holding at most one batch plus one chunk.
///
/// A line longer than `maxLineLength` is not kept: it is reported in ``LineBatch/overlong`` with its first bytes.
/// The last line does not need a terminator.
public struct LineReader {
    public let input: StreamingInput
    public let maxLineLength: Int
    private var carry: [UInt8] = []
    private var nextNumber = 1
    private var skippingOverlong = false
    private var eof = false
    /// Bytes of content consumed so far (decompressed).
    public private(set) var bytesRead = 0

    /// - Parameter initial: content already read from `input` (to sniff its format), read again first.
    public init(input: StreamingInput, maxLineLength: Int = 64 << 20, initial: [UInt8] = []) {
        self.input = input
        self.maxLineLength = maxLineLength
        self.carry = initial
        self.bytesRead = initial.count
    }

    /// Lines delivered or skipped so far.
    public var linesRead: Int { nextNumber - 1 }

    /// The next batch of about `targetBytes` bytes (at least one line); nil at the end of the input.
    public mutating func nextBatch(targetBytes: Int = 4 << 20, maxLines: Int = 16384) throws(FileError) -> LineBatch? {
        if eof && carry.isEmpty { return nil }
        var batch = LineBatch()
        batch.buffer.reserveCapacity(targetBytes + 2 * input.chunkSizeHint + carry.count)
        batch.buffer.append(contentsOf: carry)
        carry = []
        var scanFrom = 0
        var lineStart = 0
        while true {
            // Cut complete lines out of what is buffered.
            batch.buffer.withUnsafeBufferPointer { b in
                var i = scanFrom
                let n = b.count
                while i < n {
                    guard let nl = memchrIndex(b, from: i, byte: 0x0A) else { i = n; break }
                    if skippingOverlong {
                        skippingOverlong = false
                    } else {
                        var end = nl
                        if end > lineStart && b[end - 1] == 0x0D { end -= 1 }
                        batch.starts.append(lineStart)
                        batch.ends.append(end)
                        batch.numbers.append(nextNumber)
                    }
                    nextNumber += 1
                    lineStart = nl + 1
                    i = nl + 1
                    if batch.starts.count >= maxLines { break }
                }
                scanFrom = i
            }
            // A line that grew past the limit: remember its start, drop the rest until its end.
            let scannedAll = scanFrom >= batch.buffer.count
            if scannedAll, !skippingOverlong, batch.buffer.count - lineStart > maxLineLength {
                batch.overlong.append((nextNumber, Array(batch.buffer[lineStart..<min(batch.buffer.count, lineStart + 256)])))
                skippingOverlong = true
                batch.buffer.removeSubrange(lineStart...)
                scanFrom = lineStart
            } else if scannedAll, skippingOverlong, lineStart < batch.buffer.count {
                batch.buffer.removeSubrange(lineStart...)
                scanFrom = lineStart
            }
            if batch.starts.count >= maxLines || lineStart >= targetBytes { break }
            if eof {
                // The last line without a terminator.
                if lineStart < batch.buffer.count && !skippingOverlong {
                    var end = batch.buffer.count
                    if end > lineStart && batch.buffer[end - 1] == 0x0D { end -= 1 }
                    batch.starts.append(lineStart)
                    batch.ends.append(end)
                    batch.numbers.append(nextNumber)
                    nextNumber += 1
                    lineStart = batch.buffer.count
                }
                break
            }
            guard let chunk = try input.read() else {
                eof = true
                continue
            }
            bytesRead += chunk.count
            batch.buffer.append(contentsOf: chunk)
        }
        if lineStart < batch.buffer.count {
            carry = Array(batch.buffer[lineStart...])
            batch.buffer.removeSubrange(lineStart...)
        }
        if batch.starts.isEmpty && batch.overlong.isEmpty && eof && carry.isEmpty { return nil }
        return batch
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}

@inline(__always)
private func memchrIndex(_ b: UnsafeBufferPointer<UInt8>, from: Int, byte: UInt8) -> Int? {
    guard from < b.count, let base = b.baseAddress else { return nil }
    guard let p = memchr(base + from, Int32(byte), b.count - from) else { return nil }
    return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
}
