import ArgumentParser
import Foundation
import KVReplayEngine
import KVReplayReport
import KVReplayStore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List audited exposures with their cause, without SQL (after `kvreplay replay`).",
        discussion: """
            One line per exposure, in exposure order: verdict, cause, entity, event time, source file and line (or \
            record), user (hashed unless --include-pii), logged and expected answers, and the cause in words. Without \
            --verdict, every verdict but match is listed. --cause takes a cause code or a prefix of one (`condition` \
            selects every `condition:...`). Exit status: 0; 1 when --fail-on names a verdict that some exposure of \
            the selection has (whatever --limit says); 2 when the database holds no audit.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, parsing: .upToNextOption, help: "Verdicts to list, comma-separated (match, mismatch, stale, unevaluable, no-snapshot, ...; default: all but match).")
    var verdict: [String] = []

    @Option(name: .long, help: "Only exposures of this entity (exact name; \\u{XXXX} escapes as reports show them, e.g. for a NUL).")
    var entity: String?

    @Option(name: .customLong("user-id"), help: "Only exposures of this user (the logged unit ID or the user's userID).")
    var userID: String?

    @Option(name: .long, help: "Only exposures whose cause is this code, or starts with it (`condition`, `condition:ip_based`, `list-missing`).")
    var cause: String?

    @Option(name: .long, help: "Print at most this many exposures.")
    var limit: Int?

    @Option(name: .long, help: "text, json (JSON Lines) or csv.")
    var format: String = "text"

    @Option(name: .customLong("fail-on"), parsing: .upToNextOption, help: "Exit 1 when an exposure of the selection has one of these verdicts (comma-separated).")
    var failOn: [String] = []

    @Flag(name: .customLong("include-pii"), help: "Show unit IDs as logged instead of short hashes.")
    var includePII = false

    @Flag(name: .customLong("raw-csv-formulas"), help: "CSV: keep cells that start with =, +, -, @, tab or CR as they are (default: prefixed with ').")
    var rawCSVFormulas = false

    static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard AuditListing.Format(rawValue: format) != nil else { throw ValidationError("unknown format \(format) (use text, json or csv)") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        let known = Set(Verdict.allCases.map(\.rawValue))
        for v in Self.list(verdict) + Self.list(failOn) where !known.contains(v) {
            throw ValidationError("unknown verdict \(v) (use \(Verdict.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() throws {
        let store = try Store.open(path: database.db, mode: .readOnly)
        guard try store.hasAudit() else { throw StoreError("\(database.db) holds no audit (run `kvreplay replay` first)") }
        var filter = AuditFilter()
        filter.verdicts = Self.list(verdict)
        filter.nonMatchesOnly = filter.verdicts.isEmpty
        filter.entity = entity?.visibleUnescaped
        filter.userID = userID
        filter.cause = cause
        let listing = AuditListing(format: AuditListing.Format(rawValue: format)!, includePII: includePII, rawCSVFormulas: rawCSVFormulas)
        let failOn = Set(Self.list(failOn))
        let out = try OutputSink(path: nil)
        if let header = listing.header { out.write(Array(header.utf8)) }
        var printed = 0
        var failing = 0
        // The whole selection is read (for --fail-on); --limit bounds what is printed.
        try store.forEachAuditEntryBatch(filter) { batch in
            for e in batch {
                if failOn.contains(e.verdict) { failing += 1 }
                if printed < (limit ?? Int.max) {
                    out.write(Array(listing.line(e).utf8))
                    printed += 1
                }
            }
        }
        try out.close()
        if failing > 0 {
            printError("\(failing) exposure(s) with verdict \(failOn.sorted().joined(separator: "/")) (--fail-on)")
            throw ExitCode.failure
        }
    }
}
