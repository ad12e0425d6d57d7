import Dispatch
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayStore

/// Rows mapped from a run of log records, in record order.
struct MappedBatch: Sendable {
    var users: [UserObservation] = []
    /// Exposures with the index of their user in `users`.
    var exposures: [ExposureRow] = []
    var exposureUsers: [Int32] = []
    var rejects: [RejectRow] = []
    /// Records read (events, CSV rows), rejected ones included.
    var records = 0
    /// Content bytes consumed so far in the file (decompressed).
    var bytesSoFar = 0

    mutating func add(_ m: MappedRecord) {
        var index: Int32 = -1
        if let u = m.user {
            index = Int32(users.count)
            users.append(u)
        }
        if let x = m.exposure {
            exposures.append(x)
            exposureUsers.append(index)
        }
    }

    mutating func append(_ other: MappedBatch) {
        let base = Int32(users.count)
        users.append(contentsOf: other.users)
        exposures.append(contentsOf: other.exposures)
        exposureUsers.append(contentsOf: other.exposureUsers.map { $0 < 0 ? $0 : $0 + base })
        rejects.append(contentsOf: other.rejects)
        records += other.records
    }
}

/// What the reading thread sends to the writing thread.
enum LogItem: Sendable {
    case format(String)
    case batch(MappedBatch)
    /// The end of the file: the SHA-256 of its bytes when they were hashed while reading (standard input),
    /// and how many bytes were read.
    case end(sha256: String?, rawBytes: Int)
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
    /// Hash the bytes while reading (for standard input, which cannot be read twice).
    var hashWhileReading: Bool
    var parseThreads: Int
    var batchLines: Int
    /// Longest NDJSON line accepted (a body on one line can be long).
    var maxLineLength = 256 << 20

    func run(into queue: BoundedQueue<LogItem>) {
        final class HashBox: @unchecked Sendable { var h = SHA256Stream() }
        let box = HashBox()
        let input: StreamingInput
        do {
            input = try StreamingInput(path: path, chunkSize: 1 << 20,
                                       rawObserver: hashWhileReading ? { box.h.update($0) } : nil)
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
                _ = queue.put(.end(sha256: hashWhileReading ? box.h.finalizeHex() : nil, rawBytes: input.rawBytesRead))
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
        _ = queue.put(.end(sha256: hashWhileReading ? box.h.finalizeHex() : nil, rawBytes: input.rawBytesRead))
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
        let n = batch.count
        let chunks = Parallel.mapChunks(count: n, chunkSize: 1024, threads: parseThreads) { r -> MappedBatch in
            var out = MappedBatch()
            for i in r { Self.mapLine(batch.line(i), number: Int64(batch.numbers[i]), into: &out) }
            return out
        }
        var merged = MappedBatch()
        for (number, prefix) in batch.overlong {
            merged.records += 1
            merged.rejects.append(RejectRow(line: Int64(number), record: nil, field: nil,
                                            reason: "line longer than \(maxLineLength) bytes", excerpt: Excerpt.of(prefix)))
        }
        for c in chunks { merged.append(c) }
        if !batch.overlong.isEmpty {
            merged.rejects.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        }
        return merged
    }

    static func mapLine(_ line: ArraySlice<UInt8>, number: Int64, into out: inout MappedBatch) {
        var start = line.startIndex
        var end = line.endIndex
        while start < end, line[start] <= 0x20 { start += 1 }
        while end > start, line[end - 1] <= 0x20 { end -= 1 }
        if start == end { return }
        if number == 1, line[start...].starts(with: SnapshotFormats.utf8BOM) { start += 3 }
        let text = line[start..<end]
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            out.records += 1
            let truncated = error.offset >= text.count
            out.rejects.append(RejectRow(line: number, record: nil, field: nil,
                                         reason: (truncated ? "truncated JSON" : "not valid JSON") + " (column \(error.column): \(error.reason))",
                                         excerpt: Excerpt.of(text)))
            return
        }
        if case .object(let o) = json, let events = o["events"] {
            // A whole log_event / rgstr body on one line.
            mapBody(events: events, statsigMetadata: o["statsigMetadata"], line: number, excerptSource: text, into: &out)
            return
        }
        out.records += 1
        do {
            out.add(try EventMapper.map(json, context: .none, line: number, record: nil))
        } catch {
            out.rejects.append(RejectRow(line: number, record: nil, field: error.field, reason: error.reason, excerpt: Excerpt.of(text)))
        }
    }

    static func mapBody(events: JSONValue, statsigMetadata: JSONValue?, line: Int64?, excerptSource: ArraySlice<UInt8>?,
                        range: Range<Int>? = nil, into out: inout MappedBatch)
    {
        guard case .array(let list) = events else {
            out.records += 1
            out.rejects.append(RejectRow(line: line, record: nil, field: "events", reason: "is \(events.kindName), expected an array",
                                         excerpt: excerptSource.map { Excerpt.of($0) }))
            return
        }
        let context = LogContext(statsigMetadata: statsigMetadata)
        for i in range ?? list.indices {
            out.records += 1
            do {
                out.add(try EventMapper.map(list[i], context: context, line: line, record: Int64(i)))
            } catch {
                out.rejects.append(RejectRow(line: line, record: "events[\(i)]", field: error.field, reason: error.reason,
                                             excerpt: Excerpt.of(SnapshotFormats.compact(list[i]))))
            }
        }
    }

    // MARK: Documents

    private func readDocument(input: StreamingInput, head: [UInt8], queue: BoundedQueue<LogItem>) throws {
        var all = head
        while let chunk = try input.read() { all.append(contentsOf: chunk) }
        if let problem = input.compressionProblem {
            _ = queue.put(.failure("\(problem) (a log_event body is one JSON document and cannot be read in part)"))
            return
        }
        if all.starts(with: SnapshotFormats.utf8BOM) { all.removeFirst(3) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(all)
        } catch {
            let truncated = error.offset >= all.count || error.reason.contains("end of input")
            _ = queue.put(.failure((truncated ? "truncated: the JSON ends early (" : "not valid JSON (") + "\(error))"))
            return
        }
        all = []
        // A body, a single event, or an array of either.
        var units: [(events: JSONValue, metadata: JSONValue?, record: Int?)] = []
        var format = "log-event-body"
        switch json {
        case .object(let o):
            if let events = o["events"] {
                units.append((events, o["statsigMetadata"], nil))
            } else if o["eventName"] != nil {
                units.append((.array([json]), nil, nil))
                format = "event"
            } else {
                _ = queue.put(.failure("not a recognized log format: a JSON object without events (expected a log_event/rgstr body)"))
                return
            }
        case .array(let a):
            format = "event-array"
            if a.allSatisfy({ $0["events"] != nil }) && !a.isEmpty {
                format = "log-event-body-array"
                for (i, b) in a.enumerated() { units.append((b["events"]!, b["statsigMetadata"], i)) }
            } else {
                units.append((json, nil, nil))
            }
        default:
            _ = queue.put(.failure("not a recognized log format: the file holds \(json.kindName)"))
            return
        }
        _ = queue.put(.format(format))
        for unit in units {
            guard case .array(let list) = unit.events else {
                var m = MappedBatch()
                m.records = 1
                m.rejects.append(RejectRow(line: nil, record: unit.record.map { "[\($0)].events" } ?? "events", field: "events",
                                           reason: "is \(unit.events.kindName), expected an array", excerpt: nil))
                if !queue.put(.batch(m)) { return }
                continue
            }
            var start = 0
            while start < list.count {
                let end = min(list.count, start + batchLines)
                let base = start
                let events = unit.events
                let metadata = unit.metadata
                let chunks = Parallel.mapChunks(count: end - start, chunkSize: 1024, threads: parseThreads) { r -> MappedBatch in
                    var out = MappedBatch()
                    Self.mapBody(events: events, statsigMetadata: metadata, line: nil, excerptSource: nil,
                                 range: (base + r.lowerBound)..<(base + r.upperBound), into: &out)
                    return out
                }
                var merged = MappedBatch()
                for c in chunks { merged.append(c) }
                if let r = unit.record {
                    for i in merged.rejects.indices { merged.rejects[i].record = "[\(r)]." + (merged.rejects[i].record ?? "") }
                }
                merged.bytesSoFar = input.rawBytesRead
                if !queue.put(.batch(merged)) { return }
                start = end
            }
        }
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
                out.add(try l.map(fields, line: Int64(pendingLine)))
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
