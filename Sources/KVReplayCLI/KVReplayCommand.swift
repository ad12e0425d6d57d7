public import ArgumentParser
import Foundation

/// `kvreplay`: replay and audit Statsig decisions from Cloudflare KV payload snapshots.
///
/// Exit codes: 0 success; 1 a fatal error; 2 a usage error or unusable input; 3 completed, but some records
/// were rejected (see the `rejects` table).
public struct KVReplayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kvreplay",
        abstract: "Replay and audit Statsig gate and experiment decisions offline, from the payloads Statsig writes into Cloudflare Workers KV.",
        discussion: "Exit codes: 0 success, 1 fatal error, 2 usage error or unusable input, 3 some records were rejected.",
        version: "0.1.0",
        subcommands: [EvalCommand.self, IngestCommand.self, StatusCommand.self, BenchCommand.self])

    public init() {}

    /// Runs the command line. Usage errors exit with 2 (ArgumentParser's default is 64, EX_USAGE).
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
