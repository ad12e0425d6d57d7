import Foundation
import GRDB

/// One side of a flip as the replay tables store it.
public struct OutcomeText: Sendable, Hashable {
    /// The value as compact JSON (keys sorted).
    public var value: String
    public var ruleID: String
    /// The group, nil for none.
    public var group: String?

    public init(value: String, ruleID: String, group: String?) {
        self.value = value
        self.ruleID = ruleID
        self.group = group
    }

    /// The fields in which two outcomes differ (`value`, `rule`, `group`), compared as stored text.
    public func changes(to other: OutcomeText) -> [String] {
        var out: [String] = []
        if !value.utf8.elementsEqual(other.value.utf8) { out.append("value") }
        if !ruleID.utf8.elementsEqual(other.ruleID.utf8) { out.append("rule") }
        if group != other.group { out.append("group") }
        return out
    }
}

/// What identifies a row of `replay_transitions`.
struct TransitionKey: Hashable {
    var kind: String
    var entity: String
    var before: OutcomeText
    var after: OutcomeText
    var changed: String
}

/// A row of `replay_transitions`: an entity's outcome changing from `before` to `after`, stored once however many
/// users and snapshot pairs it happens to.
public struct TransitionRow: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var entity: String
    public var before: OutcomeText
    public var after: OutcomeText
    /// `value`, `rule`, `group`, comma-separated.
    public var changed: String
}

/// A row of `replay_flip_rows`: one user's flip, as integers.
public struct FlipRef: Sendable, Equatable {
    public var fromSnapshotID: Int64
    public var toSnapshotID: Int64
    /// → ``TransitionRow/id``.
    public var transitionID: Int64
    public var userRow: Int64
}

extension Store {
    /// Every transition, by id.
    public func replayTransitions() throws(StoreError) -> [TransitionRow] {
        try requireTransitions()
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, kind, CAST(entity AS BLOB), before_value, before_rule_id, before_group, after_value, after_rule_id, after_group, changed
                FROM replay_transitions ORDER BY id
                """).map { r in
                TransitionRow(id: r[0], kind: r[1], entity: ExactText.read(r, at: 2),
                              before: OutcomeText(value: r[3], ruleID: r[4], group: r[5]),
                              after: OutcomeText(value: r[6], ruleID: r[7], group: r[8]), changed: r[9])
            }
        }
    }

    /// Visits every flip as integers in key order (to-snapshot, transition, user row), `batchSize` at a time: one
    /// read per batch, each continuing after the last key of the one before (no OFFSET), columns read by index.
    public func forEachFlipRefBatch(batchSize: Int = 65_536, _ body: ([FlipRef]) throws -> Void) throws {
        try requireTransitions()
        var after = (to: Int64.min, transition: Int64.min, user: Int64.min)
        var batch: [FlipRef] = []
        batch.reserveCapacity(batchSize)
        while true {
            batch.removeAll(keepingCapacity: true)
            try read { db in
                let select = try RawStatement(db, sql: """
                    SELECT to_snapshot_id, transition_id, user_row, from_snapshot_id FROM replay_flip_rows
                    WHERE (to_snapshot_id, transition_id, user_row) > (?, ?, ?)
                    ORDER BY to_snapshot_id, transition_id, user_row LIMIT ?
                    """)
                select.bind(after.to, at: 1)
                select.bind(after.transition, at: 2)
                select.bind(after.user, at: 3)
                select.bind(Int64(batchSize), at: 4)
                while try select.step() {
                    batch.append(FlipRef(fromSnapshotID: select.int64(3), toSnapshotID: select.int64(0), transitionID: select.int64(1), userRow: select.int64(2)))
                }
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = (last.toSnapshotID, last.transitionID, last.userRow)
            if batch.count < batchSize { return }
        }
    }

    /// Visits every flip with its transition's text (the rows of the `replay_flips` view), in the key order of
    /// ``forEachFlipRefBatch(batchSize:_:)``, `batchSize` at a time.
    public func forEachFlipBatch(batchSize: Int = 65_536, _ body: ([FlipRow]) throws -> Void) throws {
        let transitions = Dictionary(uniqueKeysWithValues: try replayTransitions().map { ($0.id, $0) })
        try forEachFlipRefBatch(batchSize: batchSize) { refs in
            try body(refs.map { f in
                let t = transitions[f.transitionID]
                return FlipRow(fromSnapshotID: f.fromSnapshotID, toSnapshotID: f.toSnapshotID, kind: t?.kind ?? "", entity: t?.entity ?? "",
                               userRow: f.userRow, beforeValue: t?.before.value ?? "", beforeRuleID: t?.before.ruleID ?? "",
                               beforeGroup: t?.before.group, afterValue: t?.after.value ?? "", afterRuleID: t?.after.ruleID ?? "",
                               afterGroup: t?.after.group, changed: t?.changed ?? "")
            })
        }
    }

    /// A database replayed before `v4-replay-transitions` and opened read-only still has its flips in the old
    /// `replay_flips` table; the readers here need the new tables.
    private func requireTransitions() throws(StoreError) {
        let upgraded = try read { db in try db.tableExists("replay_flip_rows") }
        guard upgraded else {
            throw StoreError("\(path) was replayed by an older kvreplay (flips stored one text row each): run `kvreplay replay` again (it upgrades the database)")
        }
    }
}
