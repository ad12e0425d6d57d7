public import KVReplayEvaluation

/// Everything that shapes a generated dataset. The same options (seed included) always give byte-identical files.
public struct GenerateOptions: Sendable {
    /// Seeds every random choice.
    public var seed: UInt64 = 1
    /// First day of the history, 00:00 UTC, in ms since the epoch (default 2026-03-01).
    public var start: Int64 = UTCTime.parse("2026-03-01")!
    public var days: Int = 30
    /// Scheduled KV captures per day.
    public var snapshotsPerDay: Int = 4
    /// Size of the user population (`users.jsonl`).
    public var users: Int = 10_000
    /// Feature gates (not counting segments and holdouts) defined over the history.
    public var gates: Int = 60
    /// Experiments defined over the history.
    public var experiments: Int = 12
    /// Layers that experiments are spread over (some experiments stay outside layers).
    public var layers: Int = 3
    /// Share of the population active on a given day.
    public var activeShare: Double = 0.08
    /// Payload growth in KiB per day: IDs added to inline `unit_id` lists (segments and allowlists).
    /// The default makes a 90-day history approach the 25 MiB KV value limit.
    public var growthKiBPerDay: Int = 256
    /// Edge servers (SDK instances) that log events.
    public var servers: Int = 12
    /// Share of edge servers that keep serving the previous config for a few minutes after a change.
    public var laggingShare: Double = 0.25
    /// Longest lag, in minutes, of a lagging server.
    public var maxLagMinutes: Int = 15
    /// Scheduled captures that are missing (the config of the change before each was never captured).
    public var missingCaptures: Int = 2
    /// Exposures deliberately written wrong (value or rule flipped), spread over the history.
    public var wrongExposures: Int = 24
    /// Deliberately corrupt records (truncated line, missing eventName, wrong types).
    public var corruptRecords: Int = 8
    /// How often a `log_event` server flushes, in minutes (a body holds at most 500 events).
    public var flushMinutes: Int = 120
    /// Share of snapshot and log files written gzip-compressed.
    public var gzipShare: Double = 0.25
    /// The SDK flavour that evaluates events of the `statsig-node` servers. The audit maps that SDK type to `.node`
    /// (see `SDKFlavor.forSDKType`), so the generated verdicts use the same flavour. A `.node` server runs as the Worker
    /// of Statsig's Cloudflare KV guide (`EdgeProfile.guide`: no ID lists, no IP-to-country table).
    public var legacyServerFlavor: SDKFlavor = .node

    public init() {}

    /// Problems with the options, for the CLI to report.
    public func validate() -> [String] {
        var p: [String] = []
        if days < 1 { p.append("--days must be at least 1") }
        if snapshotsPerDay < 1 || snapshotsPerDay > 96 { p.append("--snapshots-per-day must be between 1 and 96") }
        if users < 10 { p.append("--users must be at least 10") }
        if gates < 8 { p.append("--gates must be at least 8") }
        if experiments < 0 { p.append("--experiments must not be negative") }
        if layers < 0 { p.append("--layers must not be negative") }
        if !(activeShare > 0 && activeShare <= 1) { p.append("--active-share must be in (0, 1]") }
        if growthKiBPerDay < 0 { p.append("--growth must not be negative") }
        if servers < 1 { p.append("--servers must be at least 1") }
        if !(laggingShare >= 0 && laggingShare <= 1) { p.append("--lagging-share must be in [0, 1]") }
        if maxLagMinutes < 1 || maxLagMinutes > 25 { p.append("--max-lag-minutes must be between 1 and 25") }
        if missingCaptures < 0 { p.append("--missing-captures must not be negative") }
        if wrongExposures < 0 { p.append("--wrong-exposures must not be negative") }
        if corruptRecords < 0 { p.append("--corrupt-records must not be negative") }
        if flushMinutes < 1 || flushMinutes > 1440 { p.append("--flush-minutes must be between 1 and 1440") }
        if !(gzipShare >= 0 && gzipShare <= 1) { p.append("--gzip-share must be in [0, 1]") }
        return p
    }
}
