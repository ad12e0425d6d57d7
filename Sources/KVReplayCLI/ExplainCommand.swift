import ArgumentParser
import Foundation
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayEngine
import KVReplayStore

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show, step by step, how a user gets an entity's value: rules, conditions, buckets, nested gates.",
        discussion: "The steps are recorded by the evaluator while it evaluates, so the answer is always the one `eval` gives.")

    @Option(name: .long, help: "The config-specs payload (DCS v1 or v2, optionally gzip).")
    var payload: String?

    @Option(name: .long, help: "With --db: the snapshot to explain (id, lcut or SHA-256 prefix; default the latest).")
    var snapshot: String?

    @Option(name: .long, help: "The user as a JSON object (or @FILE to read it from a file).")
    var user: String?

    @Option(name: .customLong("user-id"), help: "With --db: the user whose userID or custom ID this is.")
    var userID: String?

    @Option(name: .long, help: "A kvreplay database, for --snapshot and --user-id.")
    var db: String?

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

    func validate() throws {
        if (payload == nil) == (snapshot == nil && db == nil) { throw ValidationError("give --payload FILE, or --db FILE [--snapshot SNAP]") }
        if (user == nil) == (userID == nil) { throw ValidationError("give exactly one of --user JSON or --user-id ID") }
        if (snapshot != nil || userID != nil) && db == nil { throw ValidationError("--snapshot and --user-id need --db") }
    }

    func run() throws {
        let store = try db.map { try Store.open(path: $0, mode: .readOnly) }
        let specs: ConfigSpecs
        var snapshotTime: Int64? = nil
        if let payload {
            specs = try ConfigSpecs(jsonBytes: FileReading.readAll(payload), source: payload)
        } else {
            let infos = try store!.snapshots()
            guard !infos.isEmpty else { throw InputError("\(db!) holds no snapshots") }
            let i = try snapshot.map { try SnapshotSelector($0).resolve(in: infos) } ?? infos.count - 1
            specs = try ConfigSpecs(jsonBytes: store!.payload(snapshotID: infos[i].id), source: "snapshot \(infos[i].sha256.prefix(12))")
            snapshotTime = infos[i].lcut
        }
        let statsigUser: StatsigUser
        if let user {
            let userText = user.hasPrefix("@") ? String(decoding: try FileReading.readAll(String(user.dropFirst())), as: UTF8.self) : user
            do { statsigUser = try StatsigUser(json: JSONParser.parse(userText)) } catch {
                throw InputError("--user: \(error)")
            }
        } else {
            guard let found = try DatabaseUsers.find(store!, unitID: userID!) else { throw InputError("\(db!) has no user with unit ID \(userID!)") }
            statsigUser = found
        }
        let lists: IDLists
        if let idLists { lists = IDLists(unitIDs: try IDListsFile.load(idLists)) } else if let store { lists = IDLists(hashedEntries: try store.idLists()) } else { lists = IDLists() }
        let evaluator = Evaluator(payload: CompiledPayload(specs),
                                  options: EvaluationOptions(flavor: sdk, now: now ?? snapshotTime ?? Int64(Date().timeIntervalSince1970 * 1000), idLists: lists))
        let candidates = evaluator.payload.entities.filter { $0.name == entity && (kind == nil || $0.kind == kind) }
        guard let ref = candidates.first else { throw InputError("\(payload ?? "the snapshot") has no \(kind?.rawValue ?? "entity") named \(entity)") }
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
