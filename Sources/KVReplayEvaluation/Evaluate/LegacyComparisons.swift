import KVReplayModel

/// The legacy SDK's operators (statsig 0.72.1 `_Evaluator.__evaluate_condition`), on Python values: `value` is the
/// user side (nil for `None`). Where the SDK raises, `walk.ctx.failed` is set and the verdict is irrelevant.
enum LegacyComparisons {
    static func compare(_ v: LegacyValue?, _ op: Operator?, _ t: LegacyTarget, walk: Walk) -> Bool {
        guard let o = op else { return false }
        switch o {
        case .gt, .gte, .lt, .lte:
            // Both sides are converted before either is checked.
            let a = v?.float ?? .none, b = t.float
            if a == .raises || b == .raises { return raise(walk) }
            guard case .value(let x) = a, case .value(let y) = b else { return false }
            switch o {
            case .gt: return x > y
            case .gte: return x >= y
            case .lt: return x < y
            default: return x <= y
            }
        case .versionGT, .versionGTE, .versionLT, .versionLTE, .versionEQ, .versionNEQ:
            guard let v, t.str != nil else { return false }
            switch compareVersions(v.versionParts, t.versionParts) {
            case .raises: return raise(walk)
            case .invalid: return false
            case .ordered(let c):
                switch o {
                case .versionGT: return c > 0
                case .versionGTE: return c >= 0
                case .versionLT: return c < 0
                case .versionLTE: return c <= 0
                case .versionEQ: return c == 0
                default: return c != 0
                }
            }
        case .any, .none:
            if let buckets = t.bucketSet {
                // `__lookup_user_bucket`: the bucket number in the set of `int()`s.
                guard case .int(let i)? = v?.json else { return o == .none }
                return buckets.contains(i) == (o == .any)
            }
            var hit = false
            if let v, let set = t.caselessSetRef { hit = set._withUnsafeGuaranteedRef { $0.contains(v.folded, hash: v.foldedHash) } }
            return o == .any ? hit : !hit
        case .anyCaseSensitive, .noneCaseSensitive:
            var hit = false
            if let v, let set = t.exactSetRef { hit = set._withUnsafeGuaranteedRef { $0.contains(v.str, hash: v.strHash) } }
            return o == .anyCaseSensitive ? hit : !hit
        case .startsWithAny, .endsWithAny, .containsAny, .containsNone:
            guard let v else { return o == .containsNone }
            guard let list = t.matchListRef else {
                if case .raises = t.matchStrings { return raise(walk) }
                return o == .containsNone
            }
            let match: ByteStringList.Match = o == .startsWithAny ? .prefix : o == .endsWithAny ? .suffix : .contains
            let hit = list._withUnsafeGuaranteedRef { $0.any(match, in: v.folded) }
            return o == .containsNone ? !hit : hit
        case .matches:
            guard let v, t.str != nil else { return false }
            guard let regex = t.regex else { return raise(walk) }  // re.error
            return regex.matches(v.str)
        case .eq: return pythonEquals(v?.json ?? .null, t.json)
        case .neq: return !pythonEquals(v?.json ?? .null, t.json)
        case .before, .after, .on:
            if v == nil && t.json.isNull { return false }
            let a = v?.date ?? .none, b = t.date
            if a == .raises || b == .raises { return raise(walk) }
            guard case .seconds(let x) = a, case .seconds(let y) = b else { return false }
            switch o {
            case .before: return x < y
            case .after: return x > y
            default: return PyDate.day(x) == PyDate.day(y)
            }
        case .inSegmentList, .notInSegmentList:
            walk.ctx.usedIDList = true
            if t.unhashable { return raise(walk) }
            // `str(id)`: a missing value is looked up as "None".
            let id = v?.str ?? "None"
            let lists = walk.evaluator.options.idLists
            if let name = t.json.stringValue, !lists.contains(list: name) { walk.ctx.missingIDList = true }
            let inList = t.json.stringValue.map { lists.contains(list: $0, unitID: id) } ?? false
            return o == .inSegmentList ? inList : !inList
        case .arrayContainsAny, .arrayContainsNone, .arrayContainsAll, .notArrayContainsAll:
            guard case .array(let list)? = v?.json else { return false }
            guard let keys = t.arrayKeys else { return raise(walk) }  // iterating a missing fast_target_value
            switch o {
            case .arrayContainsAny, .arrayContainsNone:
                var common = false
                for (k, i) in keys {
                    if let i, !i.isZero, containsInt(list, i) { common = true; break }
                    if pythonContains(list, .string(k)) { common = true; break }
                }
                return o == .arrayContainsAny ? common : !common
            default:
                var all = true
                for (k, i) in keys {
                    let intIn = i.map { containsInt(list, $0) } ?? pythonContains(list, .null)
                    if !intIn && !pythonContains(list, .string(k)) { all = false; break }
                }
                return o == .arrayContainsAll ? all : !all
            }
        }
    }

    /// `compare` for a `user_bucket` number and the operators bucket conditions use (`lt`, `gt`, `lte`, `gte`, `any`,
    /// `none`); nil for the others.
    @inline(__always)
    static func compareBucket(_ bucket: Int64, _ op: Operator?, _ t: LegacyTarget, walk: Walk) -> Bool? {
        switch op {
        case .gt?, .gte?, .lt?, .lte?:
            let x = Double(bucket)
            switch t.float {
            case .raises: return raise(walk)
            case .none: return false
            case .value(let y):
                switch op! {
                case .gt: return x > y
                case .gte: return x >= y
                case .lt: return x < y
                default: return x <= y
                }
            }
        case .any?, .none?:
            guard let buckets = t.bucketSet else { return nil }
            return buckets.contains(bucket) == (op == .any)
        default:
            return nil
        }
    }

    @inline(__always)
    private static func raise(_ walk: Walk) -> Bool {
        walk.ctx.failed = true
        return false
    }

    /// `i in list` for a Python int.
    static func containsInt(_ list: [JSONValue], _ i: PythonInt) -> Bool {
        list.contains { e in
            switch e {
            case .int(let x): return PythonInt(x) == i
            case .bool(let b): return PythonInt(b ? 1 : 0) == i
            case .double(let d): return i.equals(d)
            default: return false
            }
        }
    }

    enum VersionOrder: Equatable {
        case ordered(Int)
        /// `ValueError`, caught: the operator is false.
        case invalid
        /// `OverflowError`, not caught.
        case raises
    }

    /// `__version_compare`: parts compared left to right with `int(float(part))`, missing parts 0.
    static func compareVersions(_ a: [VersionPart], _ b: [VersionPart]) -> VersionOrder {
        var i = 0
        while i < max(a.count, b.count) {
            var x = 0.0, y = 0.0
            if i < a.count {
                switch a[i] {
                case .int(let n): x = n
                case .invalid: return .invalid
                case .overflow: return .raises
                }
            }
            if i < b.count {
                switch b[i] {
                case .int(let n): y = n
                case .invalid: return .invalid
                case .overflow: return .raises
                }
            }
            if x < y { return .ordered(-1) }
            if x > y { return .ordered(1) }
            i += 1
        }
        return .ordered(0)
    }
}
