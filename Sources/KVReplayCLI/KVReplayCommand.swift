public import ArgumentParser

/// `kvreplay`: replay and audit Statsig decisions from Cloudflare KV payload snapshots.
public struct KVReplayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kvreplay",
        abstract: "Replay and audit Statsig gate and experiment decisions offline, from the payloads Statsig writes into Cloudflare Workers KV.",
        version: "0.1.0",
        subcommands: [EvalCommand.self, BenchCommand.self, SDKDiffCommand.self])

    public init() {}
}
