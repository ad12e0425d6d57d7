import KVReplayModel

/// A user-side value as statsig-node's comparisons read it, with every conversion they apply done once: `String(x)`,
/// its `toLowerCase()` (both with the hash `ByteStringSet` probes with), `Number(x)`, the `versionCompare` parts of a
/// string, the `new Set(array)` of an array, and for unit IDs the ID-list key. Immutable once made; a user's values
/// are cached by field slot (`NodeUser`), so a field is read and converted once per user, not once per comparison.
final class NodeValue: Sendable {
    /// nil: `undefined`.
    let json: JSONValue?
    /// `x == null` (`null` or `undefined`).
    let isNullish: Bool
    /// `String(x)`.
    let string: String
    /// `String(x).toLowerCase()`.
    let lower: String
    let stringHash: UInt64
    let lowerHash: UInt64
    /// `Number(x)`.
    let number: Double
    /// A string's `versionCompare` parts: the text before the first `-`, split on `.`, each part through `Number()`
    /// (nil: not a string, or nothing before the `-`).
    let versionParts: [Double]?
    /// An array's elements as `new Set(array)` holds them (nil: not an array).
    let arrayMembers: Set<JS.Primitive>?
    /// `hashUnitIDForIDList`: only a string has a key (computed for unit IDs; see `listKey`).
    private let idListKey: UInt64?

    init(_ json: JSONValue?, unitID: Bool = false) {
        self.json = json
        let nullish = json == nil || json!.isNull
        isNullish = nullish
        let s = JS.string(json)
        string = s
        concatenable = nullish ? "" : s
        let l = JS.lower(s)
        lower = l
        stringHash = ByteStringSet.hash(s)
        lowerHash = ByteStringSet.hash(l)
        number = JS.number(json)
        switch json {
        case .string(let text)?:
            versionParts = NodeValue.versionParts(text)
            idListKey = unitID ? NodeWalk.idListKey(text) : nil
        default:
            versionParts = nil
            idListKey = nil
        }
        if case .array(let values)? = json {
            var set = Set<JS.Primitive>()
            for v in values { if let p = JS.Primitive(v) { set.insert(p) } }
            arrayMembers = set
        } else {
            arrayMembers = nil
        }
    }

    var isUndefined: Bool { json == nil }

    /// `x ?? ''` in a string concatenation (a unit ID in a hash input).
    let concatenable: String

    /// The ID-list key of a string value (nil for any other value).
    var listKey: UInt64? {
        if let idListKey { return idListKey }
        if case .string(let s)? = json { return NodeWalk.idListKey(s) }
        return nil
    }

    /// `undefined`.
    static let undefined = NodeValue(nil)
    static let undefinedRef = Unmanaged.passUnretained(undefined)

    /// `user_bucket`'s values, 0 to 999 (shared: immutable, read unretained).
    static let buckets: [NodeValue] = (0..<1000).map { NodeValue(.int(Int64($0))) }
    static let bucketRefs: [Unmanaged<NodeValue>] = buckets.map { Unmanaged.passUnretained($0) }

    /// `versionCompare`'s reading of one side (see `NodeWalk.versionCompare`).
    static func versionParts(_ text: String) -> [Double]? {
        // `indexOf('-')` on code units: split on the byte, not on grapheme clusters.
        let utf8 = text.utf8
        let head = utf8.firstIndex(of: UInt8(ascii: "-")).map { utf8[..<$0] } ?? utf8[...]
        if head.isEmpty { return nil }
        return head.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { JS.number(String($0)!) }
    }

    /// `versionCompare` of two sides' parts: missing parts are 0, a NaN part reached gives no answer.
    static func versionCompare(_ p1: [Double], _ p2: UnsafeBufferPointer<Double>) -> Int? {
        for i in 0..<max(p1.count, p2.count) {
            let n1 = i < p1.count ? p1[i] : 0
            let n2 = i < p2.count ? p2[i] : 0
            if n1.isNaN || n2.isNaN { return nil }
            if n1 < n2 { return -1 }
            if n1 > n2 { return 1 }
        }
        return 0
    }
}
