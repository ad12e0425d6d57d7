// Swift port of statsig-rust's *first-party* user-agent parser
// (statsig-server-core 0.20.2, `statsig-rust/src/evaluation/user_agent_parsing/`):
//   - first_party_ua_parser.rs  -> `ParsedUserAgent.value(forField:)` (field names, "0.0.0" fallback)
//   - ua_parser.rs              -> `FirstPartyUserAgentParser.parseForCondition(_:)` (1000-byte cap)
//   - statsig_uaparser/*        -> UserAgentTokenizer.swift (tokenizer, window iterator, OS/browser rules)
//
// How a `ua_based` condition gets its value in the Rust core (evaluator.rs, ua_parser.rs,
// first_party_ua_parser.rs, user/statsig_user_internal.rs), checked against statsig-python-core 0.24.2:
//
// 1. `ctx.user.get_user_value(condition.field)` is tried FIRST, exactly like a `user_field` condition: the
//    field (e.g. "os_name") is looked up on the user (known top-level fields by lowercased name, then custom,
//    global custom fields, private attributes, by exact then lowercased name). If the user carries such a
//    value (e.g. `custom.os_name`), it is used as is and the user agent is not parsed at all. (Caller's job.)
// 2. Otherwise `UserAgentParser::get_value_from_user_agent`:
//    - no condition field (`field: null`) -> no value;
//    - the user agent is `get_user_value("userAgent")`: the top-level `userAgent` only if it is a NON-EMPTY
//      string (an empty top-level string counts as absent, like every top-level string field), else a
//      custom / global-custom / private-attribute field named "userAgent" or "useragent", which is used even
//      when it is "" (then parsed: "Other" / "0.0.0") and even when it is a number or bool (its DynamicValue
//      string form, e.g. "5", is parsed). Nothing found -> no value. (Caller's job.)
//    - if that string is longer than 1000 UTF-8 bytes (`user_agent.len() > 1000`) -> no value
//      (`FirstPartyUserAgentParser.parseForCondition(_:)` returns nil);
//    - (the third-party ua-parser is used only with `StatsigOptions.use_third_party_ua_parser = true`;
//      the default is the first-party parser ported here);
//    - the field is matched on its lowercased spelling (`DynamicString::lowercased_value`, Rust
//      `to_lowercase`): "os_name" | "osname", "os_version" | "osversion", "browser_name" | "browsername",
//      "browser_version" | "browserversion" (so "OS_NAME", "osName", "BrowserVersion" all work; "os-name",
//      "os name" or "os_name " do not). Any other field -> no value (logged as "Unsupported field");
//      `ParsedUserAgent.value(forField:)`.
//    - names are always a string ("Other" when nothing is recognised); versions are always a string, with
//      "0.0.0" when the parser found no version.

/// The four values the first-party parser derives from a user agent. For the first-party parser every
/// field is always non-nil; they are optional to match the shape of the core's `ParsedUserAgentValue`.
public struct ParsedUserAgent: Sendable, Equatable {
    public var osName: String?
    public var osVersion: String?
    public var browserName: String?
    public var browserVersion: String?

    public init(osName: String?, osVersion: String?, browserName: String?, browserVersion: String?) {
        self.osName = osName
        self.osVersion = osVersion
        self.browserName = browserName
        self.browserVersion = browserVersion
    }
}

extension ParsedUserAgent {
    /// The value a `ua_based` condition with this `field` reads, as the Rust core resolves it (nil = no value).
    ///
    /// Mirrors `FirstPartyUserAgentParser::get_value_from_user_agent(field_lowered, ua)`:
    /// - the field is compared after lowercasing (the core uses the condition field's `lowercased_value`;
    ///   ASCII lowercasing is equivalent here, no non-ASCII character lowercases into these names);
    /// - `os_name` / `osname` -> `osName`, `os_version` / `osversion` -> `osVersion`,
    ///   `browser_name` / `browsername` -> `browserName`, `browser_version` / `browserversion` -> `browserVersion`;
    /// - anything else -> nil (the core logs "Unsupported field" and the condition sees no value).
    ///
    /// Before this lookup the core (a) first tries the condition field as an ordinary user field (a user
    /// value named e.g. "os_name" wins over parsing), (b) has no value when the user has no user agent (an
    /// empty top-level `userAgent` counts as absent; an empty custom/private `userAgent` does not) and
    /// (c) has no value when the user agent is longer than 1000 UTF-8 bytes: see
    /// `FirstPartyUserAgentParser.parseForCondition(_:)`. Versions the parser could not find read as "0.0.0",
    /// names as "Other".
    public func value(forField field: String) -> String? {
        switch UAField(field) {
        case .osName: return osName
        case .osVersion: return osVersion
        case .browserName: return browserName
        case .browserVersion: return browserVersion
        case nil: return nil
        }
    }
}

/// The condition fields understood by the first-party parser.
private enum UAField {
    case osName, osVersion, browserName, browserVersion

    init?(_ field: String) {
        let utf8 = field.utf8
        switch utf8.count {
        case 6: if Self.matches(utf8, "osname") { self = .osName; return }
        case 7: if Self.matches(utf8, "os_name") { self = .osName; return }
        case 9: if Self.matches(utf8, "osversion") { self = .osVersion; return }
        case 10: if Self.matches(utf8, "os_version") { self = .osVersion; return }
        case 11: if Self.matches(utf8, "browsername") { self = .browserName; return }
        case 12: if Self.matches(utf8, "browser_name") { self = .browserName; return }
        case 14: if Self.matches(utf8, "browserversion") { self = .browserVersion; return }
        case 15: if Self.matches(utf8, "browser_version") { self = .browserVersion; return }
        default: break
        }
        return nil
    }

    /// ASCII case-insensitive equality with a lowercase literal of the same length.
    private static func matches(_ utf8: String.UTF8View, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { lit in
            var i = 0
            for b in utf8 {
                let lowered = b &- 0x41 < 26 ? b | 0x20 : b
                if i >= lit.count || lowered != lit[i] { return false }
                i += 1
            }
            return i == lit.count
        }
    }
}

public enum FirstPartyUserAgentParser {
    /// The core returns no value for user agents longer than this many UTF-8 bytes (`user_agent.len() > 1000`).
    public static let maxUserAgentUTF8Length = 1000

    /// Parses like statsig-rust's first-party parser; the result fields are what a `ua_based` condition reads
    /// for os_name/os_version/browser_name/browser_version (version strings formatted exactly as the core does).
    ///
    /// No length cap is applied here (that is `parseForCondition(_:)`); this is what the core's
    /// `__get_parsed_user_agent_value` / the upstream `ua_string_cases.json` test computes.
    public static func parse(_ userAgent: String) -> ParsedUserAgent {
        if let parsed = userAgent.utf8.withContiguousStorageIfAvailable({ parseBytes($0) }) {
            return parsed
        }
        var copy = userAgent
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable { parseBytes($0) }!
    }

    /// The parse a `ua_based` condition gets, or nil when the core would not parse this user agent: more than
    /// 1000 UTF-8 bytes (`user_agent.len() > 1000` in ua_parser.rs). That is the only rule between the user
    /// lookup and the parser. There is deliberately NO empty-string rule here: the core skips an empty
    /// top-level `userAgent` during the user-field lookup (`get_user_value`), but a custom / private-attribute
    /// `userAgent` of "" is found and parsed ("Other" / "0.0.0"), so the caller must apply the
    /// empty-top-level-field rule when it resolves the user agent string.
    public static func parseForCondition(_ userAgent: String) -> ParsedUserAgent? {
        if userAgent.utf8.count > maxUserAgentUTF8Length { return nil }
        return parse(userAgent)
    }

    private static func parseBytes(_ buffer: UnsafeBufferPointer<UInt8>) -> ParsedUserAgent {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            // "".split([';', ' ']) yields one empty word, which is skipped: no tokens, no hints.
            return ParsedUserAgent(osName: "Other", osVersion: "0.0.0", browserName: "Other", browserVersion: "0.0.0")
        }
        // The core tokenizes separately for os and browser; the tokenizer is deterministic, so once is enough.
        let tokens = UATokenizer.run(UAStr(base: base, count: buffer.count))
        let os = UAParser.parseOS(tokens)
        let browser = UAParser.parseBrowser(tokens)
        return ParsedUserAgent(
            osName: os.name.string,
            osVersion: os.version.versionString,
            browserName: browser.name.string,
            browserVersion: browser.version.versionString)
    }
}
