import Foundation
import KVReplayModel

/// Finds where values sit in a JSON text without building them, so a spec's size can be its exact byte length
/// in the payload. Assumes the text is valid JSON (it has been parsed already); returns nil when it is not.
enum JSONScan {
    /// The elements of the top-level object's members named in `keys`, in one pass: for an array, each element's
    /// byte range in order (keys nil); for an object, each member's value range with its key. A key that appears
    /// twice keeps its last value, as parsers do.
    static func collections(_ bytes: [UInt8], keys: Set<String>) -> [String: [(key: String?, range: Range<Int>)]] {
        bytes.withUnsafeBufferPointer { b -> [String: [(key: String?, range: Range<Int>)]] in
            var out: [String: [(key: String?, range: Range<Int>)]] = [:]
            var p = 0
            skipWS(b, &p)
            guard p < b.count, b[p] == UInt8(ascii: "{") else { return out }
            p += 1
            while true {
                skipWS(b, &p)
                guard p < b.count, b[p] != UInt8(ascii: "}") else { return out }
                guard let k = stringRange(b, &p) else { return out }
                let key = decodeKey(b, k)
                skipWS(b, &p)
                guard p < b.count, b[p] == UInt8(ascii: ":") else { return out }
                p += 1
                skipWS(b, &p)
                guard p < b.count else { return out }
                if keys.contains(key), b[p] == UInt8(ascii: "[") || b[p] == UInt8(ascii: "{") {
                    guard let elements = elements(b, &p, object: b[p] == UInt8(ascii: "{")) else { return out }
                    out[key] = elements
                } else {
                    guard skipValue(b, &p) else { return out }
                }
                skipWS(b, &p)
                guard p < b.count, b[p] == UInt8(ascii: ",") else { return out }
                p += 1
            }
        }
    }

    /// SHA-256 (hex) of the JSON text in `range` with the whitespace outside strings removed.
    static func compactSHA256(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, scratch: inout [UInt8]) -> String {
        scratch.removeAll(keepingCapacity: true)
        var inString = false
        var k = range.lowerBound
        var runStart = k
        while k < range.upperBound {
            let c = b[k]
            if inString {
                if c == UInt8(ascii: "\\") { k += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                if runStart < k { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<k])) }
                runStart = k + 1
            }
            k += 1
        }
        if runStart < range.upperBound { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<range.upperBound])) }
        return SHA256Stream.hex(scratch)
    }

    private static func elements(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, object: Bool) -> [(key: String?, range: Range<Int>)]? {
        p += 1
        var out: [(key: String?, range: Range<Int>)] = []
        skipWS(b, &p)
        if p < b.count, b[p] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) { p += 1; return out }
        while true {
            skipWS(b, &p)
            var key: String? = nil
            if object {
                guard let k = stringRange(b, &p) else { return nil }
                key = decodeKey(b, k)
                skipWS(b, &p)
                guard p < b.count, b[p] == UInt8(ascii: ":") else { return nil }
                p += 1
                skipWS(b, &p)
            }
            let start = p
            guard skipValue(b, &p) else { return nil }
            out.append((key, start..<p))
            skipWS(b, &p)
            guard p < b.count else { return nil }
            let c = b[p]
            p += 1
            if c == UInt8(ascii: ",") { continue }
            if c == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) { return out }
            return nil
        }
    }

    private static func decodeKey(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        let raw = UnsafeBufferPointer(rebasing: b[r])
        if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw, as: UTF8.self) }
        let quoted = UnsafeBufferPointer(rebasing: b[(r.lowerBound - 1)..<(r.upperBound + 1)])
        return (try? JSONParser.parse(buffer: quoted))?.stringValue ?? String(decoding: raw, as: UTF8.self)
    }

    /// At an opening quote: moves past the closing quote.
    static func skipString(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) -> Bool { stringRange(b, &p) != nil }

    /// The keys of the object starting at `from` (not validated; stops at the first problem).
    static func topLevelKeys(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Set<String> {
        var keys = Set<String>()
        var p = from
        guard p < b.count, b[p] == UInt8(ascii: "{") else { return keys }
        p += 1
        while true {
            skipWS(b, &p)
            guard let k = stringRange(b, &p) else { return keys }
            keys.insert(decodeKey(b, k))
            skipWS(b, &p)
            guard p < b.count, b[p] == UInt8(ascii: ":") else { return keys }
            p += 1
            skipWS(b, &p)
            guard skipValue(b, &p) else { return keys }
            skipWS(b, &p)
            guard p < b.count, b[p] == UInt8(ascii: ",") else { return keys }
            p += 1
        }
    }

    @inline(__always) private static func skipWS(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) {
        while p < b.count {
            switch b[p] {
            case 0x20, 0x0A, 0x0D, 0x09: p += 1
            default: return
            }
        }
    }

    /// At an opening quote: returns the range of the string's contents and moves past the closing quote.
    static func stringRange(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) -> Range<Int>? {
        guard p < b.count, b[p] == UInt8(ascii: "\"") else { return nil }
        let start = p + 1
        var i = start
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") { i += 2; continue }
            if c == UInt8(ascii: "\"") { p = i + 1; return start..<i }
            i += 1
        }
        return nil
    }

    /// Moves past one value of any kind.
    static func skipValue(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) -> Bool {
        guard p < b.count else { return false }
        switch b[p] {
        case UInt8(ascii: "\""):
            return stringRange(b, &p) != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while p < b.count {
                let c = b[p]
                if c == UInt8(ascii: "\"") {
                    guard stringRange(b, &p) != nil else { return false }
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { p += 1; return true }
                }
                p += 1
            }
            return false
        default:
            // Number or literal: up to a delimiter.
            while p < b.count {
                switch b[p] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return true
                default: p += 1
                }
            }
            return true
        }
    }
}
