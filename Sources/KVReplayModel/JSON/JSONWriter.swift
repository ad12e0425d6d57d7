/// Compact JSON text.
///
/// `.python` reproduces Python's `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`,
/// which is the record format of the oracle and of `kvreplay eval`, so outputs can be compared byte for byte.
/// `.serde` reproduces serde_json's `to_string` (members in source order, Ryu floats), which the core SDK uses
/// when it turns a non-string value into text.
public struct JSONWriter: Sendable {
    public enum Style: Sendable { case python, serde }

    public var style: Style

    public init(style: Style = .python) { self.style = style }

    public func string(_ value: JSONValue) -> String {
        var out = [UInt8]()
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            out.append(contentsOf: (style == .python ? NumberFormatting.pythonRepr(d) : NumberFormatting.serdeJSON(d)).utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var order = Array(o.keys.indices)
            if style == .python { order.sort { JSONWriter.codePointLess(o.keys[$0], o.keys[$1]) } }
            for (n, i) in order.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(o.keys[i], into: &out)
                out.append(UInt8(ascii: ":"))
                write(o.values[i], into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Code-point order (Python's `str` ordering), which equals UTF-8 byte order.
    public static func codePointLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 0xF)]])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Indented JSON for files people read (keys sorted, two spaces, Python-style numbers).
public enum PrettyJSON {
    public static func pretty(_ value: JSONValue) -> String {
        var out = [UInt8]()
        write(value, indent: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) {
        let compact = JSONWriter(style: .python)
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch value {
        case .array(let a) where !a.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(e, indent: indent + 1, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let o) where !o.isEmpty:
            out.append(UInt8(ascii: "{"))
            let order = o.keys.indices.sorted { JSONWriter.codePointLess(o.keys[$0], o.keys[$1]) }
            for (n, i) in order.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                JSONWriter.writeString(o.keys[i], into: &out)
                out.append(contentsOf: ": ".utf8)
                write(o.values[i], indent: indent + 1, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        default:
            compact.write(value, into: &out)
        }
    }
}
