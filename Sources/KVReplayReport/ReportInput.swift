public import KVReplayEngine
public import KVReplayEvaluation
public import KVReplayModel
public import KVReplayStore

/// Everything a report is computed from: the snapshots in replay order, replay results and audit verdicts.
public struct ReportInput: Sendable {
    public struct Snapshot: Sendable {
        public var sha256: String
        public var lcut: Int64
        public var capturedAt: Int64
        /// The value's size as stored in KV.
        public var bytes: Int
        public var kvKey: String?
        /// The parsed payload, for inputs built in memory; nil when ``facts`` were computed instead.
        public var specs: ConfigSpecs?
        /// What the report reads of the specs, when computed up front (``StoreReportLoader`` does, one snapshot at
        /// a time); nil: computed from ``specs``.
        public var facts: SpecFacts?

        public init(sha256: String, lcut: Int64, capturedAt: Int64, bytes: Int, kvKey: String?, specs: ConfigSpecs) {
            self.sha256 = sha256
            self.lcut = lcut
            self.capturedAt = capturedAt
            self.bytes = bytes
            self.kvKey = kvKey
            self.specs = specs
        }

        /// A snapshot given by its facts only (its parsed payload is not kept).
        public init(sha256: String, lcut: Int64, capturedAt: Int64, bytes: Int, kvKey: String?, facts: SpecFacts) {
            self.sha256 = sha256
            self.lcut = lcut
            self.capturedAt = capturedAt
            self.bytes = bytes
            self.kvKey = kvKey
            self.facts = facts
        }
    }

    /// The users whose outcome for one entity changed between two consecutive snapshots (`from`/`to` index
    /// `snapshots`), aggregated.
    public struct FlipSummary: Sendable {
        public var from: Int
        public var to: Int
        public var entity: EntityRef
        public var changedUsers = 0
        public var valueChanged = 0
        public var ruleChanged = 0
        public var groupChanged = 0
        public var toTrue = 0
        public var toFalse = 0
        /// "A -> B" group moves and their counts.
        public var transitions: [String: Int] = [:]
        /// The first few changed users (lowest user ids): unit ID, before, after.
        public var examples: [(unitID: String, before: Outcome, after: Outcome)] = []

        public init(from: Int, to: Int, entity: EntityRef) {
            self.from = from
            self.to = to
            self.entity = entity
        }

        /// Adds one flip (call in user order; the first three become examples).
        public mutating func add(unitID: String, before: Outcome, after: Outcome) {
            changedUsers += 1
            let fields = before.changes(to: after)
            if fields.contains("value") { valueChanged += 1 }
            if fields.contains("rule") { ruleChanged += 1 }
            if fields.contains("group") { groupChanged += 1 }
            if before.value == .bool(false) && after.value == .bool(true) { toTrue += 1 }
            if before.value == .bool(true) && after.value == .bool(false) { toFalse += 1 }
            if before.groupName != after.groupName {
                transitions["\(before.groupName ?? "none") -> \(after.groupName ?? "none")", default: 0] += 1
            }
            if examples.count < 3 { examples.append((unitID, before, after)) }
        }

        /// Adds `n` users who flipped from `before` to `after` (counts only; ``examples`` are set by the caller).
        public mutating func add(before: Outcome, after: Outcome, users n: Int) {
            changedUsers += n
            let fields = before.changes(to: after)
            if fields.contains("value") { valueChanged += n }
            if fields.contains("rule") { ruleChanged += n }
            if fields.contains("group") { groupChanged += n }
            if before.value == .bool(false) && after.value == .bool(true) { toTrue += n }
            if before.value == .bool(true) && after.value == .bool(false) { toFalse += n }
            if before.groupName != after.groupName {
                transitions["\(before.groupName ?? "none") -> \(after.groupName ?? "none")", default: 0] += n
            }
        }
    }

    /// Audit verdicts, aggregated.
    public struct AuditSummary: Sendable {
        public var byVerdict: [Verdict: Int] = [:]
        public var inferred = 0
        public var mismatchesByField: [String: Int] = [:]
        public var mismatchesByEntity: [String: Int] = [:]
        /// For stale exposures: ms from the newer config's publication (its lcut) to the event.
        public var staleDelays: [Int64] = []

        /// Non-matches grouped by verdict, entity and cause, in first-seen order.
        public var findings: [FindingGroup] = []
        private var findingIndex: [String: Int] = [:]
        /// Stale exposures per entity and per edge.
        public var staleByEntity: [StaleGroup] = []
        private var staleEntityIndex: [String: Int] = [:]
        public var staleByEdge: [StaleGroup] = []
        private var staleEdgeIndex: [String: Int] = [:]

        public init() {}

        public var exposures: Int { byVerdict.values.reduce(0, +) }

        /// Adds a non-match with its cause (call in exposure order: the first three of a group are its examples).
        public mutating func addFinding(_ e: AuditEntry) {
            let cause = e.cause ?? "unexplained"
            let key = "\(e.verdict)\u{1}\(e.kind)\u{1}\(e.entity)\u{1}\(cause)"
            let user = e.userRow.map { "#\($0)" } ?? e.userLabel ?? e.unitID ?? "-"
            if let i = findingIndex[key] {
                findings[i].add(e, user: user)
            } else {
                findingIndex[key] = findings.count
                var g = FindingGroup(verdict: e.verdict, kind: e.kind, entity: e.entity, cause: cause)
                g.add(e, user: user)
                findings.append(g)
            }
            guard e.verdict == Verdict.stale.rawValue, let lag = e.staleLagMs else { return }
            let ek = "\(e.kind)\u{1}\(e.entity)"
            if let i = staleEntityIndex[ek] { staleByEntity[i].add(e, user: user, lag: lag) } else {
                staleEntityIndex[ek] = staleByEntity.count
                var g = StaleGroup(kind: e.kind, name: e.entity)
                g.add(e, user: user, lag: lag)
                staleByEntity.append(g)
            }
            let edge = e.edge
            if let i = staleEdgeIndex[edge] { staleByEdge[i].add(e, user: user, lag: lag) } else {
                staleEdgeIndex[edge] = staleByEdge.count
                var g = StaleGroup(kind: "edge", name: edge)
                g.add(e, user: user, lag: lag)
                staleByEdge.append(g)
            }
        }

        public mutating func add(verdict: Verdict, fields: [String], inferred: Bool, eventTime: Int64, newerLcut: Int64?, kind: String, entity: String) {
            byVerdict[verdict, default: 0] += 1
            if inferred { self.inferred += 1 }
            if verdict == .mismatch {
                for f in fields { mismatchesByField[f, default: 0] += 1 }
                mismatchesByEntity["\(kind) \(entity)", default: 0] += 1
            }
            if verdict == .stale, let t = newerLcut { staleDelays.append(eventTime - t) }
        }
    }

    /// Non-matches of one verdict, entity and cause.
    public struct FindingGroup: Sendable {
        public var verdict: String
        public var kind: String
        public var entity: String
        public var cause: String
        public var count = 0
        public var users: Set<String> = []
        /// The first three exposures (lowest exposure ids).
        public var examples: [AuditEntry] = []

        public init(verdict: String, kind: String, entity: String, cause: String) {
            self.verdict = verdict
            self.kind = kind
            self.entity = entity
            self.cause = cause
        }

        mutating func add(_ e: AuditEntry, user: String) {
            count += 1
            users.insert(user)
            if examples.count < 3 { examples.append(e) }
        }
    }

    /// Stale exposures of one entity (or one edge): who was served the old config, when, and how late.
    public struct StaleGroup: Sendable {
        public var kind: String
        public var name: String
        public var count = 0
        public var users: Set<String> = []
        public var firstEvent: Int64 = .max
        public var lastEvent: Int64 = .min
        /// ms from the newer config's publication to each event.
        public var lags: [Int64] = []
        /// What the newer configs change, with counts (`newer-config:pass-percentage` …).
        public var changes: [String: Int] = [:]

        public init(kind: String, name: String) {
            self.kind = kind
            self.name = name
        }

        mutating func add(_ e: AuditEntry, user: String, lag: Int64) {
            count += 1
            users.insert(user)
            if let t = e.eventTime {
                firstEvent = min(firstEvent, t)
                lastEvent = max(lastEvent, t)
            }
            lags.append(lag)
            changes[e.cause ?? "newer-config", default: 0] += 1
        }
    }

    /// One row of the replay's edge blind spots (see `ReportModel.EdgeBlindSpot`).
    public struct EdgeBlindSpot: Sendable {
        public var kind: String
        public var name: String
        public var cause: String
        public var users: Int
        public var population: Int
        public var examples: [(unit: String, edge: Outcome, intent: Outcome)]

        public init(kind: String, name: String, cause: String, users: Int, population: Int, examples: [(unit: String, edge: Outcome, intent: Outcome)]) {
            self.kind = kind
            self.name = name
            self.cause = cause
            self.users = users
            self.population = population
            self.examples = examples
        }
    }

    public var edgeBlindSpots: [EdgeBlindSpot] = []
    public var snapshots: [Snapshot]
    public var rollups: [ReplayRollup]
    public var flips: [FlipSummary]
    public var audit: AuditSummary

    public init(snapshots: [Snapshot], rollups: [ReplayRollup], flips: [FlipSummary], audit: AuditSummary) {
        self.snapshots = snapshots
        self.rollups = rollups
        self.flips = flips
        self.audit = audit
    }
}

public struct ReportOptions: Sendable {
    /// Show unit IDs as they are instead of short hashes.
    public var includePII = false
    /// The share of audited exposures that may mismatch before the JUnit audit case fails.
    public var maxMismatchRate = 0.01
    /// Snapshots used for the size forecast (the most recent ones).
    public var forecastWindow = 30
    /// Write CSV cells that a spreadsheet would run as a formula as they are, instead of prefixed with `'`.
    public var rawCSVFormulas = false

    public init() {}
}
