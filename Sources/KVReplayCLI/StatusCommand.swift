import ArgumentParser
import Foundation
import KVReplayIngest
import KVReplayStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print what the database holds.",
        discussion: """
            --json prints one object with sorted keys, at least {"exposures", "id_lists", "rejects", "snapshots", "users"}. \
            A missing database is unusable input (exit 2).
            """)

    @OptionGroup var database: DatabaseOption

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let status: StoreStatus
        do {
            status = try Store(path: database.db, mode: .readOnly).status()
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        if json {
            print(status.json)
            return
        }
        func time(_ ms: Int64?) -> String { ms.map { Timestamps.iso8601($0) } ?? "-" }
        var lines: [String] = []
        lines.append("database   \(status.path) (migrations: \(status.migrations.joined(separator: ", ")))")
        lines.append("files      \(Fmt.int(Int(status.sourceFiles))) ingested" + (status.failedFiles > 0 ? " (\(status.failedFiles) could not be used)" : ""))
        lines.append("snapshots  \(Fmt.int(Int(status.snapshots))) distinct payload(s) (\(status.noChangeSnapshots) \"no change\"), "
            + "\(Fmt.int(Int(status.snapshotCaptures))) capture(s), \(Fmt.int(Int(status.snapshotEntities))) entity row(s)")
        if status.snapshots > 0 {
            lines.append("           lcut \(time(status.firstLcut)) .. \(time(status.lastLcut)); largest \(Fmt.bytes(Int(status.largestSnapshotBytes ?? 0))); "
                + "\(status.overKVLimit) over the 25 MiB KV value limit")
        }
        lines.append("users      \(Fmt.int(Int(status.users)))")
        lines.append("exposures  \(Fmt.int(Int(status.exposures)))"
            + (status.exposures > 0 ? " (\(time(status.firstExposureTime)) .. \(time(status.lastExposureTime)))" : ""))
        lines.append("id lists   \(Fmt.int(Int(status.idLists))) (\(Fmt.int(Int(status.idListEntries))) entries)")
        lines.append("rejects    \(Fmt.int(Int(status.rejects)))")
        print(lines.joined(separator: "\n"))
    }
}
