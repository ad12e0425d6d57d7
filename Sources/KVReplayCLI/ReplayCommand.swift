import ArgumentParser
import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayStore

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-evaluate every entity for every user under every snapshot, record who flipped, and audit logged exposures.",
        discussion: """
            Snapshots are replayed in lcut order; a snapshot is named by its id, its lcut or a SHA-256 prefix. Entities whose \
            dependency closure did not change keep their results. Conditions on the current time are evaluated as of each \
            snapshot's lcut. Results replace the previous replay's, in one transaction.
            """)

    @Option(name: .long, help: "The database (default: kvreplay.sqlite).")
    var db: String = Store.defaultPath

    @Option(name: .long, help: "SDK family for the population replay and for exposures whose SDK type does not say: core, legacy or node.")
    var sdk: SDKFlavor = .core

    @Option(name: .long, help: ArgumentHelp("What the statsig-node edges had loaded: auto or guide (the Worker of Statsig's Cloudflare KV guide: no ID lists, no IP-to-country table), or full.", valueName: "set-up"))
    var edge: EdgeMode = .auto

    @Option(name: .long, help: "First snapshot to replay (id, lcut or SHA-256 prefix).")
    var from: String?

    @Option(name: .long, help: "Last snapshot to replay.")
    var to: String?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "K/N: replay only the users whose unit key hashes to shard K of N, into --shard-db.")
    var shard: String?

    @Option(name: .customLong("shard-db"), help: "Where a shard's results go (default: kvreplay.shard-K-of-N.sqlite).")
    var shardDB: String?

    @Option(name: .customLong("payload-memory"), help: ArgumentHelp("MiB of compiled payloads kept between snapshots (default: 384); the ones a step needs are kept whatever their size.", valueName: "MiB"))
    var payloadMemory: Int?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let payloadMemory, payloadMemory < 0 { throw ValidationError("--payload-memory must be at least 0") }
        if let shard, Shard(shard) == nil { throw ValidationError("--shard expects K/N with 1 <= K <= N, got \(shard)") }
        if shardDB != nil && shard == nil { throw ValidationError("--shard-db goes with --shard") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let source = try Store.open(path: db, mode: shard == nil ? .readWrite : .readOnly)
        var replay = StoreReplay()
        replay.flavor = sdk
        replay.edge = edge
        replay.from = from.map(SnapshotSelector.init)
        replay.to = to.map(SnapshotSelector.init)
        replay.threads = threads ?? Parallel.availableCores
        if let payloadMemory { replay.payloadBudget = payloadMemory << 20 }
        var results = source
        if let s = shard.flatMap(Shard.init) {
            replay.shard = s
            let path = shardDB ?? "kvreplay.shard-\(s.index)-of-\(s.count).sqlite"
            results = try Store.open(path: path)
        }
        let start = Date()
        let r = try replay.run(source: source, results: results)
        if !quiet {
            let seconds = Date().timeIntervalSince(start)
            print("replayed \(r.snapshots) snapshots for \(r.users) users\(shard.map { " (shard \($0))" } ?? ""): \(r.entities) entities, "
                  + "\(r.evaluations) evaluations, \(r.carriedOver) results carried over, \(r.flips) flips in \(String(format: "%.2f", seconds)) s "
                  + "(\(r.compilations) payload compilations)")
            let v = Verdict.allCases.map { "\($0.rawValue) \(r.verdicts[$0] ?? 0)" }.joined(separator: ", ")
            print("audited \(r.exposures) exposures: \(v)")
            if shard != nil { print("results in \(results.path); combine the shards with `kvreplay merge \(db) SHARD...`") }
        }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the results of `replay --shard K/N` runs into the database they were replayed from.")

    @Argument(help: "The database the shards were replayed from; receives the merged results.")
    var out: String

    @Argument(help: "The shard databases, one per shard.")
    var shards: [String]

    func validate() throws {
        if shards.isEmpty { throw ValidationError("give at least one shard database") }
    }

    func run() throws {
        let target = try Store.open(path: out)
        let stores = try shards.map { try Store.open(path: $0, mode: .readOnly) }
        let run = try ShardMerge.merge(into: target, shards: stores)
        print("merged \(shards.count) shards into \(out): \(run.users) users, \(run.evaluations) evaluations, \(run.exposures) exposures audited")
    }
}
