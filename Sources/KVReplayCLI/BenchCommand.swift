import ArgumentParser
import Foundation
import KVReplayEvaluation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kvreplay's speed.",
        subcommands: [BenchEval.self])
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
