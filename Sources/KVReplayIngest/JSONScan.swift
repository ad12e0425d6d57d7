import Foundation
import KVReplayModel

/// Finds where values sit in a JSON text without building them, so a spec's size can be its exact byte length
/// in the payload. Assumes the text is valid JSON (it has been parsed already); returns nil when it is not.
enum JSONScan {
    /// Byte lengths of the elements of the top-level object's member `key`: for an array, one length per
    /// element in order (keys nil); for an object, one per member with its key.
    static func elementLengths(_ bytes: [UInt8], member key: String) -> [(key: String?, length: Int)]? {
        bytes.withUnsafeBufferPointer { b -> [(key: String?, length: Int)]? in
            var p = 0
            skipWS(b, &p)
            guard p < b.count, b[p] == UInt8(ascii: "{") else { return nil }
            p += 1
            let wanted = Array(key.utf8)
            while true {
                skipWS(b, &p)
                guard p < b.count else { return nil }
                if b[p] == UInt8(ascii: "}") { return nil }
                guard let k = stringRange(b, &p) else { return nil }
                skipWS(b, &p)
                guard p < b.count, b[p] == UInt8(ascii: ":") else { return nil }
                p += 1
                skipWS(b, &p)
                let isWanted = k.count == wanted.count && wanted.withUnsafeBufferPointer { w in
                    memcmp(b.baseAddress! + k.lowerBound, w.baseAddress!, k.count) == 0
                }
                if isWanted {
                    // Later duplicates of the key win in the parsed value; keep scanning.
                    var lengths: [(key: String?, length: Int)] = []
                    guard p < b.count else { return nil }
                    if b[p] == UInt8(ascii: "[") {
                        guard let l = elements(b, &p, object: false) else { return nil }
                        lengths = l
                    } else if b[p] == UInt8(ascii: "{") {
                        guard let l = elements(b, &p, object: true) else { return nil }
                        lengths = l
                    } else {
                        guard skipValue(b, &p) else { return nil }
                    }
                    var rest = p
                    if let later = laterDuplicate(b, &rest, key: wanted) { return later }
                    return lengths
                }
                guard skipValue(b, &p) else { return nil }
                skipWS(b, &p)
                guard p < b.count else { return nil }
                if b[p] == UInt8(ascii: ",") { p += 1; continue }
                return nil
            }
        }
    }

    /// Continues a top-level object scan after a value, looking for another member with the same key.
    private static func laterDuplicate(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, key: [UInt8]) -> [(key: String?, length: Int)]? {
        var found: [(key: String?, length: Int)]? = nil
        while true {
            skipWS(b, &p)
            guard p < b.count, b[p] == UInt8(ascii: ",") else { return found }
            p += 1
            skipWS(b, &p)
            guard let k = stringRange(b, &p) else { return found }
            skipWS(b, &p)
            guard p < b.count, b[p] == UInt8(ascii: ":") else { return found }
            p += 1
            skipWS(b, &p)
            let same = k.count == key.count && key.withUnsafeBufferPointer { w in memcmp(b.baseAddress! + k.lowerBound, w.baseAddress!, k.count) == 0 }
            if same, p < b.count, b[p] == UInt8(ascii: "[") || b[p] == UInt8(ascii: "{") {
                found = elements(b, &p, object: b[p] == UInt8(ascii: "{"))
                if found == nil { return nil }
            } else {
                guard skipValue(b, &p) else { return found }
            }
        }
    }

    private static func elements(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, object: Bool) -> [(key: String?, length: Int)]? {
        p += 1
        var out: [(key: String?, length: Int)] = []
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
            out.append((key, p - start))
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
