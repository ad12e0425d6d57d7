import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayReport
import KVReplayTestSupport
import Testing

/// The fixture history of the engine tests, replayed, with a hostile entity name in the last snapshot and a few
/// audited exposures.
enum ReportFixture {
    final class Sink: ReplaySink {
        var summaries: [ReportInput.FlipSummary] = []
        func flips(from: Int, to: Int, entity: EntityRef, flips: [Flip]) throws {
            var s = ReportInput.FlipSummary(from: from, to: to, entity: entity)
            for f in flips.sorted(by: { $0.userID < $1.userID }) { s.add(unitID: "user-\(f.userID - 1)", before: f.before, after: f.after) }
            summaries.append(s)
        }
    }

    static func input() throws -> ReportInput {
        var snapshots = History.snapshots
        snapshots[3].specs = History.payload(time: snapshots[3].lcut, rampPercent: 50, extraGate: true, emailSuffix: "@b.com", hostile: true)
        let users = History.users(300)
        let sink = Sink()
        let summary = try Replayer(snapshots: snapshots, options: ReplayOptions(threads: 2, idLists: History.idLists, idListHashes: ["beta": "h"]))
            .run(users: users, sink: sink)
        let sizes = [210_000, 230_500, 230_500, 260_000]
        let reportSnapshots = snapshots.enumerated().map { i, s in
            ReportInput.Snapshot(sha256: String(repeating: String(i), count: 64), lcut: s.lcut, capturedAt: s.capturedAt, bytes: sizes[i],
                                 kvKey: "statsig-FixtureProject00000", specs: s.specs)
        }
        var audit = ReportInput.AuditSummary()
        audit.add(verdict: .match, fields: [], inferred: false, eventTime: 1_700_000_200_000, newerLcut: nil, kind: "gate", entity: "ramp")
        audit.add(verdict: .match, fields: [], inferred: true, eventTime: 1_700_000_300_000, newerLcut: nil, kind: "gate", entity: "ramp")
        audit.add(verdict: .mismatch, fields: ["value"], inferred: false, eventTime: 1_700_000_400_000, newerLcut: nil, kind: "gate", entity: "<script>alert('x')</script>|`")
        audit.add(verdict: .stale, fields: [], inferred: false, eventTime: 1_700_100_400_000, newerLcut: 1_700_100_100_000, kind: "gate", entity: "ramp")
        audit.add(verdict: .stale, fields: [], inferred: false, eventTime: 1_700_100_900_000, newerLcut: 1_700_100_100_000, kind: "gate", entity: "ramp")
        audit.add(verdict: .noSnapshot, fields: [], inferred: false, eventTime: 1_600_000_000_000, newerLcut: nil, kind: "config", entity: "exp")
        return ReportInput(snapshots: reportSnapshots, rollups: summary.rollups, flips: sink.summaries, audit: audit)
    }
}

/// Compares with `Golden/<name>`; `RECORD_GOLDEN=1 swift test` rewrites the files.
func expectGolden(_ actual: String, _ name: String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] != nil {
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "\(name) differs from its golden file (RECORD_GOLDEN=1 to re-record)", sourceLocation: sourceLocation)
}

@Suite struct ReportTests {
    @Test func everyFormatMatchesItsGoldenFile() throws {
        let model = ReportModel(try ReportFixture.input())
        try expectGolden(model.markdown(), "report.md")
        try expectGolden(PrettyJSON.pretty(model.json()) + "\n", "report.json")
        try expectGolden(model.html(), "report.html")
        try expectGolden(model.junit(), "junit.xml")
        try expectGolden(model.csv().map { "== \($0.0)\n\($0.1)" }.joined(), "csv.txt")
    }

    @Test func sameInputGivesByteIdenticalFiles() throws {
        let a = try ReportModel(try ReportFixture.input()).files(formats: ReportFormat.allCases, gzip: true)
        let b = try ReportModel(try ReportFixture.input()).files(formats: ReportFormat.allCases, gzip: true)
        #expect(a.map(\.name) == b.map(\.name))
        #expect(a.map(\.bytes) == b.map(\.bytes))
        #expect(a.map(\.name).contains("report.html.gz"))
        // gzip output reads back with zlib (as `gzip -d` would).
        let html = try Gzip.decompress(a.first { $0.name == "report.html.gz" }!.bytes)
        #expect(String(decoding: html, as: UTF8.self) == ReportModel(try ReportFixture.input()).html())
    }

    @Test func hostileNamesAreEscaped() throws {
        let model = ReportModel(try ReportFixture.input())
        let html = model.html()
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>rule</b>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("<link"))
        let junit = model.junit()
        #expect(!junit.contains("<script>"))
        let md = model.markdown()
        #expect(!md.contains("|`"))
        let csv = model.csv().map(\.1).joined()
        #expect(csv.contains("\"<script>alert('x')</script>|`\"") || csv.contains("<script>alert('x')</script>|`"))
    }

    @Test func figuresAreRight() throws {
        let model = ReportModel(try ReportFixture.input())
        #expect(model.snapshots.map(\.deltaBytes) == [nil, 20_500, 0, 29_500])
        #expect(model.snapshots[0].percentOfLimit == 210_000.0 / 26_214_400 * 100)
        let f = try #require(model.forecast)
        #expect(f.bytesPerDay > 0)
        #expect(f.limitReachedAt! > model.snapshots.last!.capturedAt)
        // The 10% -> 50% ramp: about 40% of users flip to true, and measured pass rates track the configured ones.
        let ramp = try #require(model.diffs.first { $0.name == "ramp" && $0.toIndex == 1 })
        #expect(ramp.specChanges == ["rule ramp-rule pass percentage 10% -> 50%"])
        #expect(ramp.toTrue > 80 && ramp.toTrue < 160 && ramp.toFalse == 0)
        let latestRamp = try #require(model.rollouts.first { $0.name == "ramp" && $0.snapshotIndex == 3 })
        #expect(abs(latestRamp.partialRules[0].measuredPercent - 50) < 8)
        let exp = try #require(model.rollouts.first { $0.name == "exp" && $0.snapshotIndex == 0 })
        #expect(exp.split.map(\.group) == ["Control", "Test"])
        #expect(exp.srmPValue! > 0.001 && !exp.srm)
        #expect(model.audit.byVerdict[.stale] == 2 && model.audit.inferred == 1)
        #expect(model.audit.staleness!.medianMs == 800_000 && model.audit.staleness!.count == 2)
    }

    @Test func chiSquareFlagsAWrongSplit() {
        // 600 vs 400 against 50/50: chi-square 40, p ≈ 2.5e-10.
        let p = StatisticsProbe.pValue(observed: [600, 400], shares: [0.5, 0.5])
        #expect(p < 1e-9 && p > 1e-11)
        let fair = StatisticsProbe.pValue(observed: [505, 495], shares: [0.5, 0.5])
        #expect(abs(fair - 0.7518) < 0.001)
    }
}
