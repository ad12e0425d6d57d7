import ArgumentParser
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel

struct SDKDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdk-diff",
        abstract: "Audit a move from the legacy SDKs to the core: the users whose value, rule or group would change, per entity.",
        discussion: """
            Evaluates every entity of the payload for every user under both SDK families (legacy: statsig 0.72.1, the \
            statsig-node family; core: statsig-server-core 0.24.2) and reports, per entity, how many users get a \
            different value, rule ID or group name, grouped by cause (the condition type/operator that first evaluated \
            differently, or a step only one SDK takes), with up to five example users. Markdown (default) or JSON.
            """)

    @Option(name: .long, help: "The config-specs payload (DCS v1 or v2 JSON, optionally gzip).")
    var payload: String

    @Option(name: .long, help: "Users, one Statsig user object per line (JSON Lines, optionally gzip).")
    var users: String

    @Option(name: .customLong("id-lists"), help: "A JSON object mapping each ID-list name to an array of unit IDs.")
    var idLists: String?

    @Option(name: .long, help: "Output format: md or json.")
    var format: Format = .md

    @Option(name: .long, help: "Time that current_time conditions read, in ms since the epoch (default: now).")
    var now: Int64?

    @Option(name: .long, help: "The SDK environment tier (default: the payload's default_environment).")
    var environment: String?

    @Option(name: .long, help: "Write the report to this file instead of standard output.")
    var out: String?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case md, json
    }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let specs = try ConfigSpecs(jsonBytes: try FileReading.readAll(payload), source: payload)
        let lists = try idLists.map { try IDListsFile.load($0) } ?? [:]
        let usersFile = try UsersFile.load(users)
        for p in usersFile.problems { printError("warning: \(p), line skipped") }
        let compiled = CompiledPayload(specs)
        if compiled.legacyLoadFailed {
            printError("warning: the legacy SDK cannot load this payload (a user_bucket target element int() rejects); "
                       + "legacy results assume it skipped those elements")
        }
        let options = EvaluationOptions(
            flavor: .core, now: now ?? Int64(Date().timeIntervalSince1970 * 1000), idLists: IDLists(unitIDs: lists),
            environment: environment.map { ["tier": $0] })
        let report = SDKDiff.run(payload: compiled, users: usersFile.users, indices: usersFile.indices, options: options,
                                 threads: threads ?? Parallel.availableCores)
        let inputs = SDKDiff.Inputs(payloadFile: payload, payloadFormat: specs.format, usersFile: users,
                                    skippedUserLines: usersFile.problems.count)
        let text: String
        switch format {
        case .md: text = report.markdown(inputs)
        case .json: text = JSONWriter(style: .python).string(report.json(inputs)) + "\n"
        }
        let sink = try OutputSink(path: out)
        sink.write(Array(text.utf8))
        try sink.close()
    }
}
