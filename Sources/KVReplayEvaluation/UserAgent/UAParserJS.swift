import Foundation
import KVReplayModel
import Synchronization

/// The user-agent parser of statsig-node 6.5.1: ua-parser-js 1.0.41 (`UAParser(ua).getResult()` as Node runs it,
/// with no `navigator`) on the rules of `UAParserJSRules`, and statsig-node's `parseUserAgent` /
/// `getFromUserAgent` on top of it (`statsigNodeFields`).
///
/// The rules are read once and compiled on first use; results are cached by user-agent string (bounded).
/// Strings are handled as UTF-16, as JavaScript does (lengths, the 500-unit cut, substring search).
public enum UAParserJS {
    /// The parts of ua-parser-js's result that statsig-node reads (nil where ua-parser-js gives `undefined`).
    public struct Result: Sendable, Equatable {
        public var browserName: String?
        public var browserVersion: String?
        public var osName: String?
        public var osVersion: String?
        public var deviceType: String?
        public var deviceVendor: String?
        public var deviceModel: String?
    }

    /// The four `ua_based` fields exactly as statsig-node 6.5.1 compares them (nil where it gets `null`/`undefined`).
    public struct NodeUAFields: Sendable, Equatable {
        public var osName: String?
        public var osVersion: String?
        public var browserName: String?
        public var browserVersion: String?

        public static let none = NodeUAFields(osName: nil, osVersion: nil, browserName: nil, browserVersion: nil)

        public init(osName: String?, osVersion: String?, browserName: String?, browserVersion: String?) {
            self.osName = osName
            self.osVersion = osVersion
            self.browserName = browserName
            self.browserVersion = browserVersion
        }

        /// `getFromUserAgent`'s `switch (field.toLowerCase())`: nil for any other field.
        public func value(forField field: String) -> String? {
            switch field.lowercased() {
            case "os_name", "osname": osName
            case "os_version", "osversion": osVersion
            case "browser_name", "browsername": browserName
            case "browser_version", "browserversion": browserVersion
            default: nil
            }
        }
    }

    public static var version: String { UAParserJSRules.version }
    public static var sourceCommit: String { UAParserJSRules.sourceCommit }

    /// Swift's `String` equality is canonical equivalence ("\u{212A}" == "K"), JavaScript's is code-unit equality,
    /// and such agents parse differently: ASCII agents (where the two agree) are keyed by `String`, others by their
    /// UTF-16 units.
    private struct Cache {
        var ascii: [String: NodeUAFields] = [:]
        var other: [[UInt16]: NodeUAFields] = [:]
        var count: Int { ascii.count + other.count }
    }
    private static let cache = Mutex(Cache())
    private static let cacheLimit = 20_000

    /// statsig-node's `getFromUserAgent` for a string `userAgent`, all four fields at once: `NodeUAFields.none` when
    /// the agent is longer than 1,000 UTF-16 units; otherwise `parseUserAgent(ua)` (ua-parser-js, then "Mac OS" →
    /// "Mac OS X", and " Mobile" appended to "Chrome"/"Firefox" on a mobile or tablet device).
    /// (A non-string `userAgent` gives `null` in statsig-node before any parsing: the caller's case.)
    public static func statsigNodeFields(_ ua: String) -> NodeUAFields {
        if ua.utf16.count > 1000 { return .none }
        let isASCII = ua.utf8.allSatisfy { $0 < 0x80 }
        let key = isASCII ? [] : Array(ua.utf16)
        if let hit = cache.withLock({ isASCII ? $0.ascii[ua] : $0.other[key] }) { return hit }
        let r = parse(ua)
        var osName = r.osName
        if osName == "Mac OS" { osName = "Mac OS X" }
        var browserName = r.browserName
        if (browserName == "Chrome" || browserName == "Firefox") && (r.deviceType == "mobile" || r.deviceType == "tablet") {
            browserName! += " Mobile"
        }
        let f = NodeUAFields(osName: osName, osVersion: r.osVersion, browserName: browserName, browserVersion: r.browserVersion)
        cache.withLock { c in
            if c.count >= cacheLimit { c = Cache() }
            if isASCII { c.ascii[ua] = f } else { c.other[key] = f }
        }
        return f
    }

    /// ua-parser-js 1.0.41's `UAParser(ua).getResult()` (browser, os, device) in Node (no `navigator`).
    public static func parse(_ ua: String) -> Result {
        // setUA: an agent over 500 UTF-16 units loses its leading whitespace and is cut to 500 units.
        var units = Array(ua.utf16)
        if units.count > 500 {
            let start = units.firstIndex { !isJSWhitespace($0) } ?? units.count
            units = Array(units[start..<min(units.count, start + 500)])
        }
        // (a lone surrogate left by the cut becomes U+FFFD, one UTF-16 unit as well)
        let subject = String(decoding: units, as: UTF16.self)
        let r = rules
        let browser = r.browser.map(subject)
        let os = r.os.map(subject)
        let device = r.device.map(subject)
        return Result(browserName: browser["name"] ?? nil, browserVersion: browser["version"] ?? nil,
                      osName: os["name"] ?? nil, osVersion: os["version"] ?? nil,
                      deviceType: device["type"] ?? nil, deviceVendor: device["vendor"] ?? nil,
                      deviceModel: device["model"] ?? nil)
    }

    /// Patterns ICU could not compile (none with the bundled rules; for tests).
    public static var uncompiledPatterns: [String] { rules.failures }

    // MARK: - rules

    enum Function: String { case lowerize, trim }

    enum Transform {
        /// `this[q] = match ? match : undefined`
        case match
        /// `[prop, "value"]`
        case constant(String)
        /// `[prop, fn]`: `fn(match)`
        case function(Function)
        /// `[prop, strMapper, map]`
        case strMapper([(key: String, values: [String])])
        /// `[prop, regex, replacement(, fn)]`: `match ? (fn)(match.replace(regex, replacement)) : undefined`
        case replace(NSRegularExpression?, global: Bool, with: String, then: Function?)
    }

    struct Prop {
        let name: String
        let transform: Transform
    }

    struct Rule {
        let regexes: [NSRegularExpression?]
        let props: [Prop]
    }

    struct Section {
        let rules: [Rule]

        /// `rgxMapper`: the first regex (in order) that matches sets the props from its groups; the others are not
        /// tried. A prop that reads no group still takes the next group index (`matches[++k]`).
        func map(_ subject: String) -> [String: String?] {
            var out: [String: String?] = [:]
            let ua = subject as NSString
            let whole = NSRange(location: 0, length: ua.length)
            for rule in rules {
                for regex in rule.regexes {
                    guard let regex, let m = regex.firstMatch(in: subject, options: [], range: whole) else { continue }
                    for (k, prop) in rule.props.enumerated() {
                        let g = k + 1
                        var match: String? = nil
                        if g < m.numberOfRanges {
                            let range = m.range(at: g)
                            if range.location != NSNotFound { match = ua.substring(with: range) }
                        }
                        out[prop.name] = UAParserJS.apply(prop.transform, to: match)
                    }
                    return out
                }
            }
            return out
        }
    }

    struct Rules: @unchecked Sendable {
        let browser: Section
        let os: Section
        let device: Section
        let failures: [String]
    }

    static let rules: Rules = {
        guard let json = try? JSONParser.parse(Array(UAParserJSRules.json.utf8)) else { fatalError("UAParserJSRules.json is not JSON") }
        var failures: [String] = []
        func compile(_ p: String) -> NSRegularExpression? {
            let r = try? NSRegularExpression(pattern: p, options: [])
            if r == nil { failures.append(p) }
            return r
        }
        func section(_ name: String) -> Section {
            let rules = (json[name]?.arrayValue ?? []).map { rule -> Rule in
                let regexes = (rule["regexes"]?.arrayValue ?? []).map { compile($0["icu"]?.stringValue ?? "") }
                let props = (rule["props"]?.arrayValue ?? []).map { p -> Prop in
                    let name = p["p"]?.stringValue ?? ""
                    let fn = p["fn"]?.stringValue.flatMap(Function.init(rawValue:))
                    if let v = p["value"]?.stringValue { return Prop(name: name, transform: .constant(v)) }
                    if let pattern = p["replace"]?.stringValue {
                        return Prop(name: name, transform: .replace(compile(pattern), global: p["global"] == .bool(true),
                                                                    with: p["with"]?.stringValue ?? "", then: fn))
                    }
                    if let map = p["map"]?.arrayValue {
                        let entries = map.map { e -> (key: String, values: [String]) in
                            let a = e.arrayValue ?? []
                            let key = a.first?.stringValue ?? ""
                            let values = (a.count > 1 ? a[1].arrayValue ?? [] : []).compactMap(\.stringValue)
                            return (key, values)
                        }
                        return Prop(name: name, transform: .strMapper(entries))
                    }
                    if let fn { return Prop(name: name, transform: .function(fn)) }
                    return Prop(name: name, transform: .match)
                }
                return Rule(regexes: regexes, props: props)
            }
            return Section(rules: rules)
        }
        return Rules(browser: section("browser"), os: section("os"), device: section("device"), failures: failures)
    }()

    // MARK: - JavaScript helpers

    static func apply(_ t: Transform, to match: String?) -> String? {
        // JavaScript's `match ? … : undefined`: an empty string is falsy.
        let present = match.flatMap { $0.isEmpty ? nil : $0 }
        switch t {
        case .match:
            return present
        case .constant(let v):
            return v
        case .function(let f):
            return call(f, match)
        case .strMapper(let map):
            return present.flatMap { strMapper($0, map) }
        case .replace(let regex, let global, let replacement, let then):
            guard let s = present, let regex else { return nil }
            let replaced = jsReplace(s, regex, global: global, with: replacement)
            return then.map { call($0, replaced) } ?? replaced
        }
    }

    static func call(_ f: Function, _ s: String?) -> String? {
        guard let s else { return nil }
        switch f {
        case .lowerize:
            return s.lowercased()
        case .trim:
            // `str.replace(/^\s\s*/, '')`
            let u = Array(s.utf16)
            let start = u.firstIndex { !isJSWhitespace($0) } ?? u.count
            return String(decoding: u[start...], as: UTF16.self)
        }
    }

    /// `strMapper(str, map)`: the first key (in `for…in` order) one of whose values occurs in `str`, ignoring case
    /// (`"?"` → undefined); else `map['*']` if there is one, else `str`.
    static func strMapper(_ str: String, _ map: [(key: String, values: [String])]) -> String? {
        let hay = Array(str.lowercased().utf16)
        for (key, values) in map {
            for v in values where contains(hay, Array(v.lowercased().utf16)) {
                return key == "?" ? nil : key
            }
        }
        if let star = map.first(where: { $0.key == "*" }) { return star.values.first }
        return str
    }

    static func contains(_ hay: [UInt16], _ needle: [UInt16]) -> Bool {
        if needle.isEmpty { return true }
        if needle.count > hay.count { return false }
        outer: for i in 0...(hay.count - needle.count) {
            for j in 0..<needle.count where hay[i + j] != needle[j] { continue outer }
            return true
        }
        return false
    }

    /// `String.prototype.replace(regex, replacement)`: the first match, or every match for a global regex, replaced
    /// by `replacement` with `$1`…`$99`, `$&` and `$$` expanded.
    static func jsReplace(_ s: String, _ regex: NSRegularExpression, global: Bool, with replacement: String) -> String {
        let ns = s as NSString
        let whole = NSRange(location: 0, length: ns.length)
        let found = global ? regex.matches(in: s, options: [], range: whole)
            : regex.firstMatch(in: s, options: [], range: whole).map { [$0] } ?? []
        if found.isEmpty { return s }
        var out = ""
        var last = 0
        for m in found {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            out += expand(replacement, m, ns)
            last = m.range.location + m.range.length
        }
        out += ns.substring(from: last)
        return out
    }

    private static func expand(_ template: String, _ m: NSTextCheckingResult, _ ns: NSString) -> String {
        let t = Array(template.utf16)
        var out: [UInt16] = []
        var i = 0
        func group(_ n: Int) -> [UInt16] {
            guard n < m.numberOfRanges else { return [] }
            let r = m.range(at: n)
            return r.location == NSNotFound ? [] : Array(ns.substring(with: r).utf16)
        }
        let groups = m.numberOfRanges - 1
        while i < t.count {
            if t[i] == 0x24, i + 1 < t.count {   // "$"
                let c = t[i + 1]
                if c == 0x24 { out.append(0x24); i += 2; continue }
                if c == 0x26 { out += group(0); i += 2; continue }   // "$&"
                if (0x30...0x39).contains(c) {
                    let d1 = Int(c - 0x30)
                    if i + 2 < t.count, (0x30...0x39).contains(t[i + 2]), d1 * 10 + Int(t[i + 2] - 0x30) <= groups,
                       d1 * 10 + Int(t[i + 2] - 0x30) > 0 {
                        out += group(d1 * 10 + Int(t[i + 2] - 0x30)); i += 3; continue
                    }
                    if d1 > 0 && d1 <= groups { out += group(d1); i += 2; continue }
                }
            }
            out.append(t[i])
            i += 1
        }
        return String(decoding: out, as: UTF16.self)
    }

    /// JavaScript's `\s` (WhiteSpace and LineTerminator).
    static func isJSWhitespace(_ u: UInt16) -> Bool {
        switch u {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }
}
