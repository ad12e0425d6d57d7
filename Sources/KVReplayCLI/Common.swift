public import ArgumentParser
import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayStore

/// The inputs of every command that evaluates a payload for a users file.
struct EvaluationInputs: ParsableArguments {
    @Option(name: .long, help: "The config-specs payload (DCS v1 or v2 JSON, optionally gzip).")
    var payload: String

    @Option(name: .long, help: "Users, one Statsig user object per line (JSON Lines, optionally gzip).")
    var users: String

    @Option(name: .customLong("id-lists"), help: "A JSON object mapping each ID-list name to an array of unit IDs.")
    var idLists: String?

    @Option(name: .long, help: "Time that current_time conditions read, in ms since the epoch (default: now).")
    var now: Int64?

    @Option(name: .long, help: "The SDK environment tier (default: the payload's default_environment).")
    var environment: String?

    /// The decoded payload, the users file and the evaluation options for `flavor`.
    func load(flavor: SDKFlavor) throws -> (ConfigSpecs, UsersFile, EvaluationOptions) {
        let specs = try ConfigSpecs(jsonBytes: try FileReading.readAll(payload), source: payload)
        let lists = try idLists.map { try IDListsFile.load($0) } ?? [:]
        let usersFile = try UsersFile.load(users)
        let options = EvaluationOptions(
            flavor: flavor, now: now ?? Int64(Date().timeIntervalSince1970 * 1000), idLists: IDLists(unitIDs: lists),
            environment: environment.map { ["tier": $0] })
        return (specs, usersFile, options)
    }
}

/// The inputs plus the SDK family to reproduce (`eval`, `bench eval`).
struct EvaluationArguments: ParsableArguments {
    @OptionGroup var inputs: EvaluationInputs

    @Option(name: .long, help: "SDK family to reproduce: core (statsig-server-core) or legacy (statsig-node, statsig Python).")
    var sdk: SDKFlavor = .core

    var payload: String { inputs.payload }
    var users: String { inputs.users }

    func load() throws -> (Evaluator, UsersFile) {
        let (specs, usersFile, options) = try inputs.load(flavor: sdk)
        return (Evaluator(payload: CompiledPayload(specs), options: options), usersFile)
    }
}

extension SDKFlavor: ExpressibleByArgument {}
extension EdgeMode: ExpressibleByArgument {}
extension EntityKind: ExpressibleByArgument {}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Buffered output to a file or standard output.
final class OutputSink {
    private let handle: FileHandle
    private let path: String?
    private let temporary: String?

    /// Writes to `path` through a temporary file renamed into place on `close()`, so a failure never leaves a
    /// partial file. A path that exists and is not a regular file (`/dev/null`, a pipe) is written directly.
    init(path: String?) throws {
        self.path = path
        if let path {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            if isDir.boolValue { throw InputError("\(path): is a directory") }
            let attributes = exists ? try? FileManager.default.attributesOfItem(atPath: path) : nil
            if exists, let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
                guard let h = FileHandle(forWritingAtPath: path) else { throw InputError("cannot write \(path)") }
                handle = h
                temporary = nil
                return
            }
            let tmp = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
                throw InputError("cannot write \(path)")
            }
            handle = h
            temporary = tmp
        } else {
            handle = FileHandle.standardOutput
            temporary = nil
        }
    }

    func write(_ bytes: [UInt8]) {
        handle.write(Data(bytes))
    }

    func close() throws {
        guard let path, let temporary else {
            if path != nil { try handle.close() }
            return
        }
        try handle.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    func abandon() {
        guard let temporary else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}

/// The population of a database as Statsig users (rows whose object no longer reads are left out).
enum DatabaseUsers {
    static func load(_ store: Store) throws -> [StatsigUser] {
        var users: [StatsigUser] = []
        try store.forEachUserBatch { batch in
            for u in batch {
                if let json = try? JSONParser.parse(u.json), let user = try? StatsigUser(json: json) { users.append(user) }
            }
        }
        return users
    }

    /// The user whose userID or a custom ID is `id`.
    static func find(_ store: Store, unitID id: String) throws -> StatsigUser? {
        let rows = try store.rowsFor(unitID: id)
        for json in rows {
            if let v = try? JSONParser.parse(json), let user = try? StatsigUser(json: v) { return user }
        }
        return nil
    }
}
