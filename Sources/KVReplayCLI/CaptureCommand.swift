import ArgumentParser
import Foundation
import KVReplayCapture
import KVReplayIngest

struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Read the current payload from Cloudflare Workers KV (or Statsig's download) and write it as a snapshot.",
        discussion: """
            Credentials come from the environment only: CLOUDFLARE_API_TOKEN (Workers KV Storage: Read) for \
            --source cloudflare, STATSIG_SERVER_SECRET for --source statsig. Each capture is one file, \
            <time>_<key>.json, holding the value's bytes as served (what kvreplay ingest snapshots reads); a value \
            with the same SHA-256 as the key's last capture in --out writes nothing. Exit status: 0 captured or \
            unchanged; 2 usage error, a missing variable, or a value that is not a payload; 4 the API refused the \
            credentials or does not know the account, namespace or key (401/403/404); 5 the API could not be \
            reached or kept failing (timeouts, a body cut short, 429/5xx after the retries); 1 any other failure; \
            with --db, ingest's statuses (3 rejected records).
            """)

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case cloudflare, statsig
    }

    @Option(name: .long, help: "cloudflare: Workers KV through Cloudflare's REST API; statsig: Statsig's config-specs download (DCS v1).")
    var source: Source = .cloudflare

    @Option(name: .long, help: "The Cloudflare account ID (default: $CLOUDFLARE_ACCOUNT_ID).")
    var account: String?

    @Option(name: [.customLong("namespace"), .customLong("namespace-id")], help: "The Workers KV namespace ID.")
    var namespace: String?

    @Option(name: .long, help: "The KV key (statsig-XXXX); default: every statsig-* key of the namespace. With --source statsig, names the file.")
    var key: String?

    @Option(name: .long, help: "The folder the snapshots are written to.")
    var out: String = "snapshots"

    @Option(name: .long, help: "Also ingest each new snapshot into this database.")
    var db: String?

    @Option(name: .long, help: "Keep capturing: every DURATION (90s, 15m, 1h) until stopped.")
    var every: String?

    @Option(name: .long, help: "With --every: stop after N captures.")
    var cycles: Int?

    @Option(name: .customLong("api-base"), help: "The API's base URL (default: https://api.cloudflare.com/client/v4, or https://api.statsigcdn.com/v1).")
    var apiBase: String?

    @Option(name: .long, help: "Whole seconds before one request is abandoned (and retried).")
    var timeout: Int = 30

    @Option(name: .long, help: "Attempts per request for 429, 5xx, timeouts and cut connections.")
    var attempts: Int = 5

    @Flag(name: .long, help: "Print errors only.")
    var quiet = false

    func validate() throws {
        if let every {
            guard let s = Durations.parse(every), s >= 1 else { throw ValidationError("--every \(every): expected a duration of at least 1 s (90s, 15m, 1h)") }
        }
        if cycles != nil && every == nil { throw ValidationError("--cycles needs --every") }
        if let cycles, cycles < 1 { throw ValidationError("--cycles must be at least 1") }
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 (seconds)") }
        if attempts < 1 { throw ValidationError("--attempts must be at least 1") }
        if source == .statsig && (account != nil || namespace != nil) {
            throw ValidationError("--account and --namespace are for --source cloudflare")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let captureSource: CaptureSource
        switch source {
        case .cloudflare:
            guard let account = account ?? environment["CLOUDFLARE_ACCOUNT_ID"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw ValidationError("--account is required (or set CLOUDFLARE_ACCOUNT_ID)")
            }
            guard let namespace else { throw ValidationError("--namespace is required with --source cloudflare") }
            guard let token = environment[CaptureSource.tokenVariable], !token.isEmpty else {
                printError("error: \(CaptureSource.tokenVariable) is not set: export a Cloudflare API token with the permission "
                    + "Account > Workers KV Storage > Read (it is read from the environment only, never from a flag)")
                throw ExitCode(2)
            }
            captureSource = .cloudflareKV(apiBase: apiBase ?? CaptureSource.cloudflareAPIBase, account: account, namespace: namespace,
                                          key: key, token: token)
        case .statsig:
            guard let secret = environment[CaptureSource.secretVariable], !secret.isEmpty else {
                printError("error: \(CaptureSource.secretVariable) is not set: export the project's Server Secret Key "
                    + "(it is read from the environment only, never from a flag)")
                throw ExitCode(2)
            }
            captureSource = .statsigDCS(apiBase: apiBase ?? CaptureSource.statsigAPIBase, secret: secret, key: key)
        }
        let capturer = Capturer(source: captureSource, folder: SnapshotFolder(path: out),
                                policy: RetryPolicy(maxAttempts: attempts, timeout: Double(timeout)), log: { [quiet] line in
                                    // Retries and notes go to standard error; --quiet keeps the errors only.
                                    if !quiet || line.hasPrefix("error:") { printError(line) }
                                })
        var ingestStatus: Int32 = 0
        let onCycle: ([CaptureOutcome]) throws -> Void = { outcomes in
            for o in outcomes { report(o) }
            let written = outcomes.compactMap(\.written)
            guard let db, !written.isEmpty else { return }
            let status = try ingest(written, db: db)
            ingestStatus = max(ingestStatus, status)
        }
        do {
            if let every, let seconds = Durations.parse(every) {
                let failed = try await capturer.watch(every: seconds, cycles: cycles, onCycle: onCycle)
                if failed > 0 { throw ExitCode(5) }
            } else {
                try onCycle(try await capturer.captureOnce())
            }
        } catch let error as CaptureError {
            printError("error: \(error)")
            throw ExitCode(error.exitCode)
        }
        if ingestStatus != 0 { throw ExitCode(ingestStatus) }
    }

    func report(_ o: CaptureOutcome) {
        let name = o.key ?? "config specs"
        if o.overKVLimit {
            printError("warning: \(name) is \(Fmt.int(o.bytes)) bytes, over Workers KV's 25 MiB value limit (26,214,400 bytes)")
        }
        guard !quiet else { return }
        let lcut = o.lcut.map { ", lcut \(SnapshotFolder.isoText($0))" } ?? ""
        if let written = o.written {
            print("captured \(name) from \(o.source): \(Fmt.int(o.bytes)) bytes\(lcut), sha256 \(o.sha256.prefix(12)) -> \(written)")
        } else {
            print("unchanged \(name): same SHA-256 (\(o.sha256.prefix(12))) as \(o.previous ?? "the last capture"); nothing written")
        }
    }

    /// Ingests the files just written; returns ingest's exit status.
    func ingest(_ files: [String], db: String) throws -> Int32 {
        let report: IngestReport
        do {
            report = try CaptureIngest.ingest(files: files, db: db)
        } catch {
            printError("error: \(db): \(error)")
            throw ExitCode(1)
        }
        for f in report.files where f.outcome == .failed { printError("error: \(f.path): \(f.error ?? "cannot be used")") }
        if !quiet { print(IngestSummary.text(report, db: db)) }
        return report.exitCode
    }
}
