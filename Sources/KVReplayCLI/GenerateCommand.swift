import ArgumentParser
import Foundation
import KVReplayEvaluation
import KVReplayGenerate

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a realistic Statsig project history: KV snapshots, SDK event logs, ID lists, users and the expected audit.",
        discussion: """
            Deterministic: the same options (seed included) write byte-identical files. See the README for the layout \
            of the output folder. Progress and timing go to standard error.
            """)

    @Option(name: .long, help: "Output folder (created; existing files with the same names are replaced).")
    var out: String

    @Option(name: .long, help: "Seed for every random choice.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "First day of the history, YYYY-MM-DD (UTC).")
    var start: String = "2026-03-01"

    @Option(name: .long, help: "Days of history.")
    var days: Int = 30

    @Option(name: .customLong("snapshots-per-day"), help: "Scheduled KV captures per day.")
    var snapshotsPerDay: Int = 4

    @Option(name: .long, help: "Users in the population.")
    var users: Int = 10_000

    @Option(name: .long, help: "Feature gates (besides segments and holdouts).")
    var gates: Int = 60

    @Option(name: .long, help: "Experiments over the history.")
    var experiments: Int = 12

    @Option(name: .long, help: "Layers.")
    var layers: Int = 3

    @Option(name: .customLong("active-share"), help: "Share of users active on a day.")
    var activeShare: Double = 0.08

    @Option(name: .long, help: "Payload growth in KiB per day (inline ID lists).")
    var growth: Int = 256

    @Option(name: .long, help: "Edge servers logging events.")
    var servers: Int = 12

    @Option(name: .customLong("lagging-share"), help: "Share of edge servers that serve the previous config for minutes after a change.")
    var laggingShare: Double = 0.25

    @Option(name: .customLong("max-lag-minutes"), help: "Longest lag of a lagging server, in minutes.")
    var maxLagMinutes: Int = 15

    @Option(name: .customLong("missing-captures"), help: "Scheduled captures that are missing.")
    var missingCaptures: Int = 2

    @Option(name: .customLong("wrong-exposures"), help: "Exposures written wrong on purpose.")
    var wrongExposures: Int = 24

    @Option(name: .customLong("corrupt-records"), help: "Corrupt records (truncated line, missing eventName, wrong types).")
    var corruptRecords: Int = 8

    @Option(name: .customLong("flush-minutes"), help: "How often a log_event server flushes a body, in minutes.")
    var flushMinutes: Int = 120

    @Option(name: .customLong("gzip-share"), help: "Share of snapshot and log files written gzip-compressed.")
    var gzipShare: Double = 0.25

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    func options() throws -> GenerateOptions {
        var o = GenerateOptions()
        o.seed = seed
        guard let s = UTCTime.parse(start) else { throw ValidationError("--start must be YYYY-MM-DD") }
        o.start = s
        o.days = days
        o.snapshotsPerDay = snapshotsPerDay
        o.users = users
        o.gates = gates
        o.experiments = experiments
        o.layers = layers
        o.activeShare = activeShare
        o.growthKiBPerDay = growth
        o.servers = servers
        o.laggingShare = laggingShare
        o.maxLagMinutes = maxLagMinutes
        o.missingCaptures = missingCaptures
        o.wrongExposures = wrongExposures
        o.corruptRecords = corruptRecords
        o.flushMinutes = flushMinutes
        o.gzipShare = gzipShare
        let problems = o.validate()
        if let first = problems.first { throw ValidationError(first) }
        return o
    }

    func validate() throws {
        _ = try options()
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let started = Date()
        let generator = Generator(options: try options(), outputDirectory: out, threads: threads ?? Parallel.availableCores,
                                  progress: { printError($0) })
        let s = try generator.run()
        let seconds = Date().timeIntervalSince(started)
        print("""
            wrote \(out): \(s.snapshots) snapshots (\(s.missingCaptures) captures missing; \(s.versions) config versions, \
            \(s.uncapturedVersions) never captured), \(s.events) events (\(s.exposures) exposures, \(s.customEvents) custom; \
            \(s.sampledOut) sampled out), \(s.stale) stale, \(s.noSnapshot) no-snapshot, \(s.unevaluable) unevaluable, \(s.edgeBlind) edge-blind, \
            \(s.wrong) wrong on purpose, \(s.corrupt) corrupt records
            files: \(s.snapshotFiles) snapshot files (\(mib(s.snapshotBytes))), \(s.logFiles) log files (\(mib(s.logBytes))), \
            \(mib(s.totalBytes)) in all; largest payload \(mib(s.largestPayload)), latest \(mib(s.latestPayload))
            """)
        printError(String(format: "generated in %.1f s", seconds))
    }

    func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}
