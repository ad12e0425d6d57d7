import Foundation
import GRDB

/// A stored exposure with only the columns the audit reads (``ExposureRecord`` has all 27), for
/// ``Store/forEachAuditExposureBatch(batchSize:_:)``.
public struct AuditExposure: Sendable, Equatable {
    public var id: Int64
    public var kind: ExposureKind
    /// The exact name (a NUL included).
    public var entity: String
    public var userRow: Int64?
    public var value: String?
    public var ruleID: String?
    public var groupName: String?
    public var allocatedExperiment: String?
    public var isExplicitParameter: Bool?
    public var parameterName: String?
    public var time: Int64?
    public var receivedAt: Int64?
    public var lcut: Int64?
    public var sdkType: String?

    public init(id: Int64, kind: ExposureKind, entity: String, userRow: Int64? = nil, value: String? = nil, ruleID: String? = nil,
                groupName: String? = nil, allocatedExperiment: String? = nil, isExplicitParameter: Bool? = nil, parameterName: String? = nil,
                time: Int64? = nil, receivedAt: Int64? = nil, lcut: Int64? = nil, sdkType: String? = nil)
    {
        self.id = id
        self.kind = kind
        self.entity = entity
        self.userRow = userRow
        self.value = value
        self.ruleID = ruleID
        self.groupName = groupName
        self.allocatedExperiment = allocatedExperiment
        self.isExplicitParameter = isExplicitParameter
        self.parameterName = parameterName
        self.time = time
        self.receivedAt = receivedAt
        self.lcut = lcut
        self.sdkType = sdkType
    }

    static let columns = """
        SELECT id, kind, entity, user_row, value, rule_id, group_name, allocated_experiment, is_explicit_parameter, parameter_name,
               time, received_at, lcut, sdk_type FROM exposures
        """

    /// The current row of a `columns` statement.
    private init(row select: RawStatement) {
        self.init(id: select.int64(0), kind: ExposureKind(rawValue: select.string(1)) ?? .gate, entity: select.string(2), userRow: select.optionalInt64(3),
                  value: select.text(4), ruleID: select.text(5), groupName: select.text(6), allocatedExperiment: select.text(7),
                  isExplicitParameter: select.optionalInt64(8).map { $0 != 0 }, parameterName: select.text(9), time: select.optionalInt64(10),
                  receivedAt: select.optionalInt64(11), lcut: select.optionalInt64(12), sdkType: select.text(13))
    }

    /// Up to `limit` exposures with ids above `after`, in id order, read by column index.
    static func fetch(_ db: Database, after: Int64, limit: Int) throws -> [AuditExposure] {
        let select = try RawStatement(db, sql: "\(columns) WHERE id > ? ORDER BY id LIMIT ?")
        select.bind(after, at: 1)
        select.bind(Int64(limit), at: 2)
        var out: [AuditExposure] = []
        out.reserveCapacity(limit)
        while try select.step() { out.append(AuditExposure(row: select)) }
        return out
    }

    /// The exposures with these ids (ascending), in id order, read by column index, 500 ids a statement.
    static func fetch(_ db: Database, ids: ArraySlice<Int64>) throws -> [AuditExposure] {
        var out: [AuditExposure] = []
        out.reserveCapacity(ids.count)
        var start = ids.startIndex
        var full: RawStatement?
        while start < ids.endIndex {
            let end = min(ids.endIndex, start + 500)
            let select: RawStatement
            if end - start == 500, let f = full { select = f; select.reset() } else {
                select = try RawStatement(db, sql: "\(columns) WHERE id IN (\(repeatElement("?", count: end - start).joined(separator: ","))) ORDER BY id")
                if end - start == 500 { full = select }
            }
            for (k, id) in ids[start..<end].enumerated() { select.bind(id, at: Int32(k + 1)) }
            while try select.step() { out.append(AuditExposure(row: select)) }
            start = end
        }
        return out
    }

    /// Visits every exposure in id order, `batchSize` at a time, each batch continuing after the last id of the one before.
    static func forEachBatch(batchSize: Int, read: (_ after: Int64) throws -> [AuditExposure], _ body: ([AuditExposure]) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let batch = try read(after)
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
            if batch.count < batchSize { return }
        }
    }
}

extension Store {
    /// Visits every exposure in id order with the columns the audit reads, `batchSize` at a time (keyset paging).
    public func forEachAuditExposureBatch(batchSize: Int = 50_000, _ body: ([AuditExposure]) throws -> Void) throws {
        try AuditExposure.forEachBatch(batchSize: batchSize, read: { after in
            try read { db in try AuditExposure.fetch(db, after: after, limit: batchSize) }
        }, body)
    }
}

extension Store {
    /// The exposures with these ids (ascending), in id order, with the columns the audit reads.
    public func auditExposures(ids: ArraySlice<Int64>) throws(StoreError) -> [AuditExposure] {
        try read { db in try AuditExposure.fetch(db, ids: ids) }
    }
}

extension ReplayResultsWriter {
    /// ``Store/auditExposures(ids:)`` on the database being written.
    public func auditExposures(ids: ArraySlice<Int64>) throws -> [AuditExposure] { try AuditExposure.fetch(db, ids: ids) }

    /// ``Store/forEachAuditExposureBatch(batchSize:_:)`` on the database being written (reads share the write
    /// transaction's connection).
    public func forEachAuditExposureBatch(batchSize: Int = 50_000, _ body: ([AuditExposure]) throws -> Void) throws {
        try AuditExposure.forEachBatch(batchSize: batchSize, read: { after in try AuditExposure.fetch(db, after: after, limit: batchSize) }, body)
    }
}
