import ArgumentParser
import Foundation
import KVReplayEngine
import KVReplayReport
import KVReplayStore


struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the reports: payload size against the KV limits, rollouts, exposure diffs, audit.",
        discussion: "The same database gives byte-identical reports: no wall-clock time inside, stable ordering.")

    @Option(name: .long, help: "The database (default: kvreplay.sqlite).")
    var db: String = Store.defaultPath

    @Option(name: .long, help: "Where to write the files.")
    var out: String = "Reports"

    @Option(name: .long, parsing: .upToNextOption, help: "Formats, comma-separated: md,json,csv,html,junit (default: all).")
    var format: [String] = []

    @Flag(name: .long, help: "Write each file gzip-compressed (.gz).")
    var gzip = false

    @Option(name: .long, help: "First snapshot (id, lcut or SHA-256 prefix).")
    var from: String?

    @Option(name: .long, help: "Last snapshot.")
    var to: String?

    @Flag(name: .customLong("include-pii"), help: "Show unit IDs instead of short hashes.")
    var includePII = false

    @Flag(name: .customLong("raw-csv-formulas"), help: "CSV: keep cells that start with =, +, -, @, tab or CR as they are (default: prefixed with ', as OWASP advises).")
    var rawCSVFormulas = false

    @Option(name: .customLong("max-mismatch-rate"), help: "Share of exposures that may mismatch before the JUnit audit case fails (default 0.01).")
    var maxMismatchRate: Double = 0.01

    func formats() throws -> [ReportFormat] {
        let names = format.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        if names.isEmpty { return ReportFormat.allCases }
        return try names.map { n in
            guard let f = ReportFormat(rawValue: n) else { throw ValidationError("unknown format \(n) (use md, json, csv, html, junit)") }
            return f
        }
    }

    func validate() throws { _ = try formats() }

    func run() throws {
        let store = try Store.open(path: db, mode: .readOnly)
        let input = try StoreReportLoader.load(store: store, from: from.map(SnapshotSelector.init), to: to.map(SnapshotSelector.init))
        var options = ReportOptions()
        options.includePII = includePII
        options.maxMismatchRate = maxMismatchRate
        options.rawCSVFormulas = rawCSVFormulas
        let model = ReportModel(input, options: options)
        let written = try model.write(to: out, formats: try formats(), gzip: gzip)
        for path in written { print(path) }
    }
}
