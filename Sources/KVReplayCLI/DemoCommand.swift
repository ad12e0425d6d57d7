import ArgumentParser
import Foundation
import KVReplayEngine
import KVReplayEvaluation
import KVReplayPipeline

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole pipeline on the bundled sample: ingest into a fresh database, replay, report into Reports/.",
        discussion: """
            Reads Datasets/sample (a generated 14-day history: KV snapshots in several export shapes, SDK logs, ID lists), \
            builds kvreplay-demo.sqlite, replays every snapshot for every user, audits every logged exposure, and writes \
            the reports. The committed Reports/ folder is exactly what this command writes.
            """)

    @Option(name: .long, help: "The dataset folder.")
    var dataset: String = "Datasets/sample"

    @Option(name: .long, help: "Where the reports go.")
    var out: String = "Reports"

    @Option(name: .long, help: "The database to create (replaced if it exists).")
    var db: String = "kvreplay-demo.sqlite"

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    func run() throws {
        let start = Date()
        let s = try Demo.run(dataset: dataset, reports: out, database: db, threads: threads ?? Parallel.availableCores) { step in
            printError("demo: \(step)")
        }
        let r = s.replay
        print("ingested \(s.snapshots.added) distinct snapshots (\(s.snapshots.records) captures), \(s.logs.added) exposures from \(s.logs.records) log records "
              + "(\(s.logs.rejected) corrupt records kept aside in the rejects table), \(s.idLists.added) ID-list entries into \(db)")
        print("replayed \(r.snapshots) snapshots for \(r.users) users: \(r.evaluations) evaluations, \(r.carriedOver) results carried over, \(r.flips) flips")
        print("audited \(r.exposures) exposures: " + Verdict.allCases.map { "\($0.rawValue) \(r.verdicts[$0] ?? 0)" }.joined(separator: ", "))
        print("reports: " + s.reportFiles.joined(separator: " "))
        print(String(format: "done in %.1f s", Date().timeIntervalSince(start)))
    }
}
