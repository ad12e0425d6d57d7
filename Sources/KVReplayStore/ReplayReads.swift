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

/// An exposure with only the columns the audit judges, read by position.
public struct AuditedExposure: Sendable, Equatable {
    public var id: Int64
    public var kind: ExposureKind
    public var entity: String
    public var userRow: Int64?
    public var value: String?
    public var ruleID: String?
    public var groupName: String?
    public var allocatedExperiment: String?
    public var isExplicitParameter: Bool?
    public var parameterName: String?
    /// The event time, else the time it was received, else 0.
    public var time: Int64
    public var lcut: Int64?
    public var sdkType: String?
}

/// The replay's reads: snapshot payloads, exposure clocks and audited exposures by id. Each takes the connection it
/// runs on, so that a replay into the database it reads shares the write transaction's connection.
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

    /// The exposures with these ids, in id order (`ids` ascending).
    static func exposures(_ db: Database, ids: ArraySlice<Int64>) throws -> [AuditedExposure] {
        var out: [AuditedExposure] = []
        out.reserveCapacity(ids.count)
        var start = ids.startIndex
        while start < ids.endIndex {
            let end = min(ids.endIndex, start + 500)
            let part = ids[start..<end]
            let marks = repeatElement("?", count: part.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT id, kind, CAST(entity AS BLOB), user_row, value, rule_id, group_name, allocated_experiment, is_explicit_parameter,
                       parameter_name, coalesce(time, received_at, 0), lcut, sdk_type
                FROM exposures WHERE id IN (\(marks)) ORDER BY id
                """, arguments: StatementArguments(Array(part)))
            while let r = try rows.next() {
                let entity: DatabaseValue = r[2]
                let name: String
                switch entity.storage {
                case .blob(let d): name = String(decoding: d, as: UTF8.self)
                case .string(let s): name = s
                default: name = ""
                }
                out.append(AuditedExposure(id: r[0], kind: ExposureKind(rawValue: r[1]) ?? .gate, entity: name, userRow: r[3], value: r[4],
                                           ruleID: r[5], groupName: r[6], allocatedExperiment: r[7], isExplicitParameter: r[8],
                                           parameterName: r[9], time: r[10], lcut: r[11], sdkType: r[12]))
            }
            start = end
        }
        return out
    }
}

extension Store {
    /// A snapshot's payload JSON, inflated.
    public func payloadBytes(snapshotID: Int64) throws(StoreError) -> [UInt8] {
        try read { db in try ReplayReads.payload(db, snapshotID: snapshotID) }
    }

    /// Visits every exposure's clock in id order, `batchSize` at a time.
    public func forEachExposureClockBatch(batchSize: Int = 100_000, _ body: ([ExposureClock]) throws -> Void) throws {
        try dbQueue.read { db in try ReplayReads.forEachClockBatch(db, batchSize: batchSize, body) }
    }

    /// The exposures with these ids (ascending), in id order.
    public func auditedExposures(ids: ArraySlice<Int64>) throws(StoreError) -> [AuditedExposure] {
        try read { db in try ReplayReads.exposures(db, ids: ids) }
    }
}

extension ReplayResultsWriter {
    /// A snapshot's payload JSON, inflated (read on the write transaction's connection).
    public func payloadBytes(snapshotID: Int64) throws -> [UInt8] { try ReplayReads.payload(db, snapshotID: snapshotID) }

    /// Visits every exposure's clock in id order (on the write transaction's connection).
    public func forEachExposureClockBatch(batchSize: Int = 100_000, _ body: ([ExposureClock]) throws -> Void) throws {
        try ReplayReads.forEachClockBatch(db, batchSize: batchSize, body)
    }

    /// The exposures with these ids (ascending), in id order (on the write transaction's connection).
    public func auditedExposures(ids: ArraySlice<Int64>) throws -> [AuditedExposure] { try ReplayReads.exposures(db, ids: ids) }
}
