public import ArgumentParser
import Foundation
import KVReplayCheck
import KVReplayIO
import KVReplayModel
import KVReplayStore

/// `kvreplay`: replay and audit Statsig decisions from Cloudflare KV payload snapshots.
///
/// Exit codes: 0 success; 1 a fatal error; 2 a usage error or unusable input; 3 completed, but some records
/// were rejected (see the `rejects` table).
public struct KVReplayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kvreplay",
        abstract: "Replay and audit Statsig gate and experiment decisions offline, from the payloads Statsig writes into Cloudflare Workers KV.",
        discussion: """
            Exit status: 0 success; 1 a check failed or a fatal error stopped the command; 2 usage error or unusable \
            input (missing file, not a payload); 3 completed, but some records were rejected (see the rejects table).
            """,
        version: "0.1.0",
        subcommands: [
            DemoCommand.self, EvalCommand.self, CaptureCommand.self, IngestCommand.self, StatusCommand.self, ReplayCommand.self, MergeCommand.self, AuditCommand.self, ReportCommand.self,
            ExplainCommand.self, CheckCommand.self, SDKDiffCommand.self, GenerateCommand.self, BenchCommand.self,
        ])

    public init() {}

    /// Runs the command line with the documented exit statuses: usage errors and unusable input exit 2
    /// (ArgumentParser's default for usage errors is 64, EX_USAGE).
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if isUnusableInput(error) {
                printError("error: \(error)")
                Foundation.exit(2)
            }
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    static func isUnusableInput(_ error: any Error) -> Bool {
        error is InputError || error is FileError || error is PayloadError || error is CompressionError || error is ExpectationError
            || error is StoreError
    }
}
