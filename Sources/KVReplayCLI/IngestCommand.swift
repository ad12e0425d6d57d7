public import ArgumentParser
import Foundation
import KVReplayIngest
import KVReplayStore

struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The database file.")
    var db: String = Store.defaultPath
}

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load KV snapshots, event logs or ID lists into the database.",
        discussion: """
            One transaction per file: a file is in the database completely or not at all, and a file whose content \
            was ingested before adds nothing. Exit codes: 0 everything ingested; 3 some records were rejected (they are \
            in the rejects table); 2 some input could not be used (the other files were ingested); 1 a fatal error.
            """,
        subcommands: [IngestSnapshots.self, IngestLogs.self, IngestIDLists.self])
}

struct IngestArguments: ParsableArguments {
    @Argument(help: "Files, folders (read recursively) or - for standard input; gzip is read anywhere.")
    var paths: [String]

    @OptionGroup var database: DatabaseOption

    @Flag(name: .long, help: "No progress line and no summary (errors are still printed).")
    var quiet = false

    func validate() throws {
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be named once") }
    }
}

struct IngestSnapshots: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "Load config-specs payloads (raw, wrangler kv bulk get, bulk-put/backup arrays, Cloudflare REST responses).",
        discussion: """
            Capture time: --captured-at, else the record's metadata (capturedAt, exportedAt, timestamp, ...), else a \
            timestamp in the file name (ISO 8601, or 10/13-digit epoch seconds/milliseconds), else the payload's time.
            """)

    @OptionGroup var arguments: IngestArguments

    @Option(name: .customLong("captured-at"), help: "Capture time of every snapshot: ISO 8601 or epoch seconds/milliseconds.")
    var capturedAt: String?

    func run() throws {
        var options = IngestOptions()
        if let capturedAt {
            guard let t = Timestamps.parse(capturedAt) else {
                throw ValidationError("--captured-at: \"\(capturedAt)\" is not an ISO 8601 time or epoch seconds/milliseconds")
            }
            options.capturedAt = t
        }
        try IngestRunner(kind: .snapshots, arguments: arguments, options: options).run()
    }
}

struct IngestLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Load exposure logs: log_event/rgstr bodies, NDJSON of events, warehouse exposure exports (CSV).",
        discussion: """
            statsig::gate_exposure, statsig::config_exposure and statsig::layer_exposure events become exposures; the \
            user of every event joins the population. The same event ingested twice is stored once.
            """)

    @OptionGroup var arguments: IngestArguments

    @Option(name: .long, help: "Threads that parse records (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var options = IngestOptions()
        if let threads { options.parseThreads = threads }
        try IngestRunner(kind: .logs, arguments: arguments, options: options).run()
    }
}

struct IngestIDLists: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idlists",
        abstract: "Load ID lists: Statsig's +id/-id line files (one list per file) or a JSON object of list name to IDs.",
        discussion: """
            A line file is applied in order onto the list named after the file (without extensions) or --list. \
            A JSON file replaces each list it names. IDs are stored as Statsig's 8-character ID hashes; see --ids.
            """)

    @OptionGroup var arguments: IngestArguments

    @Option(name: .long, help: "The list a line file holds (default: the file name without its extensions; required for -).")
    var list: String?

    @Option(name: .long, help: "auto: in line files 8-character entries are hashes and others raw IDs, JSON holds raw IDs; raw: every entry is a raw ID; hashed: every entry is a hash.")
    var ids: IDForm = .auto

    func run() throws {
        var options = IngestOptions()
        options.idListName = list
        options.idForm = ids
        try IngestRunner(kind: .idlists, arguments: arguments, options: options).run()
    }
}

extension IDForm: ExpressibleByArgument {}

/// Runs an ingest and prints its progress and summary.
struct IngestRunner {
    var kind: SourceKind
    var arguments: IngestArguments
    var options: IngestOptions

    func run() throws {
        let store: Store
        do {
            store = try Store(path: arguments.database.db)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let line = ProgressLine(enabled: !arguments.quiet && isatty(2) != 0)
        let ingester = Ingester(store: store, options: options, progress: { line.update($0) })
        let report: IngestReport
        do {
            report = try ingester.ingest(kind, paths: arguments.paths)
        } catch {
            line.clear()
            printError("error: \(error)")
            throw ExitCode(1)
        }
        line.clear()
        for f in report.files where f.outcome == .failed {
            printError("error: \(f.path): \(f.error ?? "cannot be used")")
        }
        if !arguments.quiet {
            for f in report.files where f.outcome == .ingested {
                for r in f.sampleRejects {
                    let at = [r.line.map { "line \($0)" }, r.record].compactMap { $0 }.joined(separator: " ")
                    printError("rejected: \(f.path)\(at.isEmpty ? "" : " (\(at))"): " + (r.field.map { "field \"\($0)\": " } ?? "") + r.reason)
                }
                if f.rejected > f.sampleRejects.count {
                    printError("rejected: \(f.path): \(f.rejected - f.sampleRejects.count) more")
                }
                for n in f.notes { printError("note: \(f.path): \(n)") }
            }
            print(IngestSummary.text(report, db: arguments.database.db))
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

enum IngestSummary {
    static func text(_ r: IngestReport, db: String) -> String {
        let ingested = r.files.filter { $0.outcome == .ingested }.count
        let again = r.files.filter { $0.outcome == .alreadyIngested }.count
        let failed = r.files.filter { $0.outcome == .failed }.count
        var parts = ["\(ingested) file(s) ingested"]
        if again > 0 { parts.append("\(again) already ingested") }
        if failed > 0 { parts.append("\(failed) failed") }
        var lines = [parts.joined(separator: ", ") + String(format: " in %.2f s into %@", r.seconds, db)]
        let rate = r.seconds > 0 ? Double(r.records) / r.seconds : 0
        switch r.kind {
        case .snapshots:
            lines.append("snapshots: \(r.records) value(s) read, \(r.added) new payload(s), \(r.duplicates) already stored, \(r.rejected) rejected")
        case .logs:
            lines.append("logs: \(Fmt.int(r.records)) record(s) read (\(Fmt.int(Int(rate)))/s), \(Fmt.int(r.added)) exposure(s) added, "
                + "\(Fmt.int(r.duplicates)) duplicate(s), \(Fmt.int(r.usersAdded)) new user(s), \(Fmt.int(r.rejected)) rejected")
        case .idlists:
            lines.append("id lists: \(Fmt.int(r.records)) entr(ies) read, \(Fmt.int(r.added)) added, \(Fmt.int(r.duplicates)) already present, \(r.rejected) rejected")
        }
        if r.rejected > 0 { lines.append("rejected records are in the rejects table: sqlite3 \(db) 'SELECT * FROM rejects'") }
        return lines.joined(separator: "\n")
    }
}

/// The progress line on a terminal: rewritten in place at most 5 times a second.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private var last = ContinuousClock.now - .seconds(1)
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: IngestProgress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - last >= .milliseconds(200) else { return }
        last = now
        let rate = p.seconds > 0 ? Double(p.records) / p.seconds : 0
        let name = (p.path as NSString).lastPathComponent
        let text = "file \(min(p.filesDone + 1, p.filesTotal))/\(p.filesTotal) \(name)  \(Fmt.int(p.records)) records  "
            + "\(Fmt.int(Int(rate)))/s  \(Fmt.bytes(p.fileBytes))"
        FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        shown = true
    }

    func clear() {
        guard enabled, shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}

enum Fmt {
    static func int(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 30 { return String(format: "%.2f GiB", Double(n) / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
        return "\(n) B"
    }
}
