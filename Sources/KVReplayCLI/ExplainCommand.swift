import ArgumentParser
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show, step by step, how a user gets an entity's value: rules, conditions, buckets, nested gates.",
        discussion: "The steps are recorded by the evaluator while it evaluates, so the answer is always the one `eval` gives.")

    @Option(name: .long, help: "The config-specs payload (DCS v1 or v2, optionally gzip).")
    var payload: String

    @Option(name: .long, help: "The user as a JSON object (or @FILE to read it from a file).")
    var user: String

    @Option(name: .long, help: "The gate, config, experiment or layer to explain.")
    var entity: String

    @Option(name: .long, help: "The entity's kind when the name is ambiguous: gate, config, experiment, layer.")
    var kind: EntityKind?

    @Option(name: .customLong("id-lists"), help: "A JSON object mapping each ID-list name to an array of unit IDs.")
    var idLists: String?

    @Option(name: .long, help: "SDK family: core or legacy.")
    var sdk: SDKFlavor = .core

    @Option(name: .long, help: "Time that current_time conditions read, ms since the epoch (default: now).")
    var now: Int64?

    @Flag(name: .long, help: "Print the steps and the result as JSON.")
    var json = false

    func run() throws {
        let specs = try ConfigSpecs(jsonBytes: FileReading.readAll(payload), source: payload)
        let userText = user.hasPrefix("@") ? String(decoding: try FileReading.readAll(String(user.dropFirst())), as: UTF8.self) : user
        let statsigUser: StatsigUser
        do { statsigUser = try StatsigUser(json: JSONParser.parse(userText)) } catch {
            throw InputError("--user: \(error)")
        }
        let lists = try idLists.map { try IDListsFile.load($0) } ?? [:]
        let evaluator = Evaluator(payload: CompiledPayload(specs),
                                  options: EvaluationOptions(flavor: sdk, now: now ?? Int64(Date().timeIntervalSince1970 * 1000), idLists: IDLists(unitIDs: lists)))
        let candidates = evaluator.payload.entities.filter { $0.name == entity && (kind == nil || $0.kind == kind) }
        guard let ref = candidates.first else { throw InputError("\(payload) has no \(kind?.rawValue ?? "entity") named \(entity)") }
        if candidates.count > 1 {
            throw InputError("\(entity) names several entities (\(candidates.map(\.kind.rawValue).joined(separator: ", "))); pick one with --kind")
        }
        let explanation = evaluator.explain(ref, for: evaluator.prepare(statsigUser))
        if json {
            print(JSONWriter(style: .python).string(explanation.json()))
        } else {
            print(explanation.text(), terminator: "")
        }
    }
}

/// Unusable input: reported on standard error, exit status 2.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
