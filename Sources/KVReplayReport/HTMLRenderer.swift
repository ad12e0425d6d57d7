import Foundation
import KVReplayEngine

extension ReportModel {
    /// One self-contained page (no external scripts, fonts or styles) with inline SVG charts: payload size over time
    /// against the limit, rollout ramps per entity, and flips per change. Every name from a payload or log is escaped.
    public func html() -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>kvreplay report</title>
        <style>
        body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#1d2330;padding:0 1em}
        h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #dde;padding-bottom:.3em}
        table{border-collapse:collapse;margin:.8em 0;font-size:.9em}td,th{border:1px solid #dde;padding:.3em .6em;text-align:left}
        td.n,th.n{text-align:right}code{background:#f3f4f8;padding:0 .25em;border-radius:3px}
        .warn{background:#fff4e0;border-left:4px solid #e69500;padding:.5em 1em;margin:.5em 0}
        .bad{color:#b3261e;font-weight:600}.chart{margin:1em 0}.small{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
        svg text{font-size:11px;fill:#445}figure{margin:1em 0}figcaption{font-size:.85em;color:#556;max-width:900px}
        .summary{background:#f3f6fc;border:1px solid #c9d6ef;border-radius:4px;padding:.4em 1.2em}.summary h2{margin-top:.4em}.summary li{margin:.25em 0}
        .topic{display:inline-block;min-width:6.5em;font-weight:600}details{margin:.5em 0}summary{cursor:pointer;color:#2b59c3}
        section.entity{border-top:1px solid #eef;margin-top:1em}td code{white-space:nowrap}
        </style></head><body>
        <h1>kvreplay report</h1>

        """
        if let first = snapshots.first, let last = snapshots.last {
            h += "<p>\(snapshots.count) snapshots, \(esc(ReportModel.dateTime(first.capturedAt))) to \(esc(ReportModel.dateTime(last.capturedAt))) UTC. Latest payload: \(last.bytes) bytes, \(fixed(last.percentOfLimit, 3))% of the 25 MiB KV value limit.</p>\n"
        }
        h += "<section class=summary id=summary><h2>Findings summary</h2>\n"
        if actions.isEmpty { h += "<p>Nothing to act on: every audited exposure matches, no stale window, no payload or split warning.</p>\n" } else {
            h += "<ol>\n"
            for a in actions {
                h += "<li><span class=topic>\(esc(a.topic))</span> \(a.subject.map { "\(esc($0.kind)) <code>\(esc($0.name))</code>: " } ?? "")\(esc(a.text))\(a.anchor.map { " <a href=\"#\(esc($0))\">details</a>" } ?? "")</li>\n"
            }
            h += "</ol>\n"
        }
        h += "</section>\n"
        for w in warnings { h += "<div class=\"warn\">\(esc(w))</div>\n" }

        h += "<h2 id=payload-size>Payload size</h2>\n"
        h += "<figure>" + sizeChart(zoomed: false) + sizeChart(zoomed: true)
        h += "<figcaption>Size of each captured payload (bytes, y) over its capture time (UTC, x). Top: against the 25 MiB Cloudflare KV value limit (red) and 50/80/95 % of it (dashed). Bottom: the same line zoomed to the payload's own range.</figcaption></figure>\n"
        if let f = forecast {
            h += "<p>Forecast (\(esc(f.method))): \(Int(f.bytesPerDay.rounded())) bytes/day; "
            h += f.limitReachedAt.map { "the limit is reached on <b>\(esc(ReportModel.date($0)))</b>.</p>\n" } ?? "not growing.</p>\n"
        }
        h += "<details><summary>All \(snapshots.count) snapshots</summary>\n"
        h += "<table><tr><th>captured (UTC)</th><th>lcut</th><th>sha256</th><th class=n>bytes</th><th class=n>% of limit</th><th class=n>change</th></tr>\n"
        for s in snapshots {
            h += "<tr><td>\(esc(ReportModel.dateTime(s.capturedAt)))</td><td>\(s.lcut)</td><td><code>\(esc(String(s.sha256.prefix(12))))</code></td><td class=n>\(s.bytes)</td><td class=n>\(fixed(s.percentOfLimit, 3))</td><td class=n>\(s.deltaBytes.map { $0 >= 0 ? "+\($0)" : "\($0)" } ?? "")</td></tr>\n"
        }
        h += "</table></details>\n"
        if !heaviest.isEmpty {
            h += "<div class=small><b>Heaviest entities</b><table><tr><th>entity</th><th class=n>bytes</th></tr>"
            for e in heaviest { h += "<tr><td>\(esc(e.kind)) <code>\(esc(e.name))</code></td><td class=n>\(e.bytes)</td></tr>" }
            h += "</table></div>\n"
        }
        if !fastestGrowing.isEmpty {
            h += "<div class=small><b>Fastest growing</b><table><tr><th>entity</th><th class=n>growth</th></tr>"
            for e in fastestGrowing { h += "<tr><td>\(esc(e.kind)) <code>\(esc(e.name))</code></td><td class=n>+\(e.growth ?? 0)</td></tr>" }
            h += "</table></div>\n"
        }
        if !targetApps.isEmpty {
            h += "<div class=small><b>What-if target-app filtering</b><table><tr><th>app</th><th class=n>bytes</th><th class=n>entities</th></tr>"
            for t in targetApps { h += "<tr><td><code>\(esc(t.app))</code></td><td class=n>\(t.bytes)</td><td class=n>\(t.entities)</td></tr>" }
            h += "</table></div>\n"
        }

        h += "<h2 id=rollouts>Rollouts</h2>\n"
        h += rampCharts()
        let latest = rollouts.filter { $0.snapshotIndex == snapshots.count - 1 }
        let partial = latest.filter { !$0.partialRules.isEmpty }
        if !partial.isEmpty {
            h += "<table><tr><th>gate</th><th>rule</th><th class=n>configured</th><th class=n>measured</th><th class=n>users</th></tr>\n"
            for r in partial { for p in r.partialRules {
                h += "<tr><td><code>\(esc(r.name))</code></td><td><code>\(esc(p.ruleID))</code></td><td class=n>\(fixed(p.configuredPercent))%</td><td class=n>\(fixed(p.measuredPercent))%</td><td class=n>\(p.users)</td></tr>\n"
            } }
            h += "</table>\n"
        }
        let exps = latest.filter { !$0.split.isEmpty }
        if !exps.isEmpty {
            h += "<table><tr><th>experiment</th><th>split: measured / expected</th><th class=n>SRM p-value</th></tr>\n"
            for r in exps {
                let split = r.split.map { "\(esc($0.group)) \(fixed($0.measuredShare * 100, 1))% / \(fixed($0.expectedShare * 100, 1))%" }.joined(separator: ", ")
                h += "<tr><td><code>\(esc(r.name))</code></td><td>\(split)</td><td class=\"n\(r.srm ? " bad" : "")\">\(r.srmPValue.map { String(format: "%.4g", $0) } ?? "-")\(r.srm ? " SRM" : "")</td></tr>\n"
            }
            h += "</table>\n"
        }

        h += "<h2 id=diffs>Exposure diffs</h2>\n"
        h += flipsChart()
        if diffs.isEmpty { h += "<p>No entity changed between consecutive snapshots.</p>\n" } else {
            h += "<details><summary>\(diffs.count) entity changes between consecutive snapshots</summary>\n<table><tr><th>change</th><th>entity</th><th>what changed</th><th class=n>users changed</th><th class=n>to true</th><th class=n>to false</th><th>groups</th></tr>\n"
            for d in diffs {
                h += "<tr><td>\(esc(ReportModel.dateTime(snapshots[d.toIndex].capturedAt)))</td><td>\(esc(d.kind)) <code>\(esc(d.name))</code></td><td>\(esc(d.specChanges.joined(separator: "; ")))</td><td class=n>\(d.changedUsers)</td><td class=n>\(d.toTrue)</td><td class=n>\(d.toFalse)</td><td>\(esc(d.transitions.map { "\($0.0): \($0.1)" }.joined(separator: ", ")))</td></tr>\n"
            }
            h += "</table></details>\n"
        }

        h += "<h2 id=audit>Audit of logged exposures</h2>\n<table><tr>"
        for title in ["exposures"] + Verdict.allCases.map(\.title) + ["inferred snapshot"] { h += "<th class=n>\(esc(title))</th>" }
        h += "</tr><tr><td class=n>\(audit.exposures)</td>"
        for v in Verdict.allCases { h += "<td class=n>\(audit.byVerdict[v] ?? 0)</td>" }
        h += "<td class=n>\(audit.inferred)</td></tr></table>\n"
        if !audit.mismatchesByField.isEmpty {
            h += "<p>Mismatches by field: \(esc(audit.mismatchesByField.map { "\($0.0) \($0.1)" }.joined(separator: ", "))). Most mismatched: \(esc(audit.mismatchesByEntity.map { "\($0.0) \($0.1)" }.joined(separator: ", "))).</p>\n"
        }
        if let s = audit.staleness {
            h += "<p>\(s.count) stale exposures: an older config was served a median of \(esc(duration(s.medianMs))) (at most \(esc(duration(s.maxMs)))) after a newer one was published (its lcut).</p>\n"
        }
        h += htmlFindings()
        h += htmlEdgeBlindSpots()
        return h + "</body></html>\n"
    }

    /// Findings grouped by entity (one anchor each), with three example exposures per cause; stale windows.
    private func htmlFindings() -> String {
        var h = "<h3 id=findings>Findings by entity and cause</h3>\n"
        if findings.isEmpty { return h + "<p>Every audited exposure matches.</p>\n" }
        h += "<p>Each non-matching exposure with the first step where the logged answer and the replayed one part. Units are \(options.includePII ? "shown as logged" : "hashed (<code>--include-pii</code> shows them)"); stale examples show what the newer config answers.</p>\n"
        var order: [String] = []
        var byAnchor: [String: [Finding]] = [:]
        for f in findings {
            if byAnchor[f.anchor] == nil { order.append(f.anchor) }
            byAnchor[f.anchor, default: []].append(f)
        }
        for anchor in order {
            let fs = byAnchor[anchor]!
            let total = fs.reduce(0) { $0 + $1.exposures }
            h += "<section class=entity id=\"\(esc(anchor))\"><h4>\(esc(fs[0].kind)) <code>\(esc(fs[0].name))</code> — \(ReportModel.plural(total, "exposure")) <a href=\"#\(esc(anchor))\">#</a></h4>\n"
            h += "<table><tr><th>verdict</th><th>cause</th><th class=n>exposures</th><th class=n>users</th><th>first step where the answers part</th></tr>\n"
            for f in fs {
                h += "<tr><td>\(esc(f.verdict))</td><td><code>\(esc(f.cause))</code></td><td class=n>\(f.exposures)</td><td class=n>\(f.users)</td><td>\(esc(f.summary))</td></tr>\n"
            }
            h += "</table>\n<details><summary>Example exposures</summary><table><tr><th>cause</th><th>event (UTC)</th><th>source</th><th>unit</th><th>logged</th><th>expected</th></tr>\n"
            for f in fs {
                for e in f.examples {
                    h += "<tr><td><code>\(esc(f.cause))</code></td><td>\(esc(e.eventTime.map(ReportModel.dateTimeSeconds) ?? "-"))</td><td><code>\(esc(e.location))</code></td><td><code>\(esc(e.unit))</code></td><td><code>\(esc(e.logged))</code></td><td><code>\(esc(e.expected))</code></td></tr>\n"
                }
            }
            h += "</table></details></section>\n"
        }
        if !staleWindows.isEmpty {
            h += "<h3 id=stale>Stale windows</h3>\n<p>Users an edge still answered with an older config after a newer one was published; lag = event time minus the newer config's lcut.</p>\n"
            h += "<table><tr><th>entity</th><th class=n>stale exposures</th><th class=n>users</th><th>first event (UTC)</th><th>last event (UTC)</th><th class=n>median lag</th><th class=n>max lag</th><th>what the newer config changes</th></tr>\n"
            for w in staleWindows {
                h += "<tr><td><a href=\"#\(esc(w.anchor))\">\(esc(w.kind)) <code>\(esc(w.name))</code></a></td><td class=n>\(w.exposures)</td><td class=n>\(w.users)</td><td>\(esc(ReportModel.dateTimeSeconds(w.firstEvent)))</td><td>\(esc(ReportModel.dateTimeSeconds(w.lastEvent)))</td><td class=n>\(esc(duration(w.medianLagMs)))</td><td class=\"n\(w.maxLagMs > 3_600_000 ? " bad" : "")\">\(esc(duration(w.maxLagMs)))</td><td>\(esc(w.changes.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))</td></tr>\n"
            }
            h += "</table>\n<p>Per edge (SDK type and log source): an edge that syncs config specs every T serves an old config for up to about T after a publication, plus KV propagation; its p90 and max lags are what its sync interval costs.</p>\n"
            h += "<table><tr><th>edge</th><th class=n>stale exposures</th><th class=n>users</th><th class=n>median lag</th><th class=n>p90 lag</th><th class=n>max lag</th></tr>\n"
            for w in edgeLags {
                h += "<tr><td><code>\(esc(w.name))</code></td><td class=n>\(w.exposures)</td><td class=n>\(w.users)</td><td class=n>\(esc(duration(w.medianLagMs)))</td><td class=n>\(esc(duration(w.p90LagMs)))</td><td class=n>\(esc(duration(w.maxLagMs)))</td></tr>\n"
            }
            h += "</table>\n"
        }
        return h
    }

    private func esc(_ s: String) -> String { s.visibleEscaped.xmlEscaped }

    /// Edge blind spots: per entity, the users the guide's statsig-node Worker decides otherwise than intended.
    private func htmlEdgeBlindSpots() -> String {
        guard !edgeBlindSpots.isEmpty else { return "" }
        var h = "<h2 id=edge-blind-spots>Edge blind spots</h2>\n<p>Under the last snapshot, the users a statsig-node Worker set up as Statsig's Cloudflare KV guide says (no ID lists, no IP-to-country table) decides differently from the config's intent, by what it lacks.</p>\n"
        h += "<details open><summary>\(edgeBlindSpots.count) entit\(edgeBlindSpots.count == 1 ? "y" : "ies")</summary><table><tr><th>entity</th><th>lacks</th><th class=n>users</th><th class=n>share</th><th>examples (unit: Worker → intended)</th></tr>\n"
        // An entity without findings gets its anchor here (once), so that every link to it lands.
        var anchored = Set(findings.map(\.anchor))
        for e in edgeBlindSpots {
            let share = e.population > 0 ? String(format: "%.1f%%", Double(e.users) * 100 / Double(e.population)) : "-"
            h += anchored.insert(e.anchor).inserted ? "<tr id=\"\(esc(e.anchor))\"><td>" : "<tr><td>"
            h += "<a href=\"#\(esc(e.anchor))\">\(esc(e.kind)) <code>\(esc(e.name))</code></a></td><td>\(esc(e.cause))</td><td class=n>\(e.users)</td><td class=n>\(share)</td><td>"
            h += e.examples.map { "<code>\(esc($0.unit))</code>: \(esc($0.edge)) → \(esc($0.intent))" }.joined(separator: "<br>") + "</td></tr>\n"
        }
        return h + "</table></details>\n"
    }

    /// Bytes over capture time against the 25 MiB limit and the 50/80/95% lines (the y axis reaches the limit), or,
    /// zoomed, against the payload's own range (limit lines shown only when they fall inside it).
    private func sizeChart(zoomed: Bool) -> String {
        guard snapshots.count >= 1 else { return "" }
        let w = 900.0, hgt = zoomed ? 200.0 : 260.0, left = 70.0, right = 20.0, top = 15.0, bottom = 30.0
        let t0 = Double(snapshots.first!.capturedAt), t1 = max(Double(snapshots.last!.capturedAt), t0 + 1)
        let maxBytes = Double(snapshots.map(\.bytes).max() ?? 0)
        let yMax = zoomed ? max(1, maxBytes * 1.1) : max(Double(KVLimits.valueBytes) * 1.05, maxBytes * 1.05)
        func x(_ t: Int64) -> Double { left + (Double(t) - t0) / (t1 - t0) * (w - left - right) }
        func y(_ b: Double) -> Double { top + (1 - b / yMax) * (hgt - top - bottom) }
        var s = "<svg class=chart width=\"\(Int(w))\" height=\"\(Int(hgt))\" viewBox=\"0 0 \(Int(w)) \(Int(hgt))\" role=\"img\" aria-label=\"payload size over time\(zoomed ? ", zoomed" : "")\">"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - right)\" height=\"\(hgt - top - bottom)\" fill=\"#fafbfd\" stroke=\"#dde\"/>"
        for (level, color) in [(100.0, "#b3261e"), (95.0, "#e67c00"), (80.0, "#e6a800"), (50.0, "#9aa")] {
            if Double(KVLimits.valueBytes) * level / 100 > yMax { continue }
            let yy = y(Double(KVLimits.valueBytes) * level / 100)
            s += "<line x1=\"\(left)\" x2=\"\(w - right)\" y1=\"\(fmt(yy))\" y2=\"\(fmt(yy))\" stroke=\"\(color)\" stroke-dasharray=\"\(level == 100 ? "0" : "4 3")\"/>"
            s += "<text x=\"\(left + 4)\" y=\"\(fmt(yy - 3))\">\(level == 100 ? "25 MiB limit" : "\(Int(level))%")</text>"
        }
        let points = snapshots.map { "\(fmt(x($0.capturedAt))),\(fmt(y(Double($0.bytes))))" }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"#2b59c3\" stroke-width=\"2\" points=\"\(points)\"/>"
        for sn in snapshots { s += "<circle cx=\"\(fmt(x(sn.capturedAt)))\" cy=\"\(fmt(y(Double(sn.bytes))))\" r=\"2.5\" fill=\"#2b59c3\"><title>\(esc(ReportModel.dateTime(sn.capturedAt))): \(sn.bytes) bytes</title></circle>" }
        let half = yMax / 2
        let halfLabel = half >= 1_048_576 ? String(format: "%.1f MiB", half / 1_048_576) : String(format: "%.0f KiB", half / 1024)
        s += "<text x=\"\(fmt(left - 10))\" y=\"\(fmt(y(0)))\">0</text><text x=\"20\" y=\"\(fmt(y(half)))\">\(halfLabel)</text>"
        if zoomed { s += "<text x=\"\(fmt(w - right - 160))\" y=\"\(fmt(top + 12))\">zoomed to the payload's range</text>" }
        s += "<text x=\"\(left)\" y=\"\(fmt(hgt - 8))\">\(esc(ReportModel.date(snapshots.first!.capturedAt)))</text>"
        s += "<text x=\"\(fmt(w - right - 70))\" y=\"\(fmt(hgt - 8))\">\(esc(ReportModel.date(snapshots.last!.capturedAt)))</text>"
        s += "<text x=\"\(fmt(left + (w - left - right) / 2 - 50))\" y=\"\(fmt(hgt - 8))\">capture time (UTC)</text>"
        s += "<text transform=\"translate(12 \(fmt(top + (hgt - top - bottom) / 2 + 50))) rotate(-90)\">payload size (bytes)</text>"
        return s + "</svg>\n"
    }

    /// Pass rate per snapshot for the gates whose pass rate moved most over the history (up to 12, at least one
    /// percentage point): rollout ramps. Each chart: y = % of users that pass (0–100), x = snapshots in lcut order.
    private func rampCharts() -> String {
        var byGate: [String: [(Int, Double)]] = [:]
        for r in rollouts where r.kind == "gate" && r.users > 0 {
            byGate[r.name, default: []].append((r.snapshotIndex, Double(r.passed ?? 0) / Double(r.users)))
        }
        let moving = byGate.compactMap { name, pts -> (String, Double)? in
            let rates = pts.map(\.1)
            let range = (rates.max() ?? 0) - (rates.min() ?? 0)
            return range >= 0.01 ? (name, range) : nil
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        guard !moving.isEmpty, snapshots.count > 1 else { return "" }
        var s = ""
        let first = ReportModel.date(snapshots.first!.capturedAt), last = ReportModel.date(snapshots.last!.capturedAt)
        for (name, _) in moving.prefix(12) {
            let pts = byGate[name]!.sorted { $0.0 < $1.0 }
            let w = 280.0, h = 140.0, left = 40.0, right = 10.0, top = 22.0, bottom = 30.0
            func x(_ i: Int) -> Double { left + Double(i) / Double(max(1, snapshots.count - 1)) * (w - left - right) }
            func y(_ v: Double) -> Double { top + (1 - v) * (h - top - bottom) }
            s += "<svg class=small width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"rollout of \(esc(name)): % of users passing per snapshot\">"
            s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - right)\" height=\"\(h - top - bottom)\" fill=\"#fafbfd\" stroke=\"#dde\"/>"
            s += "<line x1=\"\(left)\" x2=\"\(w - right)\" y1=\"\(fmt(y(0.5)))\" y2=\"\(fmt(y(0.5)))\" stroke=\"#e4e6ee\" stroke-dasharray=\"3 3\"/>"
            s += "<polyline fill=\"none\" stroke=\"#1b7f4b\" stroke-width=\"2\" points=\"\(pts.map { "\(fmt(x($0.0))),\(fmt(y($0.1)))" }.joined(separator: " "))\"/>"
            s += "<text x=\"\(left)\" y=\"13\">\(esc(name)): \(fixed((pts.last?.1 ?? 0) * 100, 1))% now</text>"
            s += "<text x=\"4\" y=\"\(fmt(y(1) + 4))\">100%</text><text x=\"10\" y=\"\(fmt(y(0.5) + 4))\">50%</text><text x=\"16\" y=\"\(fmt(y(0) + 4))\">0%</text>"
            s += "<text x=\"\(left)\" y=\"\(fmt(h - 14))\">\(esc(first))</text><text x=\"\(fmt(w - right - 62))\" y=\"\(fmt(h - 14))\">\(esc(last))</text>"
            s += "<text x=\"\(fmt(left + (w - left - right) / 2 - 45))\" y=\"\(fmt(h - 2))\">snapshot (capture)</text></svg>"
        }
        return "<figure>" + s + "<figcaption>Rollout ramps: the share of the population that passes each gate (y, % of users, 0–100) in each captured snapshot (x, in lcut order, first to latest capture date), for the \(min(12, moving.count)) gates whose pass rate moved most.</figcaption></figure>\n"
    }

    /// Users whose value, rule or group changed, per change: y = users (user-entity changes), x = the snapshot that brought the change.
    private func flipsChart() -> String {
        guard snapshots.count > 1 else { return "" }
        var perPair = [Int](repeating: 0, count: snapshots.count)
        for d in diffs { perPair[d.toIndex] += d.changedUsers }
        let maxV = max(1, perPair.max() ?? 1)
        let w = 900.0, h = 190.0, left = 70.0, bottom = 36.0, top = 10.0
        let bw = (w - left - 10) / Double(snapshots.count)
        var s = "<svg class=chart width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"users changed per config change\">"
        s += "<line x1=\"\(left)\" x2=\"\(w - 10)\" y1=\"\(fmt(h - bottom))\" y2=\"\(fmt(h - bottom))\" stroke=\"#99a\"/>"
        for (i, v) in perPair.enumerated() where v > 0 {
            let bh = Double(v) / Double(maxV) * (h - top - bottom)
            s += "<rect x=\"\(fmt(left + Double(i) * bw))\" y=\"\(fmt(h - bottom - bh))\" width=\"\(fmt(max(1, bw - 1)))\" height=\"\(fmt(bh))\" fill=\"#c36a2b\"><title>\(esc(ReportModel.dateTime(snapshots[i].capturedAt))): \(v) user-entity changes</title></rect>"
        }
        s += "<text x=\"\(fmt(left - 6 - Double(String(maxV).count) * 6.5))\" y=\"\(fmt(top + 10))\">\(maxV)</text><text x=\"\(fmt(left - 12))\" y=\"\(fmt(h - bottom))\">0</text>"
        s += "<text transform=\"translate(14 \(fmt(top + (h - top - bottom) / 2 + 45))) rotate(-90)\">users changed</text>"
        s += "<text x=\"\(left)\" y=\"\(fmt(h - bottom + 14))\">\(esc(ReportModel.date(snapshots[1].capturedAt)))</text>"
        s += "<text x=\"\(fmt(w - 80))\" y=\"\(fmt(h - bottom + 14))\">\(esc(ReportModel.date(snapshots.last!.capturedAt)))</text>"
        s += "<text x=\"\(fmt(left + (w - left) / 2 - 110))\" y=\"\(fmt(h - 4))\">config change (snapshot that brought it, UTC)</text>"
        return "<figure>" + s + "</svg><figcaption>Flips per change: for each captured snapshot (x, in lcut order), how many user-entity results (value, rule or group) differ from the snapshot before it (y, users summed over entities; 0 to \(maxV)).</figcaption></figure>\n"
    }

    private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
