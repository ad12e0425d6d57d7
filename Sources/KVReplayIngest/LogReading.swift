import Dispatch
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayStore

/// What the reading thread sends to the writing thread.
enum LogItem: Sendable {
    case format(String)
    case batch(MappedBatch)
    /// The end of the file: the SHA-256 of its bytes when they were hashed while reading (standard input),
    /// and how many bytes were read.
    case end(sha256: String, probe: String, rawBytes: Int)
    /// The file cannot be used at all.
    case failure(String)
}

/// A blocking queue of bounded size between one producer and one consumer.
final class BoundedQueue<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [T] = []
    private let capacity: Int
    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; returns false when the consumer has given up.
    func put(_ item: T) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    func take() -> T {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Tells the producer to stop.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }
}

/// Reads one log file on its own thread and sends mapped batches into a queue: NDJSON (events, or bodies one per
/// line), `log_event`/`rgstr` bodies and JSON arrays (one document, parsed whole), or a warehouse CSV export.
struct LogReader: Sendable {
    var path: String
    var parseThreads: Int
    var batchLines: Int
    /// Longest NDJSON/CSV line accepted (a body on one line can be long); a longer one is rejected, not buffered.
    var maxLineLength = InputLimits.maxLineBytes
    /// Largest document (a log_event body or a JSON array) read whole.
    var maxDocumentBytes = InputLimits.maxDocumentBytes
    /// The most a gzip log may inflate to; the lines before are kept, the rest rejected.
    var maxInflatedBytes = InputLimits.maxInflatedBytes

    func run(into queue: BoundedQueue<LogItem>) {
        // The file's identity is hashed here, on the reading thread, as the bytes go by.
        final class HashBox: @unchecked Sendable {
            var h = SHA256Stream()
            var head: [UInt8] = []
        }
        let box = HashBox()
        let input: StreamingInput
        do {
            input = try StreamingInput(path: path, chunkSize: 1 << 20, rawObserver: { bytes in
                box.h.update(bytes)
                if box.head.count < RawFile.probeBytes { box.head.append(contentsOf: bytes.prefix(RawFile.probeBytes - box.head.count)) }
            }, inflateLimit: maxInflatedBytes)
        } catch {
            _ = queue.put(.failure(error.problem))
            return
        }
        do {
            // Sniff the format from the first bytes.
            var head = try input.read() ?? []
            while head.count < 4096, let more = try input.read() { head.append(contentsOf: more) }
            var skip = 0
            if head.starts(with: SnapshotFormats.utf8BOM) { skip = 3 }
            while skip < head.count, head[skip] <= 0x20 { skip += 1 }
            if skip >= head.count {
                if let p = input.compressionProblem { _ = queue.put(.failure(p)); return }
                _ = queue.put(.format("empty"))
                _ = queue.put(.end(sha256: box.h.finalizeHex(), probe: RawFile.probe(size: input.rawBytesRead, head: box.head),
                                   rawBytes: input.rawBytesRead))
                return
            }
            let first = head[skip]
            let firstLineEnd = head[skip...].firstIndex(of: 0x0A)
            if first == UInt8(ascii: "[") {
                try readDocument(input: input, head: head, queue: queue)
            } else if first == UInt8(ascii: "{") {
                // NDJSON when the first line is a JSON value by itself (or runs past what was read); else one
                // pretty-printed document.
                var ndjson = true
                if let end = firstLineEnd {
                    ndjson = (try? JSONParser.parse(head[skip..<end])) != nil
                }
                if ndjson {
                    try readLines(input: input, head: head, queue: queue)
                } else {
                    try readDocument(input: input, head: head, queue: queue)
                }
            } else {
                let firstLine = String(decoding: head[skip..<(firstLineEnd ?? head.count)], as: UTF8.self)
                if WarehouseLayout.looksLikeHeader(firstLine) {
                    try readCSV(input: input, head: head, queue: queue)
                } else {
                    _ = queue.put(.failure("not a recognized log format (expected NDJSON events, a log_event/rgstr body, "
                        + "or a warehouse exposures CSV with a unit_id column)"))
                    return
                }
            }
        } catch let error as FileError {
            _ = queue.put(.failure(error.problem))
            return
        } catch {
            _ = queue.put(.failure(String(describing: error)))
            return
        }
        if queue.isCancelled { return }
        // A document was read whole before its events were sent; drain what may be left (nothing, normally).
        do { while try input.read() != nil {} } catch {}
        _ = queue.put(.end(sha256: box.h.finalizeHex(), probe: RawFile.probe(size: input.rawBytesRead, head: box.head),
                           rawBytes: input.rawBytesRead))
    }

    // MARK: NDJSON

    private func readLines(input: StreamingInput, head: [UInt8], queue: BoundedQueue<LogItem>) throws {
        _ = queue.put(.format("ndjson"))
        var reader = LineReader(input: input, maxLineLength: maxLineLength, initial: head)
        while let batch = try reader.nextBatch(targetBytes: 8 << 20, maxLines: batchLines) {
            var mapped = mapLines(batch)
            mapped.bytesSoFar = reader.bytesRead
            if !queue.put(.batch(mapped)) { return }
        }
        if let problem = input.compressionProblem {
            var m = MappedBatch()
            m.rejects.append(RejectRow(line: Int64(reader.linesRead + 1), record: nil, field: nil,
                                       reason: "\(problem): the file ends here; the lines before were ingested", excerpt: nil))
            m.records = 1
            _ = queue.put(.batch(m))
        }
    }

    private func mapLines(_ batch: LineBatch) -> MappedBatch {
        // One chunk per thread: with one thread the batch is mapped in place, with no merge.
        let chunkSize = max(256, (batch.count + parseThreads - 1) / max(1, parseThreads))
        let chunks = Parallel.mapChunks(count: batch.count, chunkSize: chunkSize, threads: parseThreads) { r -> MappedBatch in
            var out = MappedBatch()
            var tape = JSONTape()
            var decoder = EventDecoder()
            batch.buffer.withUnsafeBufferPointer { all in
                for i in r {
                    let line = UnsafeBufferPointer(rebasing: all[batch.starts[i]..<batch.ends[i]])
                    Self.mapLine(line, number: Int64(batch.numbers[i]), tape: &tape, decoder: &decoder, into: &out)
                }
            }
            return out
        }
        var merged = chunks.count == 1 ? chunks[0] : MappedBatch()
        if chunks.count > 1 { for c in chunks { merged.append(c) } }
        if !batch.overlong.isEmpty {
            for (number, prefix) in batch.overlong {
                merged.records += 1
                merged.rejects.append(RejectRow(line: Int64(number), record: nil, field: nil,
                                                reason: "line longer than \(maxLineLength) bytes", excerpt: Excerpt.of(prefix)))
            }
            merged.rejects.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        }
        return merged
    }

    static func mapLine(_ line: UnsafeBufferPointer<UInt8>, number: Int64, tape: inout JSONTape, decoder: inout EventDecoder,
                        into out: inout MappedBatch)
    {
        var start = 0
        var end = line.count
        if number == 1, line.starts(with: SnapshotFormats.utf8BOM) { start = 3 }
        while start < end, line[start] <= 0x20 { start += 1 }
        while end > start, line[end - 1] <= 0x20 { end -= 1 }
        if start == end { return }
        let text = UnsafeBufferPointer(rebasing: line[start..<end])
        do {
            try tape.parseDocument(text)
        } catch {
            out.records += 1
            let truncated = error.offset >= text.count || error.reason.contains("end of input") || error.reason.contains("unterminated")
            out.rejects.append(RejectRow(line: number, record: nil, field: nil,
                                         reason: (truncated ? "truncated JSON" : "not valid JSON") + " (column \(error.column): \(error.reason))",
                                         excerpt: Excerpt.of(text)))
            return
        }
        if tape.tokens[0].kind == .object, let events = tape.member(text, 0, "events") {
            // A whole log_event / rgstr body on one line.
            let context = LogContext(tape: tape, text, tape.member(text, 0, "statsigMetadata"))
            guard tape.tokens[events].kind == .array else {
                out.records += 1
                out.rejects.append(RejectRow(line: number, record: nil, field: "events",
                                             reason: "is \(tape.kindName(tape.tokens[events].kind)), expected an array", excerpt: Excerpt.of(text)))
                return
            }
            var index: Int64 = 0
            tape.forEachElement(events) { e in
                mapEvent(tape, text, e, context: context, line: number, record: index, decoder: &decoder, into: &out)
                index += 1
            }
            return
        }
        mapEvent(tape, text, 0, context: .none, line: number, record: nil, decoder: &decoder, into: &out)
    }

    static func mapEvent(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ i: Int, context: LogContext, line: Int64?, record: Int64?,
                         decoder: inout EventDecoder, into out: inout MappedBatch)
    {
        out.records += 1
        // A rejected record must leave no rows behind.
        let arena = out.rows.arena.count, users = out.rows.users.count, exposures = out.rows.exposures.count
        do {
            try decoder.map(tape, b, i, context: context, line: line, record: record, into: &out.rows)
        } catch {
            out.rows.arena.removeSubrange(arena...)
            out.rows.users.removeSubrange(users...)
            out.rows.exposures.removeSubrange(exposures...)
            out.rejects.append(RejectRow(line: line, record: record.map { "events[\($0)]" }, field: error.field, reason: error.reason,
                                         excerpt: Excerpt.of(tape.span(b, i))))
        }
    }

    // MARK: Documents

    /// A log_event/rgstr body, a single event, or a JSON array of either: one document, read whole; its events are
    /// located first (so the body's statsigMetadata is known before they are mapped), then parsed and mapped in
    /// parallel chunks. A syntax error anywhere makes the whole document unusable.
    private func readDocument(input: StreamingInput, head: [UInt8], queue: BoundedQueue<LogItem>) throws {
        var all = head
        while let chunk = try input.read() {
            if all.count + chunk.count > maxDocumentBytes {
                let message: String = "larger than \(InputLimits.describe(maxDocumentBytes)): a log_event body or JSON array is "
                    + "read whole, and this one is too large (the limit is KVREPLAY_MAX_DOCUMENT_BYTES; NDJSON, one event per line, "
                    + "has no size limit)"
                _ = queue.put(.failure(message))
                return
            }
            all.append(contentsOf: chunk)
        }
        if let problem = input.compressionProblem {
            _ = queue.put(.failure("\(problem) (a log_event body is one JSON document and cannot be read in part)"))
            return
        }
        if all.starts(with: SnapshotFormats.utf8BOM) { all.removeFirst(3) }
        let rawBytes = input.rawBytesRead
        let outcome: DocumentOutcome = all.withUnsafeBufferPointer { b in walkDocument(b, queue: queue, rawBytes: rawBytes) }
        if case .failure(let message) = outcome { _ = queue.put(.failure(message)) }
    }

    private enum DocumentOutcome { case done, failure(String) }

    /// Where the events of a document are: byte ranges, with the body they belong to.
    private struct EventRef {
        var range: Range<Int>
        var body: Int
        var index: Int64
        /// Events not inside a body (a bare event, or an array of events) have no record index.
        var inBody: Bool
    }

    private func walkDocument(_ b: UnsafeBufferPointer<UInt8>, queue: BoundedQueue<LogItem>, rawBytes: Int) -> DocumentOutcome {
        var tape = JSONTape()
        func failure(_ e: JSONParseError, at base: Int) -> DocumentOutcome {
            let position = tape.error(b, base + e.offset, e.reason)
            let truncated = base + e.offset >= b.count || e.reason.contains("end of input") || e.reason.contains("unterminated")
            return .failure((truncated ? "truncated: the JSON ends early (" : "not valid JSON (") + "\(position))")
        }
        var p = 0
        tape.skipWS(b, &p)
        guard p < b.count else { return .failure("empty file") }
        var contexts: [LogContext] = []
        var events: [EventRef] = []
        var format = "log-event-body"
        // Collects a body's events; the body's other members are parsed (validated), statsigMetadata read.
        func body(at start: Int, bodyIndex: Int) throws(JSONParseError) -> Int {
            var q = start + 1
            var context = LogContext.none
            var found = false
            tape.skipWS(b, &q)
            if q < b.count, b[q] == UInt8(ascii: "}") { contexts.append(context); return q + 1 }
            while true {
                tape.skipWS(b, &q)
                guard q < b.count, b[q] == UInt8(ascii: "\"") else { throw tape.error(b, q, "expected a string key") }
                let keyStart = q
                guard JSONScan.skipString(b, &q) else { throw tape.error(b, keyStart, "unterminated string") }
                let key = String(decoding: UnsafeBufferPointer(rebasing: b[(keyStart + 1)..<(q - 1)]), as: UTF8.self)
                tape.skipWS(b, &q)
                guard q < b.count, b[q] == UInt8(ascii: ":") else { throw tape.error(b, q, "expected ':' after an object key") }
                q += 1
                tape.skipWS(b, &q)
                if key == "events", q < b.count, b[q] == UInt8(ascii: "[") {
                    found = true
                    q += 1
                    var index: Int64 = 0
                    tape.skipWS(b, &q)
                    if q < b.count, b[q] == UInt8(ascii: "]") {
                        q += 1
                    } else {
                        while true {
                            tape.skipWS(b, &q)
                            let s = q
                            guard JSONScan.skipValue(b, &q) else { throw tape.error(b, s, "unexpected end of input in an array") }
                            events.append(EventRef(range: s..<q, body: bodyIndex, index: index, inBody: true))
                            index += 1
                            tape.skipWS(b, &q)
                            guard q < b.count else { throw tape.error(b, q, "unexpected end of input in an array") }
                            let c = b[q]
                            q += 1
                            if c == UInt8(ascii: ",") { continue }
                            if c == UInt8(ascii: "]") { break }
                            throw tape.error(b, q - 1, "expected ',' or ']' in an array")
                        }
                    }
                } else {
                    let s = q
                    try tape.parseValue(b, at: &q)
                    if key == "statsigMetadata" { context = LogContext(tape: tape, b, 0) }
                    if key == "events" {
                        // Not an array: reported as a rejected record below.
                        found = true
                        events.append(EventRef(range: s..<q, body: bodyIndex, index: -1, inBody: true))
                    }
                }
                tape.skipWS(b, &q)
                guard q < b.count else { throw tape.error(b, q, "unexpected end of input in an object") }
                let c = b[q]
                q += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw tape.error(b, q - 1, "expected ',' or '}' in an object")
            }
            contexts.append(context)
            if !found { throw tape.error(b, start, "not a log_event body: no events") }
            return q
        }
        do throws(JSONParseError) {
            if b[p] == UInt8(ascii: "{") {
                let top = JSONScan.topLevelKeys(b, from: p)
                if top.contains("events") {
                    p = try body(at: p, bodyIndex: 0)
                } else if top.contains("eventName") {
                    format = "event"
                    let s = p
                    try tape.parseValue(b, at: &p)
                    contexts.append(.none)
                    events.append(EventRef(range: s..<p, body: 0, index: 0, inBody: false))
                } else {
                    return .failure("not a recognized log format: a JSON object without events (expected a log_event/rgstr body)")
                }
            } else if b[p] == UInt8(ascii: "[") {
                format = "event-array"
                contexts.append(.none)
                p += 1
                tape.skipWS(b, &p)
                var index: Int64 = 0
                if p < b.count, b[p] == UInt8(ascii: "]") {
                    p += 1
                } else {
                    while true {
                        tape.skipWS(b, &p)
                        guard p < b.count else { throw tape.error(b, p, "unexpected end of input in an array") }
                        if b[p] == UInt8(ascii: "{"), JSONScan.topLevelKeys(b, from: p).contains("events") {
                            format = "log-event-body-array"
                            p = try body(at: p, bodyIndex: contexts.count)
                        } else {
                            let s = p
                            guard JSONScan.skipValue(b, &p) else { throw tape.error(b, s, "unexpected end of input in an array") }
                            events.append(EventRef(range: s..<p, body: 0, index: index, inBody: false))
                        }
                        index += 1
                        tape.skipWS(b, &p)
                        guard p < b.count else { throw tape.error(b, p, "unexpected end of input in an array") }
                        let c = b[p]
                        p += 1
                        if c == UInt8(ascii: ",") { continue }
                        if c == UInt8(ascii: "]") { break }
                        throw tape.error(b, p - 1, "expected ',' or ']' in an array")
                    }
                }
            } else {
                return .failure("not a recognized log format")
            }
            tape.skipWS(b, &p)
            if p < b.count { throw tape.error(b, p, "unexpected data after the JSON value") }
        } catch {
            return failure(error, at: 0)
        }
        _ = queue.put(.format(format))

        // Parse and map the events, in parallel chunks, batch by batch.
        var start = 0
        while start < events.count {
            let end = min(events.count, start + batchLines)
            let slice = Array(events[start..<end])
            let ctx = contexts
            nonisolated(unsafe) let doc = b
            let chunks = Parallel.mapChunks(count: slice.count, chunkSize: 1024, threads: parseThreads) { r -> Result<MappedBatch, JSONParseError> in
                var out = MappedBatch()
                var tape = JSONTape()
                var decoder = EventDecoder()
                for i in r {
                    let e = slice[i]
                    let text = UnsafeBufferPointer(rebasing: doc[e.range])
                    do throws(JSONParseError) {
                        try tape.parseDocument(text)
                    } catch {
                        return .failure(JSONParseError(offset: e.range.lowerBound + error.offset, line: 0, column: 0, reason: error.reason))
                    }
                    if e.index < 0 {
                        out.records += 1
                        out.rejects.append(RejectRow(line: nil, record: "events", field: "events",
                                                     reason: "is \(tape.kindName(tape.tokens[0].kind)), expected an array", excerpt: Excerpt.of(text)))
                        continue
                    }
                    Self.mapEvent(tape, text, 0, context: ctx[e.body], line: nil, record: e.inBody ? e.index : nil, decoder: &decoder, into: &out)
                    if ctx.count > 1, !out.rejects.isEmpty, e.inBody, let last = out.rejects.last, last.record == "events[\(e.index)]" {
                        out.rejects[out.rejects.count - 1].record = "[\(e.body)].events[\(e.index)]"
                    }
                }
                return .success(out)
            }
            var merged = MappedBatch()
            for c in chunks {
                switch c {
                case .success(let m): merged.append(m)
                case .failure(let e): return failure(e, at: 0)
                }
            }
            merged.bytesSoFar = rawBytes
            if !queue.put(.batch(merged)) { return .done }
            start = end
        }
        return .done
    }

    // MARK: CSV

    private func readCSV(input: StreamingInput, head: [UInt8], queue: BoundedQueue<LogItem>) throws {
        _ = queue.put(.format("warehouse-csv"))
        var reader = LineReader(input: input, maxLineLength: maxLineLength, initial: head)
        var layout: WarehouseLayout? = nil
        var pending = [UInt8]()
        var pendingLine = 0
        var open = false
        var out = MappedBatch()
        func finishRecord() -> Bool {
            let record = pending
            pending = []
            if record.allSatisfy({ $0 <= 0x20 }) { return true }
            let fields = CSV.fields(record)
            guard let l = layout else {
                layout = WarehouseLayout(header: fields)
                if layout == nil {
                    out.records += 1
                    out.rejects.append(RejectRow(line: Int64(pendingLine), record: nil, field: nil,
                                                 reason: "the header has no unit_id or name column", excerpt: Excerpt.of(record)))
                    return false
                }
                return true
            }
            out.records += 1
            do {
                let (exposure, user) = try l.map(fields, line: Int64(pendingLine))
                out.rows.append(exposure: exposure, user: user)
            } catch {
                out.rejects.append(RejectRow(line: Int64(pendingLine), record: nil, field: error.field, reason: error.reason,
                                             excerpt: Excerpt.of(record)))
            }
            return true
        }
        while let batch = try reader.nextBatch(targetBytes: 4 << 20, maxLines: batchLines) {
            for (number, prefix) in batch.overlong {
                out.records += 1
                out.rejects.append(RejectRow(line: Int64(number), record: nil, field: nil, reason: "line longer than \(maxLineLength) bytes",
                                             excerpt: Excerpt.of(prefix)))
            }
            for i in 0..<batch.count {
                let line = batch.line(i)
                if open {
                    pending.append(0x0A)
                } else {
                    pendingLine = batch.numbers[i]
                }
                pending.append(contentsOf: line)
                open = CSV.opensQuote(line, initiallyOpen: open)
                if open && pending.count > maxLineLength {
                    // A quote that never closes would otherwise gather the rest of the file into one record.
                    out.records += 1
                    out.rejects.append(RejectRow(line: Int64(pendingLine), record: nil, field: nil,
                                                 reason: "a quoted record longer than \(maxLineLength) bytes (a quote not closed?)",
                                                 excerpt: Excerpt.of(pending)))
                    pending = []
                    open = false
                    continue
                }
                if !open {
                    if !finishRecord() {
                        out.bytesSoFar = reader.bytesRead
                        _ = queue.put(.batch(out))
                        return
                    }
                }
            }
            out.bytesSoFar = reader.bytesRead
            if !queue.put(.batch(out)) { return }
            out = MappedBatch()
        }
        if open {
            out.records += 1
            out.rejects.append(RejectRow(line: Int64(pendingLine), record: nil, field: nil, reason: "a quoted field is not closed before the end of the file",
                                         excerpt: Excerpt.of(pending)))
        }
        if let problem = input.compressionProblem {
            out.records += 1
            out.rejects.append(RejectRow(line: Int64(reader.linesRead + 1), record: nil, field: nil,
                                         reason: "\(problem): the file ends here; the lines before were ingested", excerpt: nil))
        }
        out.bytesSoFar = reader.bytesRead
        _ = queue.put(.batch(out))
    }
}
