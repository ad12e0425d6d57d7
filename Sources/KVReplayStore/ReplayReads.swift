import Foundation
import GRDB
import KVReplayIO

/// An exposure's clock: what picks the snapshot it is judged against (its logged lcut, else its event time).
public struct ExposureClock: Sendable, Equatable {
    public var id: Int64
    public var lcut: Int64?
    /// The event time, else the time it was received, else 0.
    public var time: Int64
}

/// Reads on a given connection: snapshot payloads (`Store.payload(snapshotID:)`) and exposure clocks (the exposures themselves: `AuditExposure`). Each takes
/// the connection it runs on, so that a replay into the database it reads shares the write transaction's connection.
enum ReplayReads {
    static func payload(_ db: Database, snapshotID: Int64) throws -> [UInt8] {
        guard let compressed = try Data.fetchOne(db, sql: "SELECT payload_zlib FROM snapshots WHERE id = ?", arguments: [snapshotID]) else {
            throw StoreError("no snapshot \(snapshotID)")
        }
        do {
            return try Gzip.decompress([UInt8](compressed))
        } catch {
            throw StoreError("snapshot \(snapshotID): stored payload is damaged (\(error))")
        }
    }

    static func forEachClockBatch(_ db: Database, batchSize: Int, _ body: ([ExposureClock]) throws -> Void) throws {
        var after: Int64 = 0
        let statement = try db.makeStatement(sql: "SELECT id, lcut, coalesce(time, received_at, 0) FROM exposures WHERE id > ? ORDER BY id LIMIT ?")
        while true {
            var batch: [ExposureClock] = []
            batch.reserveCapacity(batchSize)
            let rows = try Row.fetchCursor(statement, arguments: [after, batchSize])
            while let r = try rows.next() { batch.append(ExposureClock(id: r[0], lcut: r[1], time: r[2])) }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
        }
    }
}

extension Store {
    /// Visits every exposure's clock in id order, `batchSize` at a time.
    public func forEachExposureClockBatch(batchSize: Int = 100_000, _ body: ([ExposureClock]) throws -> Void) throws {
        try dbQueue.read { db in try ReplayReads.forEachClockBatch(db, batchSize: batchSize, body) }
    }
}

extension ReplayResultsWriter {
    /// ``Store/payload(snapshotID:)`` on the database being written (read on the write transaction's connection).
    public func payload(snapshotID: Int64) throws -> [UInt8] { try ReplayReads.payload(db, snapshotID: snapshotID) }

    /// Visits every exposure's clock in id order (on the write transaction's connection).
    public func forEachExposureClockBatch(batchSize: Int = 100_000, _ body: ([ExposureClock]) throws -> Void) throws {
        try ReplayReads.forEachClockBatch(db, batchSize: batchSize, body)
    }
}
