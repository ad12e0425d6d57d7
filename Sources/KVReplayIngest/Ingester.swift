import Dispatch
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
public import KVReplayStore

/// How ID-list entries are read.
public enum IDForm: String, Sendable, CaseIterable {
    /// Line files: 8-character entries are Statsig's ID hashes, other entries raw IDs. JSON files: raw IDs.
    case auto
    /// Every entry is a raw unit ID, hashed on the way in.
    case raw
    /// Every entry is already an 8-character hash.
    case hashed
}

public struct IngestOptions: Sendable {
    /// `--captured-at`: the capture time of every snapshot ingested (ms since the epoch).
    public var capturedAt: Int64?
    /// The name of the ID list read from a line file (default: the file name without its extensions).
    public var idListName: String?
    public var idForm: IDForm = .auto
    /// zlib level of stored payloads. Readers inflate any level; 1 is the fastest (on generated payloads 4% larger
    /// than level 3 and 1.4 times as fast, 8% larger than level 6 and 3 times as fast).
    public var zlibLevel: Int32 = 1
    /// Threads that parse log records (the writing thread runs beside them).
    /// Threads that parse log records (the thread that writes the database runs beside them; it needs less CPU
    /// per record than parsing does).
    public var parseThreads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Records per batch handed from the reading thread to the writing thread.
    public var batchRecords: Int = 8192

    public init() {}
}

/// The outcome of one input file.
public struct FileReport: Sendable {
    public enum Outcome: String, Sendable {
        /// Read and committed (rejected records, if any, are in `rejects`).
        case ingested
        /// A file with the same content was ingested before: nothing was added.
        case alreadyIngested = "already-ingested"
        /// The file could not be used (missing, unreadable, not JSON, truncated, not a known format).
        case failed
    }

    public var path: String
    public var outcome: Outcome
    public var format: String?
    /// Records read: KV values, events or CSV rows, ID-list entries (rejected ones included).
    public var records = 0
    /// New rows: snapshots (new payloads), exposures, ID-list entries.
    public var added = 0
    /// Records already in the database (same payload, same exposure, same entry).
    public var duplicates = 0
    public var rejected = 0
    public var usersAdded = 0
    public var error: String?
    public var notes: [String] = []
    /// The first rejected records (all of them are in the `rejects` table).
    public var sampleRejects: [RejectRow] = []
    public var bytes = 0
    public var seconds = 0.0

    static let sampleSize = 5

    public init(path: String, outcome: Outcome) {
        self.path = path
        self.outcome = outcome
    }
}

/// The outcome of an ingest command.
public struct IngestReport: Sendable {
    public var kind: SourceKind
    public var files: [FileReport] = []
    public var seconds = 0.0

    /// 0: everything ingested; 2: some input was unusable (the rest was ingested); 3: some records were rejected.
    /// (1, a fatal error, is thrown instead.)
    public var exitCode: Int32 {
        if files.contains(where: { $0.outcome == .failed }) { return 2 }
        if files.contains(where: { $0.rejected > 0 && $0.outcome == .ingested }) { return 3 }
        return 0
    }

    public var records: Int { files.reduce(0) { $0 + $1.records } }
    public var added: Int { files.reduce(0) { $0 + $1.added } }
    public var duplicates: Int { files.reduce(0) { $0 + $1.duplicates } }
    public var rejected: Int { files.filter { $0.outcome == .ingested }.reduce(0) { $0 + $1.rejected } }
    public var usersAdded: Int { files.reduce(0) { $0 + $1.usersAdded } }
}

/// Where an ingest is, for a progress line.
public struct IngestProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var path: String
    /// Records read so far over all files.
    public var records: Int
    public var added: Int
    /// Content bytes read so far in the current file.
    public var fileBytes: Int
    public var seconds: Double
}

/// Loads snapshot files, logs and ID lists into a ``Store``: one transaction per file, so a file is in the database
/// completely or not at all, and files are identified by the SHA-256 of their bytes, so a file ingested twice
/// adds nothing.
public final class Ingester {
    public let store: Store
    public let options: IngestOptions
    private let progress: ((IngestProgress) -> Void)?
    private var clock = ContinuousClock.now
    private var recordsBefore = 0
    private var addedBefore = 0
    /// SHA-256 of the payloads this ingester has committed: a payload met again (another capture of it) is in the
    /// database already, so its row is not compressed again (`insertSnapshot` adds only a capture).
    private var storedPayloads = Set<String>()

    public init(store: Store, options: IngestOptions = IngestOptions(), progress: ((IngestProgress) -> Void)? = nil) {
        self.store = store
        self.options = options
        self.progress = progress
    }

    /// Ingests every file under `paths` (folders recursively, `-` = standard input).
    /// Throws only for fatal errors (the database failed); problems with inputs are in the report.
    public func ingest(_ kind: SourceKind, paths: [String]) throws -> IngestReport {
        clock = .now
        recordsBefore = 0
        addedBefore = 0
        var report = IngestReport(kind: kind)
        let expanded = InputPaths.expand(paths)
        for (path, problem) in expanded.missing {
            var f = FileReport(path: path, outcome: .failed)
            f.error = problem
            report.files.append(f)
        }
        for (i, path) in expanded.files.enumerated() {
            let started = ContinuousClock.now
            var f: FileReport
            switch kind {
            case .snapshots: f = try ingestSnapshotFile(path, index: i, total: expanded.files.count)
            case .logs: f = try ingestLogFile(path, index: i, total: expanded.files.count)
            case .idlists: f = try ingestIDListFile(path, index: i, total: expanded.files.count)
            }
            f.seconds = seconds(since: started)
            recordsBefore += f.records
            addedBefore += f.added
            report.files.append(f)
            notify(progressFor: i + 1, total: expanded.files.count, path: path, records: 0, added: 0, bytes: f.bytes)
        }
        report.seconds = seconds(since: clock)
        return report
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func notify(progressFor done: Int, total: Int, path: String, records: Int, added: Int, bytes: Int) {
        progress?(IngestProgress(filesDone: done, filesTotal: total, path: path, records: recordsBefore + records,
                                 added: addedBefore + added, fileBytes: bytes, seconds: seconds(since: clock)))
    }

    private static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// A file seen before: nothing to do, but a file that failed before fails again (it still cannot be used).
    private func previously(_ existing: SourceFileRecord, path: String) -> FileReport {
        var f = FileReport(path: path, outcome: existing.status == .failed ? .failed : .alreadyIngested)
        f.format = existing.format
        f.error = existing.error
        f.bytes = Int(existing.bytes)
        if existing.path != path { f.notes.append("same content as \(existing.path)") }
        return f
    }

    /// Records a file that cannot be used, so that running again does not record it twice.
    private func recordFailure(path: String, sha256: String, probe: String, kind: SourceKind, bytes: Int, format: String?, problem: String,
                               excerpt: String?) throws -> FileReport
    {
        try store.writeTransaction { w in
            if try w.sourceFile(sha256: sha256) != nil { return ((), false) }
            let id = try w.beginSourceFile(sha256: sha256, probe: probe, path: path, kind: kind, bytes: Int64(bytes),
                                           ingestedAt: Self.nowMillis())
            try w.insertReject(RejectRow(line: nil, record: nil, field: nil, reason: problem, excerpt: excerpt), sourceFileID: id, source: path)
            try w.finishSourceFile(id: id, result: SourceFileResult(format: format, status: .failed, records: 0, added: 0, duplicates: 0,
                                                                    rejected: 1, error: problem))
            return ((), true)
        }
        var f = FileReport(path: path, outcome: .failed)
        f.format = format
        f.error = problem
        f.bytes = bytes
        return f
    }

    /// A whole-document source (a snapshot, an ID-list file): read and hashed, then inflated within
    /// `InputLimits.maxDocumentBytes` when gzip; or the report that ends its ingest (unreadable, already seen,
    /// or a gzip stream that fails or inflates past the limit, recorded as a failed source).
    private enum DocumentRead {
        case read(raw: [UInt8], sha256: String, content: [UInt8])
        case finished(FileReport)
    }

    private func readDocument(_ path: String, kind: SourceKind) throws -> DocumentRead {
        let raw: [UInt8]
        let sha: String
        do {
            (raw, sha) = try RawFile.read(path)
        } catch {
            var f = FileReport(path: path, outcome: .failed)
            f.error = error.problem
            return .finished(f)
        }
        if let existing = try store.sourceFile(sha256: sha) { return .finished(previously(existing, path: path)) }
        guard Gzip.isGzip(raw) else { return .read(raw: raw, sha256: sha, content: raw) }
        do {
            return .read(raw: raw, sha256: sha, content: try Gzip.decompress(raw, limit: InputLimits.maxDocumentBytes))
        } catch {
            return .finished(try recordFailure(
                path: path, sha256: sha, probe: RawFile.probe(size: raw.count, head: raw), kind: kind, bytes: raw.count, format: nil,
                problem: "gzip: \(error)" + (error.isLimit ? " (the limit is KVREPLAY_MAX_DOCUMENT_BYTES)" : ""), excerpt: nil))
        }
    }

    // MARK: Snapshots

    private func ingestSnapshotFile(_ path: String, index: Int, total: Int) throws -> FileReport {
        notify(progressFor: index, total: total, path: path, records: 0, added: 0, bytes: 0)
        var phase = ContinuousClock.now
        let timing = ProcessInfo.processInfo.environment["KVREPLAY_TIMING"] != nil
        func mark(_ what: String) {
            guard timing else { return }
            let now = ContinuousClock.now
            FileHandle.standardError.write(Data("timing: \(what) \(now - phase)\n".utf8))
            phase = now
        }
        defer { mark("transaction") }
        let raw: [UInt8], sha: String
        var content: [UInt8]
        switch try readDocument(path, kind: .snapshots) {
        case .finished(let report): return report
        case .read(let r, let s, let c): (raw, sha, content) = (r, s, c)
        }
        mark("read, hash and inflate")
        var parsed: SnapshotFileContent
        do {
            parsed = try SnapshotFormats.read(content)
        } catch {
            return try recordFailure(path: path, sha256: sha, probe: RawFile.probe(size: raw.count, head: raw), kind: .snapshots, bytes: raw.count, format: nil,
                                     problem: error.message, excerpt: Excerpt.of(content))
        }
        content = []
        mark("parse")
        let fileName = path == "-" ? "" : (path as NSString).lastPathComponent
        let builder = SnapshotBuilder(capturedAtOption: options.capturedAt, fileName: fileName,
                                      fileIsOneValue: parsed.records.count == 1 && parsed.records[0].locator.isEmpty,
                                      zlibLevel: options.zlibLevel, storedPayloads: storedPayloads)
        var records = parsed.records
        // A value that is the whole file, byte for byte, has the file's hash.
        if records.count == 1, records[0].bytes.count == raw.count, !Gzip.isGzip(raw) { records[0].sha256 = sha }
        var rows: [Result<SnapshotInsert, RecordProblem>] = []
        for r in records {
            do { rows.append(.success(try builder.build(r))) } catch { rows.append(.failure(error)) }
        }
        // A file that is one payload and is not a payload is unusable input, not a rejected record.
        if parsed.records.count == 1, parsed.records[0].locator.isEmpty, parsed.rejects.isEmpty, case .failure(let problem) = rows[0] {
            return try recordFailure(path: path, sha256: sha, probe: RawFile.probe(size: raw.count, head: raw), kind: .snapshots,
                                     bytes: raw.count, format: parsed.format, problem: problem.reason, excerpt: Excerpt.of(parsed.records[0].bytes))
        }
        // What the transaction needs of each record; the parsed payloads themselves (large trees) are freed on another
        // thread while the rows are written.
        let infos = records.map { r in
            (label: r.key ?? (r.locator.isEmpty ? "payload" : r.locator), record: r.locator.isEmpty ? r.key : r.locator,
             reserialized: r.reserialized, excerpt: Excerpt.of(r.bytes))
        }
        let recordCount = records.count
        let garbage = (records, parsed.records)
        records = []
        parsed.records = []
        DispatchQueue.global(qos: .utility).async { _ = garbage.0.count + garbage.1.count }
        mark("build")
        var f = FileReport(path: path, outcome: .ingested)
        f.format = parsed.format
        f.bytes = raw.count
        if !parsed.skippedKeys.isEmpty {
            f.notes.append("passed over \(parsed.skippedKeys.count) key(s) that hold no Statsig payload: "
                + parsed.skippedKeys.prefix(5).joined(separator: ", ") + (parsed.skippedKeys.count > 5 ? ", ..." : ""))
        }
        let committed: Bool = try store.writeTransaction { w in
            defer { mark("write rows") }
            if try w.sourceFile(sha256: sha) != nil { return (false, false) }
            let fileID = try w.beginSourceFile(sha256: sha, probe: RawFile.probe(size: raw.count, head: raw), path: path, kind: .snapshots,
                                               bytes: Int64(raw.count), ingestedAt: Self.nowMillis())
            var rejected = parsed.rejects
            for (r, row) in zip(infos, rows) {
                switch row {
                case .success(let s):
                    let (_, isNew) = try w.insertSnapshot(s, sourceFileID: fileID)
                    // A payload left uncompressed is one this ingester committed, and snapshots are never deleted; were it
                    // new after all, nothing of the file is kept.
                    if isNew && s.payloadZlib.isEmpty { throw FileProblem("\(path): internal error: a new payload without its compressed bytes") }
                    if isNew { f.added += 1 } else { f.duplicates += 1 }
                    if s.overKVLimit { f.notes.append("\(r.label): \(s.sizeBytes) bytes, over Cloudflare KV's 25 MiB value limit") }
                    if !s.hasUpdates { f.notes.append("\(r.label): has_updates false, recorded as no change") }
                    if r.reserialized { f.notes.append("\(r.label): value given as parsed JSON; its size is that of its compact form") }
                case .failure(let p):
                    rejected.append(RejectRow(line: nil, record: r.record, field: p.field, reason: p.reason, excerpt: r.excerpt))
                }
            }
            for rj in rejected { try w.insertReject(rj, sourceFileID: fileID, source: path) }
            f.sampleRejects = Array(rejected.prefix(FileReport.sampleSize))
            f.records = recordCount + parsed.rejects.count
            f.rejected = rejected.count
            try w.finishSourceFile(id: fileID, result: SourceFileResult(
                format: parsed.format, status: rejected.isEmpty ? .ok : .rejects, records: Int64(f.records), added: Int64(f.added),
                duplicates: Int64(f.duplicates), rejected: Int64(f.rejected), error: nil))
            return (true, true)
        }
        if !committed { return FileReport(path: path, outcome: .alreadyIngested) }
        for case .success(let s) in rows { storedPayloads.insert(s.sha256) }
        return f
    }

    // MARK: Logs

    private func ingestLogFile(_ path: String, index: Int, total: Int) throws -> FileReport {
        notify(progressFor: index, total: total, path: path, records: 0, added: 0, bytes: 0)
        // Seen before? The probe (size and first MiB) is cheap; the full hash is computed here only when a file with
        // the same probe is known. Otherwise the reading thread hashes the file as it reads it, once.
        if path != "-" {
            let probe: String
            do {
                (probe, _) = try RawFile.probe(path)
            } catch {
                var f = FileReport(path: path, outcome: .failed)
                f.error = error.problem
                return f
            }
            let candidates = try store.sourceFiles(probe: probe)
            if !candidates.isEmpty {
                let sha: String
                do {
                    (sha, _) = try RawFile.sha256(path)
                } catch {
                    var f = FileReport(path: path, outcome: .failed)
                    f.error = error.problem
                    return f
                }
                if let existing = candidates.first(where: { $0.sha256 == sha }) { return previously(existing, path: path) }
                if let existing = try store.sourceFile(sha256: sha) { return previously(existing, path: path) }
            }
        }
        let queue = BoundedQueue<LogItem>(capacity: 2)
        let reader = LogReader(path: path, parseThreads: options.parseThreads, batchLines: options.batchRecords)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            reader.run(into: queue)
            if ProcessInfo.processInfo.environment["KVREPLAY_TIMING"] != nil {
                FileHandle.standardError.write(Data("timing: reader thread CPU \(threadCPU()) s\n".utf8))
            }
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        defer {
            queue.cancel()
            done.wait()
        }

        var f = FileReport(path: path, outcome: .ingested)
        var failure: String? = nil
        var identity: (sha256: String, probe: String, bytes: Int)? = nil
        let placeholder = "pending:\(UUID().uuidString)"
        let committed: Bool = try store.writeTransaction { w in
            let fileID = try w.beginSourceFile(sha256: placeholder, probe: placeholder, path: path, kind: .logs, bytes: 0,
                                               ingestedAt: Self.nowMillis())
            let timing = ProcessInfo.processInfo.environment["KVREPLAY_TIMING"] != nil
            var waited = Duration.zero, writing = Duration.zero
            defer {
                if timing {
                    FileHandle.standardError.write(Data(("timing: writer waited for the reader \(waited), writing \(writing), writer thread CPU "
                        + "\(threadCPU()) s, sqlite memory \(w.sqliteMemoryUsed >> 20) MiB, cached users \(w.cachedUsers)\n").utf8))
                }
            }
            loop: while true {
                let t0 = ContinuousClock.now
                let item = queue.take()
                let t1 = ContinuousClock.now
                waited += t1 - t0
                defer { writing += ContinuousClock.now - t1 }
                switch item {
                case .format(let format):
                    f.format = format
                case .batch(let b):
                    let written = try w.write(b.rows, sourceFileID: fileID)
                    f.added += written.exposuresAdded
                    f.duplicates += written.exposureDuplicates
                    for r in b.rejects { try w.insertReject(r, sourceFileID: fileID, source: path) }
                    if f.sampleRejects.count < FileReport.sampleSize {
                        f.sampleRejects.append(contentsOf: b.rejects.prefix(FileReport.sampleSize - f.sampleRejects.count))
                    }
                    f.records += b.records
                    f.rejected += b.rejects.count
                    f.bytes = b.bytesSoFar
                    notify(progressFor: index, total: total, path: path, records: f.records, added: f.added, bytes: b.bytesSoFar)
                case .failure(let message):
                    failure = message
                    return (false, false)
                case .end(let sha, let probe, let rawBytes):
                    identity = (sha, probe, rawBytes)
                    break loop
                }
            }
            // The same content ingested before (under another name, or from standard input) adds nothing.
            if try w.sourceFile(sha256: identity!.sha256) != nil { return (false, false) }
            try w.updateSourceFileIdentity(id: fileID, sha256: identity!.sha256, probe: identity!.probe, bytes: Int64(identity!.bytes))
            f.usersAdded = Int(w.usersAdded)
            try w.finishSourceFile(id: fileID, result: SourceFileResult(
                format: f.format, status: f.rejected == 0 ? .ok : .rejects, records: Int64(f.records), added: Int64(f.added),
                duplicates: Int64(f.duplicates), rejected: Int64(f.rejected), error: nil))
            return (true, true)
        }
        if let failure {
            // Nothing of the file was kept; record why, so that running again reports it without recording it twice.
            let sha: String
            let probe: String
            var bytes = 0
            if let identity {
                (sha, probe, bytes) = identity
            } else if path != "-", let full = try? RawFile.sha256(path), let p = try? RawFile.probe(path) {
                (sha, probe, bytes) = (full.sha256, p.probe, full.bytes)
            } else {
                (sha, probe) = ("unreadable:\(UUID().uuidString)", "unreadable")
            }
            return try recordFailure(path: path, sha256: sha, probe: probe, kind: .logs, bytes: bytes, format: f.format, problem: failure,
                                     excerpt: nil)
        }
        if !committed {
            var again = FileReport(path: path, outcome: .alreadyIngested)
            again.format = f.format
            if let identity, let existing = try store.sourceFile(sha256: identity.sha256), existing.path != path {
                again.notes.append("same content as \(existing.path)")
            }
            return again
        }
        f.bytes = identity?.bytes ?? f.bytes
        return f
    }

    // MARK: ID lists

    private func ingestIDListFile(_ path: String, index: Int, total: Int) throws -> FileReport {
        notify(progressFor: index, total: total, path: path, records: 0, added: 0, bytes: 0)
        let raw: [UInt8], sha: String, content: [UInt8]
        switch try readDocument(path, kind: .idlists) {
        case .finished(let report): return report
        case .read(let r, let s, let c): (raw, sha, content) = (r, s, c)
        }
        let parsed: IDListContent
        do {
            parsed = try IDListFormats.read(content, fileName: path == "-" ? nil : (path as NSString).lastPathComponent,
                                            listName: options.idListName, form: options.idForm)
        } catch {
            return try recordFailure(path: path, sha256: sha, probe: RawFile.probe(size: raw.count, head: raw), kind: .idlists, bytes: raw.count, format: nil, problem: error.message,
                                     excerpt: Excerpt.of(content))
        }
        var f = FileReport(path: path, outcome: .ingested)
        f.format = parsed.format
        f.bytes = raw.count
        var removed = 0
        let committed: Bool = try store.writeTransaction { w in
            if try w.sourceFile(sha256: sha) != nil { return (false, false) }
            let fileID = try w.beginSourceFile(sha256: sha, probe: RawFile.probe(size: raw.count, head: raw), path: path, kind: .idlists,
                                               bytes: Int64(raw.count), ingestedAt: Self.nowMillis())
            for list in parsed.lists {
                let id = try w.idList(named: list.name, sourceFileID: fileID)
                if list.replaces { try w.clearIDList(id) }
                for op in list.operations {
                    if op.add {
                        if try w.addIDListEntry(list: id, hash: op.hash) { f.added += 1 } else { f.duplicates += 1 }
                    } else if try w.removeIDListEntry(list: id, hash: op.hash) {
                        removed += 1
                    }
                }
                try w.refreshIDListCount(id)
            }
            for r in parsed.rejects { try w.insertReject(r, sourceFileID: fileID, source: path) }
            f.sampleRejects = Array(parsed.rejects.prefix(FileReport.sampleSize))
            f.records = parsed.records
            f.rejected = parsed.rejects.count
            try w.finishSourceFile(id: fileID, result: SourceFileResult(
                format: parsed.format, status: parsed.rejects.isEmpty ? .ok : .rejects, records: Int64(f.records), added: Int64(f.added),
                duplicates: Int64(f.duplicates), rejected: Int64(f.rejected), error: nil))
            return (true, true)
        }
        if !committed { return FileReport(path: path, outcome: .alreadyIngested) }
        if parsed.format == "idlist-manifest" {
            f.notes.append("a Statsig ID-list manifest: it names lists but holds no IDs (ingest the list files)")
        } else {
            f.notes.append("lists: " + parsed.lists.map(\.name).joined(separator: ", ") + (removed > 0 ? "; \(removed) entries removed" : ""))
        }
        return f
    }
}

/// CPU seconds used by the calling thread (for KVREPLAY_TIMING).
func threadCPU() -> Double {
    var usage = rusage()
    getrusage(1 /* RUSAGE_THREAD */, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
