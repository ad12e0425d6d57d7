import ArgumentParser
import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayIngest
import KVReplayIO
import KVReplayModel

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kvreplay's speed.",
        subcommands: [BenchEval.self, BenchIngest.self, BenchReplay.self])
}

struct BenchEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluations per second for gates (check_gate) and experiments (get_experiment).",
        discussion: """
            Without --threads, measures one thread and then every core. Users are prepared outside the timing; \
            each figure is the best of three passes. Build with `swift build -c release` before measuring.
            """)

    @OptionGroup var evaluation: EvaluationArguments

    @Option(name: .long, help: "Measure with exactly this many threads.")
    var threads: Int?

    @Flag(name: .long, help: "Print JSON: {\"threads\": N, \"gates\": {...}, \"experiments\": {...}}, one object per thread count.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let (evaluator, usersFile) = try evaluation.load()
        guard !usersFile.users.isEmpty else { throw ValidationError("\(evaluation.users) holds no users") }
        let counts = threads.map { [$0] } ?? Array(Set([1, Parallel.availableCores])).sorted()
        var results: [EvaluationBenchmark.Result] = []
        for n in counts {
            results.append(EvaluationBenchmark.run(evaluator: evaluator, users: usersFile.users, threads: n))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for r in results { print(String(decoding: try encoder.encode(r), as: UTF8.self)) }
            return
        }
        print("payload \(evaluation.payload): \(evaluator.payload.gates.count) gates, \(evaluator.payload.entities.filter { $0.kind == .experiment }.count) experiments; \(usersFile.users.count) users; sdk \(evaluation.sdk.rawValue)")
        for r in results {
            print(String(format: "threads %d  gates %12.0f evals/s (%d in %.3f s)  experiments %12.0f evals/s (%d in %.3f s)",
                         r.threads, r.gates.evalsPerSecond, r.gates.evaluations, r.gates.seconds,
                         r.experiments.evalsPerSecond, r.experiments.evaluations, r.experiments.seconds))
        }
        if results.count == 2 {
            print(String(format: "speed-up 1 -> %d threads: gates %.2fx, experiments %.2fx", results[1].threads,
                         results[1].gates.evalsPerSecond / results[0].gates.evalsPerSecond,
                         results[1].experiments.evalsPerSecond / results[0].experiments.evalsPerSecond))
        }
    }
}

struct BenchIngest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Exposures per second from NDJSON, seconds for a 25 MiB payload, and peak memory, on generated data.",
        discussion: """
            Generates an NDJSON log of exposure events (shaped like statsig-server-core's) and a DCS v1 payload into a \
            temporary folder, ingests both into a fresh database there, and prints the figures. --log-gib 1 generates a \
            log of at least 1 GiB instead of --exposures events, for the memory check. Build with \
            `swift build -c release` before measuring.
            """)

    @Option(name: .long, help: "Exposure events in the generated log.")
    var exposures = 1_000_000

    @Option(name: .customLong("log-gib"), help: "Generate a log of at least this many GiB instead (e.g. 1 for the memory check).")
    var logGiB: Double?

    @Option(name: .long, help: "Distinct users in the log.")
    var users = 50_000

    @Option(name: .customLong("payload-mib"), help: "Size of the generated payload in MiB.")
    var payloadMiB: Double = 25

    @Option(name: .long, help: "Parse threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Keep the generated files and the database in this folder.")
    var dir: String?

    @Flag(name: .customLong("no-log"), help: "Skip the log.")
    var noLog = false

    @Flag(name: .customLong("no-payload"), help: "Skip the payload.")
    var noPayload = false

    @Flag(name: .long, help: "Print the figures as one JSON object.")
    var json = false

    func validate() throws {
        if exposures < 1 { throw ValidationError("--exposures must be at least 1") }
        if users < 1 { throw ValidationError("--users must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var o = IngestBenchmark.Options()
        o.exposures = exposures
        o.logBytes = logGiB.map { Int($0 * Double(1 << 30)) }
        o.users = users
        o.payloadBytes = Int(payloadMiB * Double(1 << 20))
        o.directory = dir
        o.skipLog = noLog
        o.skipPayload = noPayload
        if let threads { o.parseThreads = threads }
        let r = try IngestBenchmark.run(o) { if !json { printError($0) } }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
            return
        }
        let mib = Double(1 << 20)
        if !noLog {
            print(String(format: "log: %d events, %.1f MiB NDJSON, ingested in %.2f s: %.0f exposures/s (%d exposures, %d users)",
                         r.logEvents, Double(r.logBytes) / mib, r.logSeconds, r.exposuresPerSecond, r.exposuresAdded, r.usersAdded))
            print(String(format: "peak RSS after the log: %.1f MiB", Double(r.peakRSSAfterLog) / mib))
        }
        if !noPayload {
            print(String(format: "payload: %.2f MiB DCS v1 (%d entities), ingested in %.3f s", Double(r.payloadBytes) / mib,
                         r.payloadEntities, r.payloadSeconds))
            print(String(format: "peak RSS after the payload: %.1f MiB", Double(r.peakRSSAfterPayload) / mib))
        }
    }
}

struct BenchReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay throughput, the speed-up from 1 thread to all, and the cost of a long history against one snapshot.",
        discussion: """
            Builds a history from one payload (each later snapshot ramps up to --changes leaf gates) and a population \
            of --user-count users cycled from a users file (each copy with its own IDs), then times the replay engine: \
            one snapshot on one thread and on --threads, and the whole history. Build with `swift build -c release`.
            """)

    @Option(name: .long, help: "The base payload.")
    var payload: String

    @Option(name: .long, help: "Users to cycle through.")
    var users: String

    @Option(name: .customLong("user-count"), help: "Population size.")
    var userCount: Int = 100_000

    @Option(name: .long, help: "Snapshots in the history.")
    var snapshots: Int = 100

    @Option(name: .long, help: "Entities changed per snapshot.")
    var changes: Int = 2

    @Option(name: .long, help: "Threads for the parallel runs (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("id-lists"), help: "ID lists (JSON object of list name to IDs).")
    var idLists: String?

    @Flag(name: .long, help: "Print the figures as JSON.")
    var json = false

    func run() throws {
        let specs = try ConfigSpecs(jsonBytes: FileReading.readAll(payload), source: payload)
        let population = try UsersFile.load(users)
        let lists = IDLists(unitIDs: try idLists.map { try IDListsFile.load($0) } ?? [:])
        let f = try ReplayBenchmark.run(payload: specs, users: population.users, userCount: userCount, snapshots: snapshots, changes: changes,
                                        threads: threads ?? Parallel.availableCores, idLists: lists)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(f), as: UTF8.self))
            return
        }
        print("\(f.users) users x \(f.entities) entities; history of \(f.snapshots) snapshots changing up to \(f.changesPerSnapshot) gates each")
        print(String(format: "one snapshot: %.0f evals/s on 1 thread, %.0f on %d threads (speed-up %.2fx); %.2f s with %.2f s of compilation",
                     f.evalsPerSecondOneThread, f.evalsPerSecondAllThreads, f.threads, f.speedup, f.secondsOneSnapshot,
                     f.secondsCompileOneSnapshot))
        print(String(format: "whole history: %.2f s = %.2fx one snapshot (%d evaluations, %d results carried over)", f.secondsAllSnapshots,
                     f.historyCostRatio, f.evaluationsHistory, f.carriedOverHistory))
        print(String(format: "peak RSS %.0f MiB", f.peakRSSMiB))
    }
}
