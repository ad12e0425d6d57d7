import ArgumentParser
import Foundation
import KVReplayCheck
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayEngine
import KVReplayStore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare a candidate payload with a baseline for a population; fail on thresholds and expectations.",
        discussion: """
            Exit status: 0 when every check passes, 1 when a threshold is crossed or an expectation does not hold, \
            2 for usage errors and unusable input.
            """)

    @Option(name: .long, help: "The baseline: a payload file (DCS v1 or v2, optionally gzip), or with --db a snapshot (id, lcut or SHA-256 prefix).")
    var baseline: String

    @Option(name: .long, help: "The candidate: a payload file, or with --db a snapshot.")
    var candidate: String

    @Option(name: .long, help: "The population: a users file (JSON Lines).")
    var users: String?

    @Option(name: .long, help: "A kvreplay database: its users are the population and its snapshots can be named.")
    var db: String?

    @Option(name: .customLong("id-lists"), help: "A JSON object mapping each ID-list name to an array of unit IDs.")
    var idLists: String?

    @Option(name: .long, help: "SDK family: core or legacy.")
    var sdk: SDKFlavor = .core

    @Option(name: .long, help: "Time that current_time conditions read, ms since the epoch (default: now).")
    var now: Int64?

    @Option(name: .customLong("max-changed-rate"), help: "Fail when more than this share (0-1) of users change value, rule or group for any entity.")
    var maxChangedRate: Double?

    @Option(name: .customLong("max-changed-rate-for"), help: "ENTITY=R: fail when more than share R of users change for ENTITY (repeatable).")
    var maxChangedRateFor: [String] = []

    @Option(name: .long, help: "A JSON file of expectations (see README).")
    var expect: String?

    @Option(name: .customLong("max-payload-percent"), help: "Fail when the candidate exceeds this percentage of the 25 MiB KV value limit.")
    var maxPayloadPercent: Double?

    @Option(name: .long, help: "Also write a JUnit XML report to this file.")
    var junit: String?

    @Option(name: .long, help: "Output: text, json or github (workflow annotations).")
    var format: Format = .text

    enum Format: String, ExpressibleByArgument { case text, json, github }

    func validate() throws {
        if (users == nil) == (db == nil) { throw ValidationError("give the population with exactly one of --users FILE or --db FILE") }
        if let r = maxChangedRate, !(0...1).contains(r) { throw ValidationError("--max-changed-rate must be between 0 and 1") }
        for item in maxChangedRateFor {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let r = Double(parts[1]), (0...1).contains(r) else {
                throw ValidationError("--max-changed-rate-for expects ENTITY=RATE with RATE between 0 and 1, got \(item)")
            }
        }
    }

    func run() throws {
        let store = try db.map { try Store.open(path: $0, mode: .readOnly) }
        func payload(_ name: String) throws -> CheckPayload {
            // A file wins; with --db, anything else names a snapshot.
            if let store, !FileManager.default.fileExists(atPath: name) {
                let infos = try store.snapshots()
                let i = try SnapshotSelector(name).resolve(in: infos)
                let bytes = try store.payload(snapshotID: infos[i].id)
                return CheckPayload(name: "snapshot \(infos[i].sha256.prefix(12)) (lcut \(infos[i].lcut.map(String.init) ?? "-"))",
                                    specs: try ConfigSpecs(jsonBytes: bytes, source: name), bytes: Int(infos[i].sizeBytes))
            }
            let bytes = try FileReading.readAll(name)
            return CheckPayload(name: name, specs: try ConfigSpecs(jsonBytes: bytes, source: name), bytes: bytes.count)
        }
        let base = try payload(baseline), cand = try payload(candidate)
        var population: [StatsigUser] = []
        if let users {
            let file = try UsersFile.load(users)
            for p in file.problems { printError("warning: \(p), line skipped") }
            population = file.users
        } else if let store {
            population = try DatabaseUsers.load(store)
        }
        var options = CheckOptions(now: now ?? Int64(Date().timeIntervalSince1970 * 1000))
        options.flavor = sdk
        if let idLists {
            options.idLists = IDLists(unitIDs: try IDListsFile.load(idLists))
        } else if let store {
            options.idLists = IDLists(hashedEntries: try store.idLists())
        }
        options.maxChangedRate = maxChangedRate
        options.maxPayloadPercent = maxPayloadPercent
        for item in maxChangedRateFor {
            let parts = item.split(separator: "=", maxSplits: 1)
            options.maxChangedRateFor[String(parts[0])] = Double(parts[1])!
        }
        if let expect {
            do { options.expectations = try Expectation.parse(try FileReading.readAll(expect), source: expect) } catch let e as ExpectationError {
                throw InputError(e.message)
            }
        }
        let report = RegressionCheck.run(baseline: base, candidate: cand, users: population, options: options)
        switch format {
        case .text: print(report.text(), terminator: "")
        case .json: print(JSONWriter(style: .python).string(report.json()))
        case .github: print(report.github(), terminator: "")
        }
        if let junit {
            do { try Data(report.junit().utf8).write(to: URL(fileURLWithPath: junit), options: .atomic) } catch {
                throw InputError("\(junit): cannot write (\(error.localizedDescription))")
            }
        }
        if !report.passed { throw ExitCode(1) }
    }
}
