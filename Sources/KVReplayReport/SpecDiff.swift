public import KVReplayModel

/// What changed in a spec between two snapshots, in words a release owner reads.
public enum SpecDiff {
    public static func changes(from old: Spec?, to new: Spec?) -> [String] {
        guard let old, let new else {
            if new != nil { return ["created"] }
            if old != nil { return ["deleted"] }
            return []
        }
        var out: [String] = []
        let w = JSONWriter(style: .python)
        if old.enabled != new.enabled { out.append("enabled \(old.enabled) -> \(new.enabled)") }
        if old.defaultValue != new.defaultValue { out.append("default value \(w.string(old.defaultValue)) -> \(w.string(new.defaultValue))") }
        if old.isActive != new.isActive { out.append("active \(old.isActive.map(String.init) ?? "unset") -> \(new.isActive.map(String.init) ?? "unset")") }
        if old.salt != new.salt { out.append("salt changed") }
        if old.idType != new.idType { out.append("id type \(old.idType) -> \(new.idType)") }
        if old.targetAppIDs != new.targetAppIDs { out.append("target apps \(list(old.targetAppIDs)) -> \(list(new.targetAppIDs))") }
        let oldIDs = old.rules.map(\.id), newIDs = new.rules.map(\.id)
        let oldSet = Set(oldIDs), newSet = Set(newIDs)
        for id in newIDs where !oldSet.contains(id) { out.append("rule \(id) added") }
        for id in oldIDs where !newSet.contains(id) { out.append("rule \(id) removed") }
        let commonOld = oldIDs.filter { newSet.contains($0) }, commonNew = newIDs.filter { oldSet.contains($0) }
        if commonOld != commonNew { out.append("rules reordered") }
        let oldByID = Dictionary(old.rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for rule in new.rules {
            guard let before = oldByID[rule.id] else { continue }
            if before.passPercentage != rule.passPercentage {
                out.append("rule \(rule.id) pass percentage \(NumberFormatting.rustDisplay(before.passPercentage))% -> \(NumberFormatting.rustDisplay(rule.passPercentage))%")
            }
            if before.conditions != rule.conditions { out.append("rule \(rule.id) conditions changed") }
            if before.returnValue != rule.returnValue { out.append("rule \(rule.id) return value \(w.string(before.returnValue)) -> \(w.string(rule.returnValue))") }
            if before.groupName != rule.groupName { out.append("rule \(rule.id) group \(before.groupName ?? "none") -> \(rule.groupName ?? "none")") }
            if before.configDelegate != rule.configDelegate { out.append("rule \(rule.id) delegate \(before.configDelegate ?? "none") -> \(rule.configDelegate ?? "none")") }
            if before.salt != rule.salt || before.idType != rule.idType { out.append("rule \(rule.id) bucketing changed (salt or id type)") }
        }
        if out.isEmpty && old != new { out.append("other fields changed") }
        return out
    }

    static func list(_ a: [String]?) -> String { a.map { "[" + $0.joined(separator: ", ") + "]" } ?? "none" }
}
