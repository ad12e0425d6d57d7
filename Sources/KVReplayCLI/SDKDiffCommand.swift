import ArgumentParser
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel

struct SDKDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdk-diff",
        abstract: "Audit a move from one SDK to another: the users whose value, rule or group would change, per entity.",
        discussion: """
            Evaluates every entity of the payload for every user under two SDK flavours (--from, default node: \
            statsig-node 6.5.1; --to, default core: statsig-server-core 0.24.2; or legacy: statsig 0.72.1 for Python) \
            and reports, per entity, how many users get a different value, rule ID or group name, grouped by cause (the \
            condition type/operator that first evaluated differently, or a step only one SDK takes), with up to five \
            example users. Markdown (default) or JSON.
            """)

    @OptionGroup var inputs: EvaluationInputs

    @Option(name: .long, help: "The SDK the users run today: core, legacy or node.")
    var from: SDKFlavor = .node

    @Option(name: .long, help: "The SDK they move to: core, legacy or node.")
    var to: SDKFlavor = .core

    @Option(name: .long, help: "Output format: md or json.")
    var format: Format = .md

    @Option(name: .long, help: "Write the report to this file instead of standard output.")
    var out: String?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case md, json
    }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if from == to { throw ValidationError("--from and --to name the same SDK (\(from.rawValue)): nothing to compare") }
    }

    func run() throws {
        let (specs, usersFile, options) = try inputs.load(flavor: .core)
        for p in usersFile.problems { printError("warning: \(p), line skipped") }
        let compiled = CompiledPayload(specs)
        if compiled.legacyLoadFailed && (from == .legacy || to == .legacy) {
            printError("warning: the legacy SDK cannot load this payload (a user_bucket target element int() rejects); "
                       + "legacy results assume it skipped those elements")
        }
        let report = SDKDiff.run(payload: compiled, users: usersFile.users, indices: usersFile.indices, options: options,
                                 from: from, to: to, threads: threads ?? Parallel.availableCores)
        let described = SDKDiff.Inputs(payloadFile: inputs.payload, payloadFormat: specs.format, usersFile: inputs.users,
                                    skippedUserLines: usersFile.problems.count)
        let text: String
        switch format {
        case .md: text = report.markdown(described)
        case .json: text = JSONWriter(style: .python).string(report.json(described)) + "\n"
        }
        let sink = try OutputSink(path: out)
        sink.write(Array(text.utf8))
        try sink.close()
    }
}
