import Foundation
import KVReplayEngine
import KVReplayModel
import KVReplayStore

extension ReportModel {
    /// Non-matches of one verdict, entity and cause, with three example exposures.
    public struct Finding: Sendable {
        public var verdict: String
        public var kind: String
        public var name: String
        public var cause: String
        /// The first example's cause, in words.
        public var summary: String
        public var exposures: Int
        public var users: Int
        public var examples: [Example]
        /// The HTML anchor of the entity (`#entity-gate-new_checkout`).
        public var anchor: String
    }

    /// One exposure of a finding, as an operator looks it up.
    public struct Example: Sendable {
        public var exposureID: Int64
        public var eventTime: Int64?
        /// `path:line` or `path#record` of the event.
        public var location: String
        /// The unit ID (hashed unless `includePII`).
        public var unit: String
        /// `value [rule, group]` as the edge logged it.
        public var logged: String
        /// `value [rule, group]` as the replay expects it (stale: as the newer config answers).
        public var expected: String
    }

    /// Stale exposures of one entity or edge: who was served the old config, when, how late.
    public struct StaleWindow: Sendable {
        public var kind: String
        public var name: String
        public var exposures: Int
        public var users: Int
        public var firstEvent: Int64
        public var lastEvent: Int64
        public var medianLagMs: Int64
        public var p90LagMs: Int64
        public var maxLagMs: Int64
        /// What the newer configs change (cause codes) and how often.
        public var changes: [(String, Int)]
        public var anchor: String
    }

    /// One line of the findings summary: what an operator should do first.
    public struct Action: Sendable {
        /// `mismatch`, `stale`, `unevaluable`, `no-snapshot`, `payload`, `srm`, … (other stages add theirs, e.g. `edge-blind`).
        public var topic: String
        /// The entity the line is about (`kind`, `name`), shown as code, before `text`.
        public var subject: (kind: String, name: String)? = nil
        public var text: String
        /// An anchor of the page the line points to (without `#`), if any.
        public var anchor: String?
    }

    /// The stable, linkable anchor of an entity: `entity-<kind>-<name>`, with every byte outside `[A-Za-z0-9_-]`
    /// written `.XX` (hex), so distinct names get distinct anchors.
    public static func anchor(kind: String, name: String) -> String {
        var out = "entity-\(kind)-"
        for b in name.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.append(Character(UnicodeScalar(b)))
            default:
                out += "." + String(format: "%02X", b)
            }
        }
        return out
    }

    /// `value [rule, group]` (gates), `[rule, group]` (others), `-` when nothing is known.
    static func outcomeText(value: String?, rule: String?, group: String?) -> String {
        var parts: [String] = []
        if let rule { parts.append(rule.isEmpty ? "\"\"" : rule) }
        if let group, !group.isEmpty { parts.append(group) }
        let bracket = parts.isEmpty ? "" : "[\(parts.joined(separator: ", "))]"
        let text = [value, bracket.isEmpty ? nil : bracket].compactMap { $0 }.joined(separator: " ")
        return text.isEmpty ? "-" : text
    }

    static func plural(_ n: Int, _ word: String, _ plural: String? = nil) -> String { n == 1 ? "1 \(word)" : "\(n) \(plural ?? word + "s")" }

    static func verdictOrder(_ v: String) -> Int { Verdict.allCases.firstIndex { $0.rawValue == v } ?? Verdict.allCases.count }

    static func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let i = Int((Double(sorted.count - 1) * p).rounded(.down))
        return sorted[i]
    }

    static func findings(_ a: ReportInput.AuditSummary, _ options: ReportOptions) -> [Finding] {
        let groups = a.findings.sorted {
            let (x, y) = (verdictOrder($0.verdict), verdictOrder($1.verdict))
            if x != y { return x < y }
            if $0.count != $1.count { return $0.count > $1.count }
            if $0.kind != $1.kind { return $0.kind < $1.kind }
            if $0.entity != $1.entity { return Array($0.entity.utf8).lexicographicallyPrecedes($1.entity.utf8) }
            return $0.cause < $1.cause
        }
        return groups.map { g in
            let examples = g.examples.map { e in
                let stale = e.verdict == Verdict.stale.rawValue
                let gate = e.kind == "gate"
                return Example(exposureID: e.exposureID, eventTime: e.eventTime, location: e.location,
                               unit: e.userLabel.map { showID($0, options) } ?? "(no user)",
                               logged: outcomeText(value: gate ? e.loggedValue : nil, rule: e.loggedRuleID, group: e.loggedGroup),
                               expected: stale ? outcomeText(value: gate ? e.newerValue : nil, rule: e.newerRuleID, group: e.newerGroup)
                                   : outcomeText(value: gate ? e.expectedValue : nil, rule: e.expectedRuleID, group: e.expectedGroup))
            }
            let summary = g.examples.first?.causeDetail.flatMap { try? JSONParser.parse($0) }?["summary"]?.stringValue ?? g.cause
            return Finding(verdict: g.verdict, kind: g.kind, name: g.entity, cause: g.cause, summary: summary, exposures: g.count,
                           users: g.users.count, examples: examples, anchor: anchor(kind: g.kind, name: g.entity))
        }
    }

    static func staleWindows(_ groups: [ReportInput.StaleGroup], edges: Bool) -> [StaleWindow] {
        groups.map { g in
            let lags = g.lags.sorted()
            let changes = g.changes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
            return StaleWindow(kind: g.kind, name: g.name, exposures: g.count, users: g.users.count, firstEvent: g.firstEvent == .max ? 0 : g.firstEvent,
                               lastEvent: g.lastEvent == .min ? 0 : g.lastEvent, medianLagMs: percentile(lags, 0.5), p90LagMs: percentile(lags, 0.9),
                               maxLagMs: lags.last ?? 0, changes: changes, anchor: edges ? "" : anchor(kind: g.kind, name: g.name))
        }.sorted {
            if $0.maxLagMs != $1.maxLagMs { return $0.maxLagMs > $1.maxLagMs }
            if $0.kind != $1.kind { return $0.kind < $1.kind }
            return Array($0.name.utf8).lexicographicallyPrecedes($1.name.utf8)
        }
    }

    /// The findings summary, most pressing first: entities with mismatches, stale windows over an hour, exposures the
    /// audit cannot check, the payload forecast, sample-ratio mismatches. Another stage appends its own lines
    /// (`actions.append(...)` before rendering), e.g. edge blind spots.
    mutating func computeActions() {
        var out: [Action] = []
        let mismatches = findings.filter { $0.verdict == Verdict.mismatch.rawValue }
        if !mismatches.isEmpty {
            var byEntity: [(String, String, Int, String, String)] = []  // kind, name, count, top cause, anchor
            for f in mismatches {
                if let i = byEntity.firstIndex(where: { $0.0 == f.kind && $0.1 == f.name }) { byEntity[i].2 += f.exposures } else {
                    byEntity.append((f.kind, f.name, f.exposures, f.cause, f.anchor))
                }
            }
            byEntity.sort { a, b in a.2 != b.2 ? a.2 > b.2 : a.0 != b.0 ? a.0 < b.0 : Array(a.1.utf8).lexicographicallyPrecedes(b.1.utf8) }
            let causes = Set(mismatches.map(\.cause)).count
            let total = mismatches.reduce(0) { $0 + $1.exposures }
            out.append(Action(topic: "mismatch", text: "\(ReportModel.plural(total, "mismatched exposure")) in \(byEntity.count == 1 ? "1 entity" : "\(byEntity.count) entities"), \(ReportModel.plural(causes, "distinct cause")): check the entities below first", anchor: "findings"))
            var byCause: [String: Int] = [:]
            for f in mismatches { byCause[f.cause, default: 0] += f.exposures }
            let top = byCause.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            out.append(Action(topic: "mismatch", text: "by cause: " + top.prefix(6).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + (top.count > 6 ? ", \(top.count - 6) more" : ""), anchor: "findings"))
            for e in byEntity.prefix(5) {
                out.append(Action(topic: "mismatch", subject: (e.0, e.1), text: "\(ReportModel.plural(e.2, "mismatch", "mismatches")), \(e.2 == 1 ? "cause" : "mostly") \(e.3)", anchor: e.4))
            }
        }
        for w in staleWindows where w.maxLagMs > 3_600_000 {
            out.append(Action(topic: "stale", subject: (w.kind, w.name), text: "\(ReportModel.plural(w.users, "user")) \(w.users == 1 ? "was" : "were") served an outdated config up to \(ReportModel.durationText(w.maxLagMs)) after the newer one was published (shorten the sync interval)", anchor: w.anchor))
        }
        // Exposures the audit cannot check (any verdict but match, mismatch and stale), one line per verdict and cause.
        var seen: Set<String> = []
        for f in findings where ![Verdict.match, .mismatch, .stale].map(\.rawValue).contains(f.verdict) {
            guard seen.insert("\(f.verdict) \(f.cause)").inserted else { continue }
            let same = findings.filter { $0.verdict == f.verdict && $0.cause == f.cause }
            let n = same.reduce(0) { $0 + $1.exposures }
            out.append(Action(topic: f.verdict, text: "\(ReportModel.plural(n, "exposure")) of \(same.count == 1 ? "1 entity" : "\(same.count) entities") (\(f.cause)): \(f.summary)", anchor: "findings"))
        }
        if let f = forecast, let at = f.limitReachedAt, let last = snapshots.last, at > last.capturedAt {
            out.append(Action(topic: "payload", text: "payload forecast: \(Int(f.bytesPerDay.rounded())) bytes/day, the 25 MiB KV limit is reached on \(ReportModel.date(at))", anchor: "payload-size"))
        }
        for w in warnings where !w.hasPrefix("at ") { out.append(Action(topic: "payload", text: w, anchor: "payload-size")) }
        for r in rollouts where r.snapshotIndex == snapshots.count - 1 && r.srm {
            out.append(Action(topic: "srm", subject: (r.kind, r.name), text: "sample-ratio mismatch (p = \(r.srmPValue.map { String(format: "%.3g", $0) } ?? "-"))", anchor: "rollouts"))
        }
        actions = out
    }

    static func durationText(_ ms: Int64) -> String {
        let s = ms / 1000
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        return String(format: "%.1f h", Double(s) / 3600)
    }
}
