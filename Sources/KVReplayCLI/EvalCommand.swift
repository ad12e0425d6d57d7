import ArgumentParser
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate every gate, config, experiment and layer of a payload for every user.",
        discussion: """
            Prints JSON Lines, one record per (user, entity), sorted by user, then kind \
            (gate < config < experiment < layer), then name; the record shape of the oracle in ../shared/oracle. \
            A user line that cannot be read is reported on standard error with its line number and skipped.
            """)

    @OptionGroup var evaluation: EvaluationArguments

    @Option(name: .long, help: "Write the records to this file instead of standard output.")
    var out: String?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    func run() throws {
        let (evaluator, usersFile) = try evaluation.load()
        for p in usersFile.problems { printError("warning: \(p), line skipped") }
        let sink = try OutputSink(path: out)
        let users = usersFile.users
        let indices = usersFile.indices
        // Blocks keep memory bounded; chunks inside a block spread over the cores.
        let block = 4096
        var start = 0
        while start < users.count {
            let end = min(users.count, start + block)
            let base = start
            let parts = Parallel.mapChunks(count: end - start, chunkSize: 64, threads: threads ?? Parallel.availableCores) { r in
                evaluator.records(users: users, indices: indices, range: (base + r.lowerBound)..<(base + r.upperBound))
            }
            for p in parts { sink.write(p) }
            start = end
        }
        try sink.close()
        if !usersFile.problems.isEmpty {
            printError("\(usersFile.problems.count) user line(s) skipped")
        }
    }
}
