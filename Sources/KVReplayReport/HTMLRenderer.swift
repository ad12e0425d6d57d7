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
        svg text{font-size:11px;fill:#445}
        </style></head><body>
        <h1>kvreplay report</h1>

        """
        if let first = snapshots.first, let last = snapshots.last {
            h += "<p>\(snapshots.count) snapshots, \(esc(ReportModel.dateTime(first.capturedAt))) to \(esc(ReportModel.dateTime(last.capturedAt))) UTC. Latest payload: \(last.bytes) bytes, \(fixed(last.percentOfLimit, 3))% of the 25 MiB KV value limit.</p>\n"
        }
        for w in warnings { h += "<div class=\"warn\">\(esc(w))</div>\n" }

        h += "<h2>Payload size</h2>\n"
        h += sizeChart(zoomed: false)
        h += sizeChart(zoomed: true)
        if let f = forecast {
            h += "<p>Forecast (\(esc(f.method))): \(Int(f.bytesPerDay.rounded())) bytes/day; "
            h += f.limitReachedAt.map { "the limit is reached on <b>\(esc(ReportModel.date($0)))</b>.</p>\n" } ?? "not growing.</p>\n"
        }
        h += "<table><tr><th>captured (UTC)</th><th>lcut</th><th>sha256</th><th class=n>bytes</th><th class=n>% of limit</th><th class=n>change</th></tr>\n"
        for s in snapshots {
            h += "<tr><td>\(esc(ReportModel.dateTime(s.capturedAt)))</td><td>\(s.lcut)</td><td><code>\(esc(String(s.sha256.prefix(12))))</code></td><td class=n>\(s.bytes)</td><td class=n>\(fixed(s.percentOfLimit, 3))</td><td class=n>\(s.deltaBytes.map { $0 >= 0 ? "+\($0)" : "\($0)" } ?? "")</td></tr>\n"
        }
        h += "</table>\n"
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

        h += "<h2>Rollouts</h2>\n"
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

        h += "<h2>Exposure diffs</h2>\n"
        h += flipsChart()
        if diffs.isEmpty { h += "<p>No entity changed between consecutive snapshots.</p>\n" } else {
            h += "<table><tr><th>change</th><th>entity</th><th>what changed</th><th class=n>users changed</th><th class=n>to true</th><th class=n>to false</th><th>groups</th></tr>\n"
            for d in diffs {
                h += "<tr><td>\(esc(ReportModel.dateTime(snapshots[d.toIndex].capturedAt)))</td><td>\(esc(d.kind)) <code>\(esc(d.name))</code></td><td>\(esc(d.specChanges.joined(separator: "; ")))</td><td class=n>\(d.changedUsers)</td><td class=n>\(d.toTrue)</td><td class=n>\(d.toFalse)</td><td>\(esc(d.transitions.map { "\($0.0): \($0.1)" }.joined(separator: ", ")))</td></tr>\n"
            }
            h += "</table>\n"
        }

        h += "<h2>Audit of logged exposures</h2>\n<table><tr>"
        for title in ["exposures", "match", "mismatch", "stale", "unevaluable", "no snapshot", "inferred snapshot"] { h += "<th class=n>\(title)</th>" }
        h += "</tr><tr><td class=n>\(audit.exposures)</td>"
        for v in Verdict.allCases { h += "<td class=n>\(audit.byVerdict[v] ?? 0)</td>" }
        h += "<td class=n>\(audit.inferred)</td></tr></table>\n"
        if !audit.mismatchesByField.isEmpty {
            h += "<p>Mismatches by field: \(esc(audit.mismatchesByField.map { "\($0.0) \($0.1)" }.joined(separator: ", "))). Most mismatched: \(esc(audit.mismatchesByEntity.map { "\($0.0) \($0.1)" }.joined(separator: ", "))).</p>\n"
        }
        if let s = audit.staleness {
            h += "<p>\(s.count) stale exposures: an older config was served a median of \(esc(duration(s.medianMs))) (at most \(esc(duration(s.maxMs)))) after a newer one was published (its lcut).</p>\n"
        }
        return h + "</body></html>\n"
    }

    private func esc(_ s: String) -> String { s.xmlEscaped }

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
        s += "<text x=\"4\" y=\"\(fmt(y(0)))\">0</text><text x=\"4\" y=\"\(fmt(y(half)))\">\(halfLabel)</text>"
        if zoomed { s += "<text x=\"\(fmt(w - right - 160))\" y=\"\(fmt(top + 12))\">zoomed to the payload's range</text>" }
        s += "<text x=\"\(left)\" y=\"\(fmt(hgt - 8))\">\(esc(ReportModel.date(snapshots.first!.capturedAt)))</text>"
        s += "<text x=\"\(fmt(w - right - 70))\" y=\"\(fmt(hgt - 8))\">\(esc(ReportModel.date(snapshots.last!.capturedAt)))</text>"
        return s + "</svg>\n"
    }

    /// Pass rate per snapshot for the gates whose pass rate moved most over the history (up to 12, at least one
    /// percentage point): rollout ramps.
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
        for (name, _) in moving.prefix(12) {
            let pts = byGate[name]!.sorted { $0.0 < $1.0 }
            let w = 260.0, h = 110.0, pad = 18.0
            func x(_ i: Int) -> Double { pad + Double(i) / Double(max(1, snapshots.count - 1)) * (w - 2 * pad) }
            func y(_ v: Double) -> Double { pad + (1 - v) * (h - 2 * pad) }
            s += "<svg class=small width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"rollout of \(esc(name))\">"
            s += "<rect x=\"\(pad)\" y=\"\(pad)\" width=\"\(w - 2 * pad)\" height=\"\(h - 2 * pad)\" fill=\"#fafbfd\" stroke=\"#dde\"/>"
            s += "<polyline fill=\"none\" stroke=\"#1b7f4b\" stroke-width=\"2\" points=\"\(pts.map { "\(fmt(x($0.0))),\(fmt(y($0.1)))" }.joined(separator: " "))\"/>"
            s += "<text x=\"\(pad)\" y=\"12\">\(esc(name)): \(fixed((pts.last?.1 ?? 0) * 100, 1))% now</text></svg>"
        }
        return "<p>Pass rate per snapshot, the gates that moved most:</p>\n" + s + "\n"
    }

    /// Users whose value, rule or group changed, per change.
    private func flipsChart() -> String {
        guard snapshots.count > 1 else { return "" }
        var perPair = [Int](repeating: 0, count: snapshots.count)
        for d in diffs { perPair[d.toIndex] += d.changedUsers }
        let maxV = max(1, perPair.max() ?? 1)
        let w = 900.0, h = 160.0, left = 50.0, bottom = 20.0, top = 10.0
        let bw = (w - left - 10) / Double(snapshots.count)
        var s = "<svg class=chart width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"flips per change\">"
        for (i, v) in perPair.enumerated() where v > 0 {
            let bh = Double(v) / Double(maxV) * (h - top - bottom)
            s += "<rect x=\"\(fmt(left + Double(i) * bw))\" y=\"\(fmt(h - bottom - bh))\" width=\"\(fmt(max(1, bw - 1)))\" height=\"\(fmt(bh))\" fill=\"#c36a2b\"><title>\(esc(ReportModel.dateTime(snapshots[i].capturedAt))): \(v) user-entity changes</title></rect>"
        }
        s += "<text x=\"4\" y=\"\(fmt(top + 10))\">\(maxV)</text><text x=\"4\" y=\"\(fmt(h - bottom))\">0</text>"
        return s + "</svg>\n"
    }

    private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
