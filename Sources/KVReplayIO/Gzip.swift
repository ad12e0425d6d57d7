import CZlib

/// Why compressed data could not be read or written.
public struct CompressionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when the data was sound but inflated past the caller's limit (a bomb, or a limit set too low).
    public var isLimit = false
    public var description: String { message }
}

/// gzip and zlib through the system zlib.
public enum Gzip {
    /// True when the bytes start with the gzip magic number.
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var it = bytes.makeIterator()
        return it.next() == 0x1F && it.next() == 0x8B
    }

    /// Inflates gzip or zlib data (the header is detected), concatenated gzip members included.
    /// `limit` bounds the inflated size: a bomb stops with an error instead of exhausting memory.
    public static func decompress(_ input: [UInt8], limit: Int = InputLimits.maxDocumentBytes) throws(CompressionError) -> [UInt8] {
        var output = [UInt8]()
        var decompressor = try Inflater()
        try decompressor.feed(input, limit: limit) { output.append(contentsOf: $0) }
        try decompressor.finish()
        return output
    }

    /// gzip (`.gz`) bytes of `input`, readable by `gzip -d`. The header carries no name and no time, so the
    /// same input always gives the same bytes.
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        try deflate(input, level: level, windowBits: 15 + 16)
    }

    /// zlib-format bytes of `input` (how payloads are stored in the database).
    public static func zlibCompress(_ input: [UInt8], level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        try deflate(input, level: level, windowBits: 15)
    }

    static func deflate(_ input: [UInt8], level: Int32, windowBits: Int32) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflateInit2(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK else {
            throw CompressionError(message: "zlib: deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let rc = CZlib.deflate(&stream, Z_FINISH)
                return rc == Z_STREAM_END ? outBuf.count - Int(stream.avail_out) : -1
            }
        }
        guard produced >= 0 else { throw CompressionError(message: "zlib: deflate failed") }
        output.removeSubrange(produced...)
        return output
    }
}

/// Streaming inflate of gzip/zlib data, member after member.
public struct Inflater: ~Copyable {
    private var stream: UnsafeMutablePointer<z_stream>
    private var ended = false
    private var total = 0
    private var started = false

    public init() throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflateInit2(stream, 15 + 32) == Z_OK else {
            stream.deallocate()
            throw CompressionError(message: "zlib: inflateInit2 failed")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Feeds compressed bytes; `emit` receives inflated chunks.
    public mutating func feed(_ input: [UInt8], limit: Int = .max, emit: ([UInt8]) throws(CompressionError) -> Void) throws(CompressionError) {
        if input.isEmpty { return }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        while offset < input.count {
            if ended {
                // Another gzip member follows (as `gzip -d` accepts); skip zero padding.
                if input[offset] == 0 { offset += 1; continue }
                inflateReset(stream)
                ended = false
            }
            started = true
            var produced = 0
            var rc: Int32 = Z_OK
            var consumed = 0
            input.withUnsafeBufferPointer { inBuf in
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + offset)
                    stream.pointee.avail_in = uInt(inBuf.count - offset)
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(outBuf.count)
                    rc = CZlib.inflate(stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.pointee.avail_out)
                    consumed = (inBuf.count - offset) - Int(stream.pointee.avail_in)
                }
            }
            offset += consumed
            if rc == Z_STREAM_END { ended = true }
            else if rc == Z_BUF_ERROR && produced == 0 && consumed == 0 { break }
            else if rc != Z_OK {
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                throw CompressionError(message: "corrupt compressed data (\(msg))")
            }
            total += produced
            if total > limit { throw CompressionError(message: "inflates to more than \(InputLimits.describe(limit))", isLimit: true) }
            if produced > 0 { try emit(Array(chunk[0..<produced])) }
        }
    }

    /// Fails when the data ended in the middle of a member.
    public func finish() throws(CompressionError) {
        if started && !ended { throw CompressionError(message: "compressed data is truncated") }
    }
}
