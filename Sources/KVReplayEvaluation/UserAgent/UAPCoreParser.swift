import KVReplayModel
import Synchronization

/// The user-agent parser of the legacy Python SDK: `ua_parser.user_agent_parser.Parse` (ua-parser 1.0.2) with the
/// uap-core rules of ua-parser-builtins 202610 (`UAPCoreRegexes`), and what statsig 0.72.1's evaluator derives from
/// its result for the `ua_based` fields (`os_name`, `os_version`, `browser_name`, `browser_version`).
///
/// The rules are read once and compiled on first use; results are cached by user-agent string (bounded), so a
/// population that shares agents parses each agent once.
public enum UAPCoreParser {
    /// What `Parse` returns for the two families statsig reads.
    public struct Parsed: Sendable, Equatable {
        public var browserFamily: String
        public var browserMajor: String?
        public var browserMinor: String?
        public var browserPatch: String?
        public var osFamily: String
        public var osMajor: String?
        public var osMinor: String?
        public var osPatch: String?
        public var osPatchMinor: String?
    }

    /// The four `ua_based` fields as statsig derives them (nil where it returns `None`).
    public struct Fields: Sendable, Equatable {
        public var osName: String?
        public var osVersion: String?
        public var browserName: String?
        public var browserVersion: String?

        public static let none = Fields(osName: nil, osVersion: nil, browserName: nil, browserVersion: nil)

        /// The value for a `ua_based` field name (already lower-cased), as `__get_from_user_agent` picks it.
        func value(forLowercasedField f: String) -> String? {
            switch f {
            case "osname", "os_name": osName
            case "os_version", "osversion": osVersion
            case "browser_name", "browsername": browserName
            case "browser_version", "browserversion": browserVersion
            default: nil
            }
        }
    }

    struct UARule {
        let regex: PythonRegex?
        let family: String?
        let v1: String?
        let v2: String?
    }

    struct OSRule {
        let regex: PythonRegex?
        let os: String?
        let v1: String?
        let v2: String?
        let v3: String?
        let v4: String?
    }

    struct Rules: @unchecked Sendable {
        let userAgent: [UARule]
        let os: [OSRule]
        /// Patterns ICU could not compile (none with the bundled rules).
        let failures: [String]
    }

    static let rules: Rules = {
        guard let json = try? JSONParser.parse(Array(UAPCoreRegexes.json.utf8)) else { fatalError("UAPCoreRegexes.json is not JSON") }
        var failures: [String] = []
        func compile(_ p: String) -> PythonRegex? {
            let r = PythonRegex(p)
            if r == nil { failures.append(p) }
            return r
        }
        let ua = (json["user_agent_parsers"]?.arrayValue ?? []).map { r in
            UARule(regex: compile(r["regex"]?.stringValue ?? ""), family: r["family"]?.stringValue,
                   v1: r["v1"]?.stringValue, v2: r["v2"]?.stringValue)
        }
        let os = (json["os_parsers"]?.arrayValue ?? []).map { r in
            OSRule(regex: compile(r["regex"]?.stringValue ?? ""), os: r["os"]?.stringValue, v1: r["v1"]?.stringValue,
                   v2: r["v2"]?.stringValue, v3: r["v3"]?.stringValue, v4: r["v4"]?.stringValue)
        }
        return Rules(userAgent: ua, os: os, failures: failures)
    }()

    /// Rules whose pattern could not be compiled (for tests).
    public static var uncompiledRules: [String] { rules.failures }

    private static let cache = Mutex<[String: Fields]>([:])
    private static let cacheLimit = 20_000

    /// statsig's `__get_from_user_agent` for a string agent: all four fields at once. `Fields.none` when the
    /// parser raised.
    public static func fields(_ ua: String) -> Fields {
        if let hit = cache.withLock({ $0[ua] }) { return hit }
        let f = parse(ua).map { derive($0, ua: ua) } ?? .none
        cache.withLock { c in
            if c.count >= cacheLimit { c.removeAll(keepingCapacity: true) }
            c[ua] = f
        }
        return f
    }

    private static let iPadOS = PythonRegex(#"\biPadOS (\d+)(?:\.(\d+))?(?:\.(\d+))?"#)!

    /// statsig 0.72.1: names as parsed; versions `major.minor.patch` with `int()` parts (missing → 0) or `None` when a
    /// part is not an integer; an OS without a major version takes it from `iPadOS x.y.z` in the agent.
    static func derive(_ p: Parsed, ua: String) -> Fields {
        var osMajor = p.osMajor, osMinor = p.osMinor, osPatch = p.osPatch
        if osMajor == nil, let m = iPadOS.search(ua) {
            osMajor = m[1]
            osMinor = m[2]
            osPatch = m[3]
        }
        return Fields(osName: p.osFamily, osVersion: versionString(osMajor, osMinor, osPatch), browserName: p.browserFamily,
                      browserVersion: versionString(p.browserMajor, p.browserMinor, p.browserPatch))
    }

    private static func versionString(_ major: String?, _ minor: String?, _ patch: String?) -> String? {
        func part(_ s: String?) -> String? {
            guard let s else { return "0" }
            return Python.int(s)?.description
        }
        guard let a = part(major), let b = part(minor), let c = part(patch) else { return nil }
        return "\(a).\(b).\(c)"
    }

    /// `user_agent_parser.Parse(ua)` for the user-agent and OS families; nil when it raises.
    public static func parse(_ ua: String) -> Parsed? {
        let r = rules
        var family: String? = nil, v1: String? = nil, v2: String? = nil, v3: String? = nil
        for rule in r.userAgent {
            family = nil; v1 = nil; v2 = nil; v3 = nil
            guard let m = rule.regex?.search(ua) else { continue }
            let last = m.lastIndex ?? 0
            if let f = rule.family, !f.isEmpty {
                if f.contains("$1") {
                    guard let g = m[1], let expanded = expandTemplate(g, into: f) else { return nil }
                    family = expanded
                } else {
                    family = f
                }
            } else {
                family = m[1]
            }
            if let r1 = rule.v1, !r1.isEmpty { v1 = r1 } else if last >= 2 { v1 = nonEmpty(m[2]) }
            if let r2 = rule.v2, !r2.isEmpty { v2 = r2 } else if last >= 3 { v2 = nonEmpty(m[3]) }
            if last >= 4 { v3 = nonEmpty(m[4]) }
            if let f = family, !f.isEmpty { break }
        }
        let browserFamily = (family?.isEmpty ?? true) ? "Other" : family!
        let browser = (browserFamily, nonEmpty(v1), nonEmpty(v2), nonEmpty(v3))

        var os: String? = nil, o1: String? = nil, o2: String? = nil, o3: String? = nil, o4: String? = nil
        for rule in r.os {
            os = nil; o1 = nil; o2 = nil; o3 = nil; o4 = nil
            guard let m = rule.regex?.search(ua) else { continue }
            let last = m.lastIndex ?? 0
            if let x = rule.os, !x.isEmpty { os = multiReplace(x, m) } else if last > 0 { os = m[1] }
            if let x = rule.v1, !x.isEmpty { o1 = multiReplace(x, m) } else if last >= 2 { o1 = m[2] }
            if let x = rule.v2, !x.isEmpty { o2 = multiReplace(x, m) } else if last >= 3 { o2 = m[3] }
            if let x = rule.v3, !x.isEmpty { o3 = multiReplace(x, m) } else if last >= 4 { o3 = m[4] }
            if let x = rule.v4, !x.isEmpty { o4 = multiReplace(x, m) } else if last >= 5 { o4 = m[5] }
            if let o = os, !o.isEmpty { break }
        }
        let osFamily = (os?.isEmpty ?? true) ? "Other" : os!
        return Parsed(browserFamily: browser.0, browserMajor: browser.1, browserMinor: browser.2, browserPatch: browser.3,
                      osFamily: osFamily, osMajor: o1, osMinor: o2, osPatch: o3, osPatchMinor: o4)
    }

    private static func nonEmpty(_ s: String?) -> String? { s?.isEmpty == false ? s : nil }

    /// `MultiReplace`: `$1`…`$9` replaced by the groups (a missing group by ""), then `str.strip()`; "" → nil.
    static func multiReplace(_ template: String, _ m: PythonRegex.Match) -> String? {
        var out = String.UnicodeScalarView()
        let t = Array(template.unicodeScalars)
        let groups = Array(m.groups.dropFirst())
        var i = 0
        while i < t.count {
            if t[i] == "$", i + 1 < t.count, let d = Python.decimalValue(t[i + 1]), t[i + 1].value < 0x80 {
                // `$0` reads groups()[-1], the last group.
                let index = Int(d) - 1
                let g: String? = index < 0 ? groups.last ?? nil : (index < groups.count ? groups[index] : "")
                out.append(contentsOf: (g ?? "").unicodeScalars)
                i += 2
                continue
            }
            out.append(t[i])
            i += 1
        }
        let s = pythonStrip(String(out))
        return s.isEmpty ? nil : s
    }

    /// `str.strip()`: Python whitespace at both ends.
    static func pythonStrip(_ s: String) -> String {
        var u = Substring(s).unicodeScalars
        while let f = u.first, Python.isSpace(f) { u.removeFirst() }
        while let l = u.last, Python.isSpace(l) { u.removeLast() }
        return String(u)
    }

    /// `re.sub(r"\$1", group, template)`: every `$1` becomes `group` read as a replacement template (backslash
    /// escapes processed); nil where Python raises (`bad escape`, `invalid group reference`).
    static func expandTemplate(_ group: String, into template: String) -> String? {
        var replacement = String.UnicodeScalarView()
        if group.unicodeScalars.contains("\\") {
            let g = Array(group.unicodeScalars)
            var i = 0
            while i < g.count {
                guard g[i] == "\\" else { replacement.append(g[i]); i += 1; continue }
                guard i + 1 < g.count else { return nil }
                let e = g[i + 1]
                switch e {
                case "\\": replacement.append("\\"); i += 2
                case "n": replacement.append("\n"); i += 2
                case "t": replacement.append("\t"); i += 2
                case "r": replacement.append("\r"); i += 2
                case "f": replacement.append("\u{0C}"); i += 2
                case "v": replacement.append("\u{0B}"); i += 2
                case "a": replacement.append("\u{07}"); i += 2
                case "b": replacement.append("\u{08}"); i += 2
                case "g":
                    // Only group 0 exists: `\g<0>` is the whole match, "$1".
                    guard i + 4 < g.count, g[i + 2] == "<", g[i + 3] == "0", g[i + 4] == ">" else { return nil }
                    replacement.append(contentsOf: "$1".unicodeScalars)
                    i += 5
                case "0":
                    var j = i + 1
                    var v: UInt32 = 0
                    while j < g.count, j - i <= 3, ("0"..."7").contains(g[j]) { v = v * 8 + g[j].value - 48; j += 1 }
                    replacement.append(Unicode.Scalar(v)!)
                    i = j
                case "1"..."9":
                    // A three-digit octal escape, else a group reference, and the pattern has no groups.
                    if i + 3 < g.count, ("0"..."7").contains(e), ("0"..."7").contains(g[i + 2]), ("0"..."7").contains(g[i + 3]) {
                        let v = (e.value - 48) * 64 + (g[i + 2].value - 48) * 8 + (g[i + 3].value - 48)
                        guard v <= 0o377 else { return nil }
                        replacement.append(Unicode.Scalar(v)!)
                        i += 4
                    } else {
                        return nil
                    }
                default:
                    if e.value < 0x80 && e.properties.isAlphabetic { return nil }
                    replacement.append("\\")
                    replacement.append(e)
                    i += 2
                }
            }
        } else {
            replacement = group.unicodeScalars
        }
        var out = String.UnicodeScalarView()
        let t = Array(template.unicodeScalars)
        var i = 0
        while i < t.count {
            if t[i] == "$", i + 1 < t.count, t[i + 1] == "1" {
                out.append(contentsOf: replacement)
                i += 2
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return String(out)
    }
}
