public import KVReplayEngine
public import KVReplayEvaluation
public import KVReplayModel

/// Everything a report is computed from: the snapshots in replay order, replay results and audit verdicts.
public struct ReportInput: Sendable {
    public struct Snapshot: Sendable {
        public var sha256: String
        public var lcut: Int64
        public var capturedAt: Int64
        /// The value's size as stored in KV.
        public var bytes: Int
        public var kvKey: String?
        public var specs: ConfigSpecs

        public init(sha256: String, lcut: Int64, capturedAt: Int64, bytes: Int, kvKey: String?, specs: ConfigSpecs) {
            self.sha256 = sha256
            self.lcut = lcut
            self.capturedAt = capturedAt
            self.bytes = bytes
            self.kvKey = kvKey
            self.specs = specs
        }
    }

    /// Flips between two consecutive snapshots for one entity (`from`/`to` index `snapshots`).
    public struct FlipSet: Sendable {
        public var from: Int
        public var to: Int
        public var entity: EntityRef
        public var flips: [Flip]

        public init(from: Int, to: Int, entity: EntityRef, flips: [Flip]) {
            self.from = from
            self.to = to
            self.entity = entity
            self.flips = flips
        }
    }

    /// One audited exposure.
    public struct Audited: Sendable {
        public var verdict: Verdict
        public var fields: [String]
        public var inferred: Bool
        public var eventTime: Int64
        /// Capture time of the newer config that answered differently (stale exposures).
        public var newerCapturedAt: Int64?
        public var kind: String
        public var entity: String

        public init(verdict: Verdict, fields: [String], inferred: Bool, eventTime: Int64, newerCapturedAt: Int64?, kind: String, entity: String) {
            self.verdict = verdict
            self.fields = fields
            self.inferred = inferred
            self.eventTime = eventTime
            self.newerCapturedAt = newerCapturedAt
            self.kind = kind
            self.entity = entity
        }
    }

    public var snapshots: [Snapshot]
    public var rollups: [ReplayRollup]
    public var flips: [FlipSet]
    public var audit: [Audited]
    /// Unit ID of each population member, for examples.
    public var unitIDs: [Int64: String]

    public init(snapshots: [Snapshot], rollups: [ReplayRollup], flips: [FlipSet], audit: [Audited], unitIDs: [Int64: String]) {
        self.snapshots = snapshots
        self.rollups = rollups
        self.flips = flips
        self.audit = audit
        self.unitIDs = unitIDs
    }
}

public struct ReportOptions: Sendable {
    /// Show unit IDs as they are instead of short hashes.
    public var includePII = false
    /// The share of audited exposures that may mismatch before the JUnit audit case fails.
    public var maxMismatchRate = 0.01
    /// Snapshots used for the size forecast (the most recent ones).
    public var forecastWindow = 30

    public init() {}
}
