public import KVReplayModel
import Foundation
import KVReplayEngine

func rounded(_ x: Double, _ places: Int = 4) -> JSONValue {
    let m = pow(10.0, Double(places))
    return .double((x * m).rounded() / m)
}

func fixed(_ x: Double, _ places: Int = 2) -> String { String(format: "%.\(places)f", x) }

func counts(_ pairs: [(String, Int)]) -> JSONValue { .object(JSONObject(pairs.map { ($0.0, .int(Int64($0.1))) })) }

extension ReportModel {
    // MARK: JSON

    /// Every figure, with stable keys (documented in the README).
    public func json() -> JSONValue {
        func o(_ m: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(m)) }
        func str(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        let snaps: [JSONValue] = snapshots.map { s in
            o([("sha256", .string(s.sha256)), ("lcut", .int(s.lcut)), ("captured_at", .int(s.capturedAt)), ("bytes", .int(Int64(s.bytes))),
               ("percent_of_limit", rounded(s.percentOfLimit)), ("delta_bytes", s.deltaBytes.map { .int(Int64($0)) } ?? .null),
               ("kv_key", str(s.kvKey)), ("key_bytes", s.keyBytes.map { .int(Int64($0)) } ?? .null), ("entities", .int(Int64(s.entities)))])
        }
        let sizes = o([
            ("limit_bytes", .int(Int64(KVLimits.valueBytes))), ("key_limit_bytes", .int(Int64(KVLimits.keyBytes))),
            ("warnings", .array(warnings.map { .string($0) })),
            ("heaviest", .array(heaviest.map { o([("kind", .string($0.kind)), ("name", .string($0.name)), ("bytes", .int(Int64($0.bytes)))]) })),
            ("fastest_growing", .array(fastestGrowing.map { o([("kind", .string($0.kind)), ("name", .string($0.name)), ("bytes", .int(Int64($0.bytes))), ("growth", .int(Int64($0.growth ?? 0)))]) })),
            ("forecast", forecast.map { f in o([("method", .string(f.method)), ("snapshots_used", .int(Int64(f.snapshotsUsed))),
                                                ("bytes_per_day", rounded(f.bytesPerDay, 1)), ("limit_reached_at", f.limitReachedAt.map { .int($0) } ?? .null),
                                                ("limit_reached_on", f.limitReachedAt.map { .string(ReportModel.date($0)) } ?? .null)]) } ?? .null),
            ("target_apps", .array(targetApps.map { o([("app", .string($0.app)), ("bytes", .int(Int64($0.bytes))), ("entities", .int(Int64($0.entities)))]) })),
        ])
        let rolls: [JSONValue] = rollouts.map { r in
            var m: [(String, JSONValue)] = [("snapshot", .string(r.snapshot)), ("kind", .string(r.kind)), ("name", .string(r.name)), ("users", .int(Int64(r.users)))]
            if let p = r.passed { m.append(("passed", .int(Int64(p)))) }
            m.append(("by_rule", counts(r.byRule)))
            m.append(("by_group", counts(r.byGroup)))
            m.append(("partial_rules", .array(r.partialRules.map { p in
                o([("rule_id", .string(p.ruleID)), ("configured_percent", rounded(p.configuredPercent)), ("users", .int(Int64(p.users))),
                   ("passed", .int(Int64(p.passed))), ("measured_percent", rounded(p.measuredPercent))]) })))
            if !r.split.isEmpty {
                m.append(("split", .array(r.split.map { g in
                    o([("group", .string(g.group)), ("expected_share", rounded(g.expectedShare)), ("users", .int(Int64(g.users))), ("measured_share", rounded(g.measuredShare))]) })))
                m.append(("srm_p_value", r.srmPValue.map { rounded($0, 6) } ?? .null))
                m.append(("srm", .bool(r.srm)))
            }
            m.append(("evaluated", .bool(r.evaluated)))
            return o(m)
        }
        let ds: [JSONValue] = diffs.map { d in
            o([("from", .string(d.from)), ("to", .string(d.to)), ("kind", .string(d.kind)), ("name", .string(d.name)),
               ("changed_users", .int(Int64(d.changedUsers))), ("to_true", .int(Int64(d.toTrue))), ("to_false", .int(Int64(d.toFalse))),
               ("value_changed", .int(Int64(d.valueChanged))), ("rule_changed", .int(Int64(d.ruleChanged))), ("group_changed", .int(Int64(d.groupChanged))),
               ("transitions", counts(d.transitions)), ("spec_changes", .array(d.specChanges.map { .string($0) })),
               ("examples", .array(d.examples.map { .string($0) }))])
        }
        var a: [(String, JSONValue)] = [("exposures", .int(Int64(audit.exposures)))]
        for v in Verdict.allCases { a.append((v == .noSnapshot ? "no_snapshot" : v.rawValue, .int(Int64(audit.byVerdict[v] ?? 0)))) }
        a.append(("inferred", .int(Int64(audit.inferred))))
        a.append(("mismatches_by_field", counts(audit.mismatchesByField)))
        a.append(("mismatches_by_entity", counts(audit.mismatchesByEntity)))
        a.append(("staleness", audit.staleness.map { s in o([("stale", .int(Int64(s.count))), ("median_ms", .int(s.medianMs)), ("max_ms", .int(s.maxMs))]) } ?? .null))
        a.append(("findings", .array(findings.map { f in
            o([("verdict", .string(f.verdict)), ("kind", .string(f.kind)), ("name", .string(f.name)), ("cause", .string(f.cause)),
               ("summary", .string(f.summary)), ("exposures", .int(Int64(f.exposures))), ("users", .int(Int64(f.users))), ("anchor", .string(f.anchor)),
               ("examples", .array(f.examples.map { e in
                   o([("exposure_id", .int(e.exposureID)), ("event_time", e.eventTime.map { .int($0) } ?? .null), ("source", .string(e.location)),
                      ("unit", .string(e.unit)), ("logged", .string(e.logged)), ("expected", .string(e.expected))]) }))]) })))
        func window(_ w: StaleWindow) -> JSONValue {
            o([("kind", .string(w.kind)), ("name", .string(w.name)), ("stale_exposures", .int(Int64(w.exposures))), ("users", .int(Int64(w.users))),
               ("first_event", .int(w.firstEvent)), ("last_event", .int(w.lastEvent)), ("median_lag_ms", .int(w.medianLagMs)),
               ("p90_lag_ms", .int(w.p90LagMs)), ("max_lag_ms", .int(w.maxLagMs)), ("changes", counts(w.changes))])
        }
        a.append(("stale_windows", .array(staleWindows.map(window))))
        a.append(("edge_lags", .array(edgeLags.map(window))))
        let summary: JSONValue = .array(actions.map { x in o([("topic", .string(x.topic)), ("kind", x.subject.map { .string($0.kind) } ?? .null),
                                                              ("name", x.subject.map { .string($0.name) } ?? .null), ("text", .string(x.text)), ("anchor", x.anchor.map { .string($0) } ?? .null)]) })
        return o([("summary", summary), ("snapshots", .array(snaps)), ("size", sizes), ("rollouts", .array(rolls)), ("diffs", .array(ds)), ("audit", o(a)),
                  ("edge_blind_spots", jsonEdgeBlindSpots())])
    }

    // MARK: Markdown

    /// The summary a person reads first.
    public func markdown() -> String {
        var md = "# kvreplay report\n\n"
        if let first = snapshots.first, let last = snapshots.last {
            md += "\(snapshots.count) snapshots, \(ReportModel.dateTime(first.capturedAt)) to \(ReportModel.dateTime(last.capturedAt)) UTC. "
            md += "Latest payload: \(last.bytes) bytes, \(fixed(last.percentOfLimit))% of the 25 MiB KV value limit.\n\n"
        }
        md += "## Findings summary\n\n"
        if actions.isEmpty { md += "Nothing to act on: every audited exposure matches, no stale window, no payload or split warning.\n" }
        for a in actions { md += "- **\(mdEscape(a.topic))**: \(a.subject.map { "\(mdEscape($0.kind)) `\(mdCode($0.name))`: " } ?? "")\(mdEscape(a.text))\n" }
        md += "\n"
        for w in warnings { md += "> **Warning:** \(mdEscape(w))\n>\n" }
        if !warnings.isEmpty { md += "\n" }
        md += "## Payload size\n\n| captured (UTC) | lcut | sha256 | bytes | % of limit | change |\n|---|---|---|---:|---:|---:|\n"
        for s in snapshots {
            md += "| \(ReportModel.dateTime(s.capturedAt)) | \(s.lcut) | `\(s.sha256.prefix(12))` | \(s.bytes) | \(fixed(s.percentOfLimit, 3)) | \(s.deltaBytes.map { $0 >= 0 ? "+\($0)" : "\($0)" } ?? "") |\n"
        }
        if let f = forecast {
            md += "\nForecast (\(f.method)): \(Int(f.bytesPerDay.rounded())) bytes/day; "
            md += f.limitReachedAt.map { "the 25 MiB limit is reached on \(ReportModel.date($0)).\n" } ?? "not growing: no date for the limit.\n"
        }
        if !heaviest.isEmpty {
            md += "\nHeaviest entities (latest snapshot):\n\n| entity | bytes |\n|---|---:|\n"
            for e in heaviest { md += "| \(e.kind) `\(mdCode(e.name))` | \(e.bytes) |\n" }
        }
        if !fastestGrowing.isEmpty {
            md += "\nFastest growing (first to latest snapshot):\n\n| entity | bytes | growth |\n|---|---:|---:|\n"
            for e in fastestGrowing { md += "| \(e.kind) `\(mdCode(e.name))` | \(e.bytes) | +\(e.growth ?? 0) |\n" }
        }
        if !targetApps.isEmpty {
            md += "\nWhat-if target-app filtering (latest snapshot):\n\n| target app | bytes | entities |\n|---|---:|---:|\n"
            for t in targetApps { md += "| `\(mdCode(t.app))` | \(t.bytes) | \(t.entities) |\n" }
        }
        md += "\n## Rollouts (latest snapshot)\n\n"
        let latest = rollouts.filter { $0.snapshotIndex == (snapshots.count - 1) }
        let partial = latest.filter { !$0.partialRules.isEmpty }
        if !partial.isEmpty {
            md += "| gate | rule | configured | measured | users |\n|---|---|---:|---:|---:|\n"
            for r in partial {
                for p in r.partialRules {
                    md += "| `\(mdCode(r.name))` | `\(mdCode(p.ruleID))` | \(fixed(p.configuredPercent))% | \(fixed(p.measuredPercent))% | \(p.users) |\n"
                }
            }
        }
        let exps = latest.filter { !$0.split.isEmpty }
        if !exps.isEmpty {
            md += "\n| experiment | split (measured / expected) | SRM p-value |\n|---|---|---:|\n"
            for r in exps {
                let split = r.split.map { "\(mdEscape($0.group)) \(fixed($0.measuredShare * 100, 1))% / \(fixed($0.expectedShare * 100, 1))%" }.joined(separator: ", ")
                md += "| `\(mdCode(r.name))` | \(split) | \(r.srmPValue.map { String(format: "%.4g", $0) } ?? "-")\(r.srm ? " **SRM**" : "") |\n"
            }
        }
        if partial.isEmpty && exps.isEmpty { md += "No partial rollouts or experiment splits in the latest snapshot.\n" }
        md += "\n## Exposure diffs\n\n"
        if diffs.isEmpty { md += "No entity changed between consecutive snapshots.\n" }
        var lastPair = -1
        for d in diffs {
            if d.toIndex != lastPair {
                lastPair = d.toIndex
                md += "\n### \(ReportModel.dateTime(snapshots[d.fromIndex].capturedAt)) → \(ReportModel.dateTime(snapshots[d.toIndex].capturedAt)) (`\(d.from.prefix(12))` → `\(d.to.prefix(12))`)\n\n"
                md += "| entity | changes | users changed | to true | to false | groups |\n|---|---|---:|---:|---:|---|\n"
            }
            md += "| \(d.kind) `\(mdCode(d.name))` | \(mdEscape(d.specChanges.joined(separator: "; "))) | \(d.changedUsers) | \(d.toTrue) | \(d.toFalse) | \(mdEscape(d.transitions.map { "\($0.0): \($0.1)" }.joined(separator: ", "))) |\n"
        }
        md += "\n## Audit of logged exposures\n\n"
        md += "| exposures | " + Verdict.allCases.map(\.title).joined(separator: " | ") + " | inferred snapshot |\n"
        md += "|---:|" + Verdict.allCases.map { _ in "---:|" }.joined() + "---:|\n"
        md += "| \(audit.exposures) | " + Verdict.allCases.map { "\(audit.byVerdict[$0] ?? 0)" }.joined(separator: " | ") + " | \(audit.inferred) |\n"
        if !audit.mismatchesByField.isEmpty {
            md += "\nMismatches by field: " + audit.mismatchesByField.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ".\n"
            md += "\nMost mismatched: " + audit.mismatchesByEntity.map { "`\(mdCode($0.0))` \($0.1)" }.joined(separator: ", ") + ".\n"
        }
        if let s = audit.staleness {
            md += "\nStale exposures: \(s.count); an older config was still served a median of \(duration(s.medianMs)) (at most \(duration(s.maxMs))) after a newer one was published (its lcut).\n"
        }
        md += markdownFindings()
        md += markdownEdgeBlindSpots()
        return md
    }

    /// Findings by entity and cause, with examples; stale windows per entity and per edge.
    func markdownFindings() -> String {
        var md = "\n### Findings by entity and cause\n\n"
        if findings.isEmpty { return md + "Every audited exposure matches.\n" }
        md += "| verdict | entity | cause | exposures | users | first step where the logged and the replayed answers part |\n|---|---|---|---:|---:|---|\n"
        for f in findings {
            md += "| \(mdEscape(f.verdict)) | \(mdEscape(f.kind)) `\(mdCode(f.name))` | `\(mdCode(f.cause))` | \(f.exposures) | \(f.users) | \(mdEscape(f.summary)) |\n"
        }
        md += "\nExamples (the first three exposures of each finding; stale: expected is what the newer config answers):\n\n"
        md += "| entity | cause | event (UTC) | source | unit | logged | expected |\n|---|---|---|---|---|---|---|\n"
        for f in findings {
            for e in f.examples {
                md += "| \(mdEscape(f.kind)) `\(mdCode(f.name))` | `\(mdCode(f.cause))` | \(e.eventTime.map(ReportModel.dateTimeSeconds) ?? "-") | `\(mdCode(e.location))` | `\(mdCode(e.unit))` | `\(mdCode(e.logged))` | `\(mdCode(e.expected))` |\n"
            }
        }
        if !staleWindows.isEmpty {
            md += "\n### Stale windows\n\nPer entity: the users an edge still answered with an older config after a newer one was published, over which events, and how late (event time minus the newer config's lcut).\n\n"
            md += "| entity | stale exposures | users | first event (UTC) | last event (UTC) | median lag | max lag | what the newer config changes |\n|---|---:|---:|---|---|---:|---:|---|\n"
            for w in staleWindows {
                md += "| \(mdEscape(w.kind)) `\(mdCode(w.name))` | \(w.exposures) | \(w.users) | \(ReportModel.dateTimeSeconds(w.firstEvent)) | \(ReportModel.dateTimeSeconds(w.lastEvent)) | \(duration(w.medianLagMs)) | \(duration(w.maxLagMs)) | \(mdEscape(w.changes.map { "\($0.0) \($0.1)" }.joined(separator: ", "))) |\n"
            }
            md += "\nPer edge (SDK type and log source): the lag distribution. An edge that syncs config specs every T answers with an old config for up to about T after a publication (plus KV propagation): the p90 and max lags are what its sync interval costs.\n\n"
            md += "| edge | stale exposures | users | median lag | p90 lag | max lag |\n|---|---:|---:|---:|---:|---:|\n"
            for w in edgeLags {
                md += "| `\(mdCode(w.name))` | \(w.exposures) | \(w.users) | \(duration(w.medianLagMs)) | \(duration(w.p90LagMs)) | \(duration(w.maxLagMs)) |\n"
            }
        }
        return md
    }

    func duration(_ ms: Int64) -> String { ReportModel.durationText(ms) }

    // MARK: CSV

    /// One CSV file per table: file name → contents.
    public func csv() -> [(String, String)] {
        let raw = options.rawCSVFormulas
        func csvRow(_ fields: [String]) -> String { KVReplayReport.csvRow(fields, rawFormulas: raw) }
        var out: [(String, String)] = []
        var t = "sha256,lcut,captured_at,bytes,percent_of_limit,delta_bytes,kv_key,key_bytes,entities\n"
        for s in snapshots {
            t += csvRow([s.sha256, "\(s.lcut)", "\(s.capturedAt)", "\(s.bytes)", fixed(s.percentOfLimit, 4), s.deltaBytes.map(String.init) ?? "", s.kvKey ?? "", s.keyBytes.map(String.init) ?? "", "\(s.entities)"])
        }
        out.append(("snapshots.csv", t))
        t = "list,kind,name,bytes,growth\n"
        for e in heaviest { t += csvRow(["heaviest", e.kind, e.name, "\(e.bytes)", ""]) }
        for e in fastestGrowing { t += csvRow(["fastest_growing", e.kind, e.name, "\(e.bytes)", "\(e.growth ?? 0)"]) }
        out.append(("entity_sizes.csv", t))
        t = "snapshot,kind,name,users,passed,rule_id,rule_users,group,group_users\n"
        for r in rollouts {
            for (rule, n) in r.byRule { t += csvRow([r.snapshot, r.kind, r.name, "\(r.users)", r.passed.map(String.init) ?? "", rule, "\(n)", "", ""]) }
            for (group, n) in r.byGroup { t += csvRow([r.snapshot, r.kind, r.name, "\(r.users)", r.passed.map(String.init) ?? "", "", "", group, "\(n)"]) }
        }
        out.append(("rollouts.csv", t))
        t = "snapshot,gate,rule_id,configured_percent,users,passed,measured_percent\n"
        for r in rollouts { for p in r.partialRules { t += csvRow([r.snapshot, r.name, p.ruleID, fixed(p.configuredPercent, 4), "\(p.users)", "\(p.passed)", fixed(p.measuredPercent, 4)]) } }
        out.append(("partial_rollouts.csv", t))
        t = "snapshot,experiment,group,expected_share,users,measured_share,srm_p_value,srm\n"
        for r in rollouts { for g in r.split { t += csvRow([r.snapshot, r.name, g.group, fixed(g.expectedShare, 4), "\(g.users)", fixed(g.measuredShare, 4), r.srmPValue.map { String(format: "%.6g", $0) } ?? "", r.srm ? "true" : "false"]) } }
        out.append(("experiment_splits.csv", t))
        t = "from,to,kind,name,changed_users,to_true,to_false,value_changed,rule_changed,group_changed,spec_changes\n"
        for d in diffs { t += csvRow([d.from, d.to, d.kind, d.name, "\(d.changedUsers)", "\(d.toTrue)", "\(d.toFalse)", "\(d.valueChanged)", "\(d.ruleChanged)", "\(d.groupChanged)", d.specChanges.joined(separator: "; ")]) }
        out.append(("diffs.csv", t))
        t = "verdict,exposures\n"
        for v in Verdict.allCases { t += csvRow([v.rawValue, "\(audit.byVerdict[v] ?? 0)"]) }
        out.append(("audit.csv", t))
        t = "verdict,kind,name,cause,exposures,users,summary\n"
        for f in findings { t += csvRow([f.verdict, f.kind, f.name, f.cause, "\(f.exposures)", "\(f.users)", f.summary]) }
        out.append(("findings.csv", t))
        t = "verdict,kind,name,cause,exposure_id,event_time,source,unit,logged,expected\n"
        for f in findings {
            for e in f.examples {
                t += csvRow([f.verdict, f.kind, f.name, f.cause, "\(e.exposureID)", e.eventTime.map(String.init) ?? "", e.location, e.unit, e.logged, e.expected])
            }
        }
        out.append(("finding_examples.csv", t))
        t = "scope,kind,name,stale_exposures,users,first_event,last_event,median_lag_ms,p90_lag_ms,max_lag_ms,changes\n"
        for w in staleWindows {
            t += csvRow(["entity", w.kind, w.name, "\(w.exposures)", "\(w.users)", "\(w.firstEvent)", "\(w.lastEvent)", "\(w.medianLagMs)", "\(w.p90LagMs)", "\(w.maxLagMs)",
                         w.changes.map { "\($0.0) \($0.1)" }.joined(separator: "; ")])
        }
        for w in edgeLags {
            t += csvRow(["edge", "", w.name, "\(w.exposures)", "\(w.users)", "\(w.firstEvent)", "\(w.lastEvent)", "\(w.medianLagMs)", "\(w.p90LagMs)", "\(w.maxLagMs)",
                         w.changes.map { "\($0.0) \($0.1)" }.joined(separator: "; ")])
        }
        out.append(("stale_windows.csv", t))
        out.append(("edge_blind_spots.csv", csvEdgeBlindSpots()))
        return out
    }

    // MARK: JUnit

    /// One test case per check: payload under each threshold, no sample-ratio mismatch, audit mismatches under a threshold.
    public func junit() -> String {
        var cases: [(String, String, Bool, String)] = []
        if let last = snapshots.last {
            for level in KVLimits.warningPercents {
                cases.append(("payload", "latest payload under \(Int(level))% of the KV value limit", last.percentOfLimit < level,
                              "\(last.bytes) bytes, \(fixed(last.percentOfLimit, 3))% of 26214400"))
            }
            if let k = last.keyBytes { cases.append(("payload", "KV key under 512 bytes", k <= KVLimits.keyBytes, "\(k) bytes")) }
        }
        for r in rollouts where r.snapshotIndex == snapshots.count - 1 && !r.split.isEmpty {
            cases.append(("srm", "no sample-ratio mismatch in \(r.name)", !r.srm, "chi-square p = \(r.srmPValue.map { String(format: "%.6g", $0) } ?? "-")"))
        }
        let mismatches = audit.byVerdict[.mismatch] ?? 0
        let rate = audit.exposures == 0 ? 0 : Double(mismatches) / Double(audit.exposures)
        cases.append(("audit", "audit mismatches under \(fixed(options.maxMismatchRate * 100))% of exposures", rate <= options.maxMismatchRate,
                      "\(mismatches) of \(audit.exposures) exposures mismatch (\(fixed(rate * 100, 3))%)"))
        let failures = cases.filter { !$0.2 }.count
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kvreplay report\" tests=\"\(cases.count)\" failures=\"\(failures)\">\n"
        for suite in ["payload", "srm", "audit"] {
            let mine = cases.filter { $0.0 == suite }
            if mine.isEmpty { continue }
            x += "  <testsuite name=\"\(suite)\" tests=\"\(mine.count)\" failures=\"\(mine.filter { !$0.2 }.count)\" errors=\"0\">\n"
            for c in mine {
                x += "    <testcase classname=\"kvreplay.\(suite)\" name=\"\(c.1.visibleEscaped.xmlEscaped)\">\n"
                x += c.2 ? "      <system-out>\(c.3.visibleEscaped.xmlEscaped)</system-out>\n" : "      <failure message=\"\(c.3.visibleEscaped.xmlEscaped)\">\(c.3.visibleEscaped.xmlEscaped)</failure>\n"
                x += "    </testcase>\n"
            }
            x += "  </testsuite>\n"
        }
        return x + "</testsuites>\n"
    }
}

/// One CSV line. A cell a spreadsheet would run as a formula (its first character `=`, `+`, `-`, `@`, tab or
/// carriage return, and not a plain number) gets a leading `'` (OWASP's CSV injection advice) unless `rawFormulas`;
/// invisible characters (NUL, controls, bidi controls) are written `\u{XXXX}`; cells with `,`, `"` or a line break are quoted.
func csvRow(_ fields: [String], rawFormulas: Bool = false) -> String {
    fields.map { cell in
        var f = cell
        if !rawFormulas { f = csvNeutralized(f) }
        f = f.visibleEscaped
        if f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "'" && f.first == "'" }) {
            return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return f
    }.joined(separator: ",") + "\n"
}

/// `'` + the cell when a spreadsheet would evaluate it as a formula; plain numbers (`-12`, `+3.5`) and a lone `-`
/// (the reports' "nothing known") stay as they are.
public func csvNeutralized(_ f: String) -> String {
    guard let first = f.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first), f != "-" else { return f }
    if Double(f) != nil, f.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." || $0 == "e" || $0 == "E" }) { return f }
    return "'" + f
}

/// Text for a Markdown code span inside a table cell.
func mdCode(_ s: String) -> String {
    var out = ""
    for c in s.visibleEscaped {
        switch c {
        case "|": out += "\\|"
        case "`": out += "'"
        case "\n", "\r": out += " "
        default: out.append(c)
        }
    }
    return out
}

func mdEscape(_ s: String) -> String {
    var out = ""
    for c in s.visibleEscaped {
        switch c {
        case "|": out += "\\|"
        case "<": out += "&lt;"
        case "&": out += "&amp;"
        case "`": out += "'"
        case "\n", "\r": out += " "
        default: out.append(c)
        }
    }
    return out
}

