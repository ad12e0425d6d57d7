/// A JSON value that keeps what the Statsig SDKs can observe of its source text:
/// integer literals stay exact 64-bit integers (`9` and `9.0` differ), object keys keep their order.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// An integer literal that fits in `Int64`.
    case int(Int64)
    /// A literal with a fraction or exponent, or an integer too large for `Int64`.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    /// The numeric value of a number literal (serde_json's `as_f64`).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var isNumber: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }

    /// Member lookup on an object; nil for other kinds.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

extension JSONValue: Equatable {
    /// Structural equality; objects compare as key/value sets (member order is ignored), numbers by kind and value.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}

/// A JSON object: members in source order, with a hash index for larger objects.
/// A repeated key keeps its first position and takes the last value (as serde_json and Python do).
public struct JSONObject: Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [JSONValue] = []
    private var index: [String: Int]? = nil

    private static let indexThreshold = 12

    public init() {}

    public init<S: Sequence>(_ members: S) where S.Element == (String, JSONValue) {
        for (k, v) in members { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in keys.indices where keys[i].utf8.elementsEqual(key.utf8) { return i }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { values[$0] } }
        set {
            if let i = position(of: key) {
                if let newValue { values[i] = newValue } else { remove(at: i) }
                return
            }
            guard let newValue else { return }
            keys.append(key)
            values.append(newValue)
            if index != nil {
                index![key] = keys.count - 1
            } else if keys.count > Self.indexThreshold {
                var built = [String: Int](minimumCapacity: keys.count * 2)
                for (i, k) in keys.enumerated() { built[k] = i }
                index = built
            }
        }
    }

    private mutating func remove(at i: Int) {
        keys.remove(at: i)
        values.remove(at: i)
        if index != nil {
            var built = [String: Int](minimumCapacity: keys.count)
            for (j, k) in keys.enumerated() { built[k] = j }
            index = built
        }
    }

    /// Members in source order.
    public var members: Zip2Sequence<[String], [JSONValue]> { zip(keys, values) }
}

extension JSONObject: Equatable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        // Values copied from the same source share storage: equal without looking inside.
        if lhs.keys == rhs.keys && lhs.values.withUnsafeBufferPointer({ a in rhs.values.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }) {
            return true
        }
        for (k, v) in lhs.members {
            guard let other = rhs[k], other == v else { return false }
        }
        return true
    }
}

extension JSONValue: Hashable {
    /// Consistent with `==`: object members hash independently of their order.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let b): hasher.combine(1 as UInt8); hasher.combine(b)
        case .int(let i): hasher.combine(2 as UInt8); hasher.combine(i)
        case .double(let d): hasher.combine(3 as UInt8); hasher.combine(d.isNaN ? Double.nan.bitPattern : d.bitPattern)
        case .string(let s):
            hasher.combine(4 as UInt8)
            var s = s
            s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        case .array(let a):
            hasher.combine(5 as UInt8)
            hasher.combine(a.count)
            for e in a { e.hash(into: &hasher) }
        case .object(let o):
            hasher.combine(6 as UInt8)
            hasher.combine(o.count)
            var sum = 0
            for (k, v) in o.members {
                var h = Hasher()
                var k = k
                k.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
                v.hash(into: &h)
                sum = sum &+ h.finalize()
            }
            hasher.combine(sum)
        }
    }
}
