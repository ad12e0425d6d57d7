public import KVReplayEngine
import KVReplayModel
import Foundation
import KVReplayEvaluation

/// Cloudflare Workers KV limits.
public enum KVLimits {
    public static let valueBytes = 26_214_400
    public static let keyBytes = 512
    public static let warningPercents: [Double] = [50, 80, 95]
}

/// Every figure of a report, computed once; each format renders this model.
public struct ReportModel: Sendable {
    public struct SnapshotRow: Sendable {
        public var sha256: String
        public var lcut: Int64
        public var capturedAt: Int64
        public var bytes: Int
        public var percentOfLimit: Double
        public var deltaBytes: Int?
        public var kvKey: String?
        public var keyBytes: Int?
        public var entities: Int
    }

    public struct EntitySize: Sendable {
        public var kind: String
        public var name: String
        public var bytes: Int
        public var growth: Int?
    }

    public struct Forecast: Sendable {
        public var method: String
        public var snapshotsUsed: Int
        public var bytesPerDay: Double
        /// ms since the epoch when the fit reaches the 25 MiB limit; nil when the payload is not growing.
        public var limitReachedAt: Int64?
    }

    public struct TargetAppSize: Sendable {
        public var app: String
        public var bytes: Int
        public var entities: Int
    }

    public struct RuleRollout: Sendable {
        public var ruleID: String
        public var configuredPercent: Double
        public var users: Int
        public var passed: Int
        public var measuredPercent: Double
    }

    public struct GroupSplit: Sendable {
        public var group: String
        public var expectedShare: Double
        public var users: Int
        public var measuredShare: Double
    }

    public struct Rollout: Sendable {
        public var snapshot: String
        public var snapshotIndex: Int
        public var kind: String
        public var name: String
        public var users: Int
        public var passed: Int?
        public var byRule: [(String, Int)]
        public var byGroup: [(String, Int)]
        public var partialRules: [RuleRollout]
        public var split: [GroupSplit]
        public var srmPValue: Double?
        public var srm: Bool
        public var evaluated: Bool
    }

    public struct Diff: Sendable {
        public var from: String
        public var to: String
        public var fromIndex: Int
        public var toIndex: Int
        public var kind: String
        public var name: String
        public var changedUsers: Int
        public var toTrue: Int
        public var toFalse: Int
        public var valueChanged: Int
        public var ruleChanged: Int
        public var groupChanged: Int
        public var transitions: [(String, Int)]
        public var specChanges: [String]
        public var examples: [String]
    }

    public struct Audit: Sendable {
        public var exposures: Int
        public var byVerdict: [Verdict: Int]
        public var inferred: Int
        public var mismatchesByField: [(String, Int)]
        public var mismatchesByEntity: [(String, Int)]
        /// Stale exposures: ms between the newer config's capture and the event.
        public var staleness: (count: Int, medianMs: Int64, maxMs: Int64)?
    }

    public var snapshots: [SnapshotRow]
    public var warnings: [String]
    public var heaviest: [EntitySize]
    public var fastestGrowing: [EntitySize]
    public var forecast: Forecast?
    public var targetApps: [TargetAppSize]
    public var rollouts: [Rollout]
    public var diffs: [Diff]
    public var audit: Audit
    /// Non-matches grouped by verdict, entity and cause (most exposures first within a verdict).
    public var findings: [Finding] = []
    /// Stale exposures per entity (longest lag first) and per edge (SDK type and log source).
    public var staleWindows: [StaleWindow] = []
    public var edgeLags: [StaleWindow] = []
    /// The findings summary that opens every report.
    public var actions: [Action] = []
    /// Per entity: the users the guide's statsig-node Worker decides otherwise than intended (`edge_blind_spots`).
    public var edgeBlindSpots: [EdgeBlindSpot] = []
    public var options: ReportOptions
}

extension ReportModel {
    public init(_ input: ReportInput, options: ReportOptions = ReportOptions()) {
        self.options = options
        let snaps = input.snapshots
        let facts = input.specFacts()
        // 1. Sizes.
        var rows: [SnapshotRow] = []
        for (i, s) in snaps.enumerated() {
            rows.append(SnapshotRow(sha256: s.sha256, lcut: s.lcut, capturedAt: s.capturedAt, bytes: s.bytes,
                                    percentOfLimit: Double(s.bytes) / Double(KVLimits.valueBytes) * 100,
                                    deltaBytes: i > 0 ? s.bytes - snaps[i - 1].bytes : nil, kvKey: s.kvKey,
                                    keyBytes: s.kvKey.map { $0.utf8.count }, entities: facts[i].entities))
        }
        snapshots = rows
        var warnings: [String] = []
        if let last = rows.last {
            for level in KVLimits.warningPercents.reversed() where last.percentOfLimit >= level {
                warnings.append(String(format: "the latest payload uses %.1f%% of the 25 MiB KV value limit (over %.0f%%)", last.percentOfLimit, level))
                break
            }
            if let k = last.keyBytes, k > KVLimits.keyBytes { warnings.append("the KV key is \(k) bytes, over the 512-byte key limit") }
            for r in rows where r.percentOfLimit > 100 {
                warnings.append("snapshot \(r.sha256.prefix(12)) (\(r.bytes) bytes) is over the 25 MiB KV value limit")
            }
        }
        if let last = facts.last?.sizes, let first = facts.first?.sizes {
            heaviest = last.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10).map {
                EntitySize(kind: $0.key.kind.rawValue, name: $0.key.name, bytes: $0.value, growth: nil)
            }
            fastestGrowing = last.map { ($0.key, $0.value, $0.value - (first[$0.key] ?? 0)) }
                .filter { $0.2 > 0 }
                .sorted { $0.2 != $1.2 ? $0.2 > $1.2 : $0.0 < $1.0 }.prefix(10)
                .map { EntitySize(kind: $0.0.kind.rawValue, name: $0.0.name, bytes: $0.1, growth: $0.2) }
        } else {
            heaviest = []
            fastestGrowing = []
        }
        let window = Array(rows.suffix(max(2, options.forecastWindow)))
        if let fit = Statistics.linearFit(window.map { (Double($0.capturedAt), Double($0.bytes)) }) {
            let perDay = fit.slope * 86_400_000
            var at: Int64? = nil
            if fit.slope > 0 {
                let t = (Double(KVLimits.valueBytes) - fit.intercept) / fit.slope
                if t.isFinite && t < 9e18 { at = Int64(t) }
            }
            forecast = Forecast(method: "least-squares line of bytes over capture time, \(window.count) most recent snapshots", snapshotsUsed: window.count, bytesPerDay: perDay, limitReachedAt: at)
            if let at, let last = rows.last, at > last.capturedAt, at - last.capturedAt <= 365 * 86_400_000 {
                warnings.append("at \(Int(perDay)) bytes/day the payload reaches the 25 MiB limit on \(ReportModel.date(at))")
            }
        } else {
            forecast = nil
        }
        self.warnings = warnings
        targetApps = facts.last?.targetApps ?? []

        // 2. Rollouts.
        var rollouts: [Rollout] = []
        for r in input.rollups {
            let s = snaps[r.snapshot]
            var byRule: [String: Int] = [:], byGroup: [String: Int] = [:], passedByRule: [String: Int] = [:]
            var passed = 0
            for (o, n) in r.outcomes {
                byRule[o.ruleID, default: 0] += n
                if let g = o.groupName { byGroup[g, default: 0] += n }
                if o.value == .bool(true) { passed += n; passedByRule[o.ruleID, default: 0] += n }
            }
            var partial: [RuleRollout] = []
            if r.entity.kind == .gate, let rules = facts[r.snapshot].gateRules[r.entity] {
                for rule in rules where rule.passPercentage > 0 && rule.passPercentage < 100 {
                    let matched = byRule[rule.id] ?? 0
                    guard matched > 0 else { continue }
                    let p = passedByRule[rule.id] ?? 0
                    partial.append(RuleRollout(ruleID: rule.id, configuredPercent: rule.passPercentage, users: matched, passed: p,
                                               measuredPercent: Double(p) / Double(matched) * 100))
                }
            }
            var split: [GroupSplit] = []
            var pValue: Double? = nil
            if r.entity.kind == .experiment, let allocation = facts[r.snapshot].allocations[r.entity] {
                let inGroups = allocation.reduce(0) { $0 + (byGroup[$1.group] ?? 0) }
                if inGroups > 0 {
                    split = allocation.map { GroupSplit(group: $0.group, expectedShare: $0.share, users: byGroup[$0.group] ?? 0,
                                                        measuredShare: Double(byGroup[$0.group] ?? 0) / Double(inGroups)) }
                    pValue = Statistics.chiSquare(observed: split.map(\.users), expectedShares: split.map(\.expectedShare))?.pValue
                }
            }
            func sorted(_ d: [String: Int]) -> [(String, Int)] { d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) } }
            rollouts.append(Rollout(snapshot: s.sha256, snapshotIndex: r.snapshot, kind: r.entity.kind.rawValue, name: r.entity.name,
                                    users: r.users, passed: r.entity.kind == .gate ? passed : nil, byRule: sorted(byRule), byGroup: sorted(byGroup),
                                    partialRules: partial, split: split, srmPValue: pValue, srm: (pValue ?? 1) < 0.001, evaluated: r.evaluated))
        }
        self.rollouts = rollouts

        // 3. Diffs between consecutive snapshots.
        var flipsByPair: [String: ReportInput.FlipSummary] = [:]
        for f in input.flips { flipsByPair["\(f.from)/\(f.entity.kind.rawValue)/\(f.entity.name)"] = f }
        var diffs: [Diff] = []
        if snaps.count > 1 {
            for i in 1..<snaps.count {
                for ref in facts[i].entitiesWithPrevious {
                    var changes = facts[i].changes[ref] ?? []
                    let f = flipsByPair["\(i - 1)/\(ref.kind.rawValue)/\(ref.name)"]
                    if changes.isEmpty && f == nil { continue }
                    if changes.isEmpty { changes = ["spec unchanged; results changed through a dependency or the time"] }
                    let f2 = f ?? ReportInput.FlipSummary(from: i - 1, to: i, entity: ref)
                    diffs.append(Diff(from: snaps[i - 1].sha256, to: snaps[i].sha256, fromIndex: i - 1, toIndex: i, kind: ref.kind.rawValue,
                                      name: ref.name, changedUsers: f2.changedUsers, toTrue: f2.toTrue, toFalse: f2.toFalse,
                                      valueChanged: f2.valueChanged, ruleChanged: f2.ruleChanged, groupChanged: f2.groupChanged,
                                      transitions: f2.transitions.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) },
                                      specChanges: changes,
                                      examples: f2.examples.map { "\(ReportModel.showID($0.unitID, options)): \(ReportModel.describe($0.before)) -> \(ReportModel.describe($0.after))" }))
                }
            }
        }
        self.diffs = diffs

        // 4. Audit.
        let a = input.audit
        let staleness = a.staleDelays.sorted()
        func sorted(_ d: [String: Int]) -> [(String, Int)] { d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) } }
        audit = Audit(exposures: a.exposures, byVerdict: a.byVerdict, inferred: a.inferred, mismatchesByField: sorted(a.mismatchesByField),
                      mismatchesByEntity: Array(sorted(a.mismatchesByEntity).prefix(10)),
                      staleness: staleness.isEmpty ? nil : (staleness.count, staleness[staleness.count / 2], staleness.last!))
        findings = ReportModel.findings(a, options)
        staleWindows = ReportModel.staleWindows(a.staleByEntity, edges: false)
        edgeLags = ReportModel.staleWindows(a.staleByEdge, edges: true)
        computeActions()
        edgeBlindSpots = ReportModel.edgeBlindSpots(input, options)
        appendEdgeBlindSpotActions()
    }

    /// Bytes of each spec's JSON as it appears in the payload (compact).
    static func entitySizes(_ s: ConfigSpecs) -> [EntityRef: Int] {
        var out: [EntityRef: Int] = [:]
        let writer = JSONWriter(style: .serde)
        for collection in SpecCollection.allCases {
            guard let raw = s.raw[collection.rawValue] else { continue }
            var entries: [(String, JSONValue)] = []
            if let a = raw.arrayValue { entries = a.compactMap { e in e["name"]?.stringValue.map { ($0, e) } } }
            if let o = raw.objectValue { entries = o.members.map { ($0.0, $0.1) } }
            for (name, spec) in entries {
                let kind: EntityKind
                switch collection {
                case .featureGates: kind = .gate
                case .dynamicConfigs: kind = spec["entity"]?.stringValue == "experiment" ? .experiment : .config
                case .layerConfigs: kind = .layer
                }
                out[EntityRef(kind: kind, name: name), default: 0] += writer.string(spec).utf8.count
            }
        }
        return out
    }

    /// What-if target-app filtering: the payload an SDK key of each target app would receive, keeping the specs
    /// without target apps and those that list the app.
    static func targetAppSizes(_ s: ConfigSpecs) -> [TargetAppSize] {
        let apps = Set(s.allSpecs.flatMap { $0.targetAppIDs ?? [] })
        guard !apps.isEmpty else { return [] }
        let writer = JSONWriter(style: .serde)
        var out: [TargetAppSize] = []
        for app in apps.sorted() {
            var top = s.raw
            var kept = 0
            for collection in SpecCollection.allCases {
                guard let raw = top[collection.rawValue] else { continue }
                func keep(_ spec: JSONValue) -> Bool {
                    guard let ids = spec["targetAppIDs"]?.arrayValue, !ids.isEmpty else { return true }
                    return ids.contains(.string(app))
                }
                if let a = raw.arrayValue {
                    let k = a.filter(keep)
                    kept += k.count
                    top[collection.rawValue] = .array(k)
                } else if let o = raw.objectValue {
                    let k = JSONObject(o.members.filter { keep($0.1) }.map { ($0.0, $0.1) })
                    kept += k.count
                    top[collection.rawValue] = .object(k)
                }
            }
            out.append(TargetAppSize(app: app, bytes: writer.string(.object(top)).utf8.count, entities: kept))
        }
        return out
    }

    static func showID(_ id: String, _ options: ReportOptions) -> String {
        options.includePII ? id : "u:" + String(Hashing.sha256Hex(Array(id.utf8)).prefix(10))
    }

    static func describe(_ o: Outcome) -> String {
        let value: String
        switch o.value {
        case .bool(let b): value = b ? "true" : "false"
        default: value = JSONWriter(style: .python).string(o.value)
        }
        return "\(value) [\(o.ruleID.isEmpty ? "\"\"" : o.ruleID)\(o.groupName.map { ", \($0)" } ?? "")]"
    }

    /// UTC date `YYYY-MM-DD` of a ms timestamp.
    static func date(_ ms: Int64) -> String { utc(ms, "yyyy-MM-dd") }

    static func dateTimeSeconds(_ ms: Int64) -> String { utc(ms, "yyyy-MM-dd HH:mm:ss") }

    static func dateTime(_ ms: Int64) -> String { utc(ms, "yyyy-MM-dd HH:mm") }

    /// A ms timestamp in UTC with a `DateFormatter` pattern (POSIX locale).
    private static func utc(_ ms: Int64, _ format: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
