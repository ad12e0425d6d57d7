// Port of statsig-rust `evaluation/user_agent_parsing/statsig_uaparser/{window_iter,tokenizer,ua_parser}.rs`
// (statsig-server-core 0.20.2). Works on the UTF-8 bytes of the user agent; every split / trim / comparison the
// Rust code does is on ASCII characters, so byte-wise processing is exactly equivalent to Rust's `&str` handling
// (all slice boundaries fall on ASCII bytes and therefore on UTF-8 character boundaries).
//
// The Rust code borrows `&str` slices of the input and `&'static str` literals; here `UAStr` plays that role:
// a non-owning (pointer, count) view into either the input buffer (valid only inside
// `FirstPartyUserAgentParser.parseBytes`) or a `StaticString` literal (static lifetime). Nothing escapes:
// the results are copied into `String`s before returning.

/// Non-owning UTF-8 byte view (the equivalent of a Rust `&str`).
struct UAStr {
    let base: UnsafePointer<UInt8>
    let count: Int

    @inline(__always)
    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// A literal. Multi-character string literals always have a pointer representation.
    @inline(__always)
    init(_ literal: StaticString) {
        assert(literal.hasPointerRepresentation)
        self.base = literal.utf8Start
        self.count = literal.utf8CodeUnitCount
    }

    @inline(__always)
    subscript(i: Int) -> UInt8 { base[i] }

    @inline(__always)
    func slice(_ lo: Int, _ hi: Int) -> UAStr { UAStr(base: base + lo, count: hi - lo) }

    @inline(__always)
    func eq(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lit in
            guard lit.count == count else { return false }
            var i = 0
            while i < count {
                if base[i] != lit[i] { return false }
                i += 1
            }
            return true
        }
    }

    @inline(__always)
    func eq(_ other: UAStr) -> Bool {
        guard other.count == count else { return false }
        var i = 0
        while i < count {
            if base[i] != other.base[i] { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    func hasPrefix(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lit in
            guard lit.count <= count else { return false }
            var i = 0
            while i < lit.count {
                if base[i] != lit[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// Index of the first occurrence of `literal` at or after `from` (Rust `str::find` on `self[from..]`).
    @inline(__always)
    func firstIndex(of literal: StaticString, from: Int = 0) -> Int? {
        literal.withUTF8Buffer { lit -> Int? in
            let n = lit.count
            if n == 0 { return from <= count ? from : nil }
            if n > count { return nil }
            let first = lit[0]
            var i = from
            let last = count - n
            while i <= last {
                if base[i] == first {
                    var j = 1
                    while j < n && base[i + j] == lit[j] { j += 1 }
                    if j == n { return i }
                }
                i += 1
            }
            return nil
        }
    }

    @inline(__always)
    func contains(_ literal: StaticString) -> Bool { firstIndex(of: literal) != nil }

    @inline(__always)
    var startsWithASCIIDigit: Bool { count > 0 && base[0] &- 0x30 < 10 }

    var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }
}

@inline(__always)
private func eq(_ s: UAStr?, _ literal: StaticString) -> Bool {
    guard let s else { return false }
    return s.eq(literal)
}

// MARK: - window_iter.rs

/// `WindowIter`: `input.split([';', ' '])` viewed through a sliding window of (up to) 4 words.
/// Empty words (between consecutive separators) are yielded like Rust's `split` does.
struct UAWindowIter {
    private let input: UAStr
    private var pos = 0          // start of the next word to pull from the split iterator
    private var finished = false // the split iterator is exhausted
    private var w0: UAStr?, w1: UAStr?, w2: UAStr?, w3: UAStr?

    init(_ input: UAStr) {
        self.input = input
        w0 = nextWord()
        w1 = nextWord()
        w2 = nextWord()
        w3 = nextWord()
    }

    @inline(__always)
    private mutating func nextWord() -> UAStr? {
        if finished { return nil }
        let start = pos
        var i = start
        let n = input.count
        while i < n {
            let b = input[i]
            if b == 0x3B /* ; */ || b == 0x20 /* space */ {
                pos = i + 1
                return input.slice(start, i)
            }
            i += 1
        }
        finished = true
        return input.slice(start, n)
    }

    @inline(__always)
    var isEmpty: Bool { w0 == nil }

    @inline(__always)
    var window: (UAStr?, UAStr?, UAStr?, UAStr?) { (w0, w1, w2, w3) }

    /// VecDeque pop_front + push_back(next word if any), `n` times.
    @inline(__always)
    mutating func slide(by n: Int) {
        var k = 0
        while k < n {
            w0 = w1
            w1 = w2
            w2 = w3
            w3 = nil
            // The deque only ever holds a prefix of consecutive words, so "push_back" lands in the first empty
            // slot; since words are pulled in order, that is slot 3 unless the deque had already shrunk.
            if let word = nextWord() {
                if w0 == nil { w0 = word } else if w1 == nil { w1 = word } else if w2 == nil { w2 = word } else { w3 = word }
            }
            k += 1
        }
    }
}

// MARK: - tokenizer.rs

struct UAToken {
    var tag: UAStr
    var version: UAStr?
}

/// `Version<'a>` of ua_parser.rs.
struct UAVersion {
    var major: UAStr?
    var minor: UAStr?
    var patch: UAStr?
    var patchMinor: UAStr?

    @inline(__always)
    static func major(_ s: StaticString) -> UAVersion { UAVersion(major: UAStr(s)) }

    /// `get_version_string().unwrap_or("0.0.0")`.
    var versionString: String {
        guard let major else { return "0.0.0" }
        var total = major.count
        if let minor { total += 1 + minor.count }
        if let patch { total += 1 + patch.count }
        if let patchMinor { total += 1 + patchMinor.count }
        return String(unsafeUninitializedCapacity: total) { buf in
            var o = 0
            @inline(__always) func put(_ s: UAStr) {
                var i = 0
                while i < s.count { buf[o] = s[i]; o += 1; i += 1 }
            }
            put(major)
            if let minor { buf[o] = 0x2E; o += 1; put(minor) }
            if let patch { buf[o] = 0x2E; o += 1; put(patch) }
            if let patchMinor { buf[o] = 0x2E; o += 1; put(patchMinor) }
            return o
        }
    }
}

extension UAToken {
    /// `Token::get_version` (always `Some` in Rust).
    func getVersion() -> UAVersion {
        guard let version else { return .major("0.0.0") }

        if tag.eq("Windows") {
            if version.eq("5.1") || version.eq("5.2") { return .major("XP") }
            if version.eq("6.0") { return .major("Vista") }
            if version.eq("6.1") { return .major("7") }
            if version.eq("6.3") { return .major("8.1") }
            if version.eq("10.0") { return .major("10") }
            return .major("0.0.0")
        }

        // version.split_terminator(['_', ',', '.']): like split, minus a trailing empty piece.
        var end = version.count
        var result = UAVersion()
        if end == 0 { return result }
        let last = version[end - 1]
        if last == 0x5F || last == 0x2C || last == 0x2E { end -= 1 }

        var pos = 0
        var finished = false
        @inline(__always) func nextPart() -> UAStr? {
            if finished { return nil }
            let start = pos
            var i = start
            while i < end {
                let b = version[i]
                if b == 0x5F /* _ */ || b == 0x2C /* , */ || b == 0x2E /* . */ {
                    pos = i + 1
                    return version.slice(start, i)
                }
                i += 1
            }
            finished = true
            return version.slice(start, end)
        }

        if let major = nextPart() { result.major = major }
        if let minor = nextPart() {
            // take_until_non_numeric
            var k = 0
            while k < minor.count && minor[k] &- 0x30 < 10 { k += 1 }
            result.minor = minor.slice(0, k)
        }
        if let patch = nextPart() { result.patch = patch }

        // odd: Don't include patch_minor here
        if tag.eq("YaBrowser") || tag.eq("Opera") || tag.eq("NetFront NX") { return result }

        if let patchMinor = nextPart() { result.patchMinor = patchMinor }
        return result
    }
}

/// `TokenizerResult` (the `position` counter is never read by the parser and is omitted).
struct UATokenizerResult {
    var tokens: [UAToken] = []
    var possibleOSToken: UAToken?
    var possibleBrowserToken: UAToken?

    var linuxHint = false
    var iosHint = false
    var macosHint = false
    var windowsHint = false
    var mobileHint = false
    var safariHint = false
    var playstationHint = false
    var huaweiHint = false
    var cfnetworkHint = false
    var crawlerHint = false
    var botDetected = false

    init() { tokens.reserveCapacity(24) }

    @inline(__always)
    mutating func addTag(_ tag: UAStr, _ version: UAStr?) {
        tokens.append(UAToken(tag: tag, version: version))
    }

    @inline(__always)
    mutating func addTag(_ tag: StaticString, _ version: UAStr?) { addTag(UAStr(tag), version) }

    mutating func addPossibleOSAndBrowserTag(_ tag: StaticString, _ version: UAStr?) {
        addPossibleOSTagImpl(UAStr(tag), version)
        addPossibleBrowserTagImpl(UAStr(tag), version)
        addTag(tag, version)
    }

    mutating func addPossibleOSTag(_ tag: StaticString, _ version: UAStr?) {
        addPossibleOSTagImpl(UAStr(tag), version)
        addTag(tag, version)
    }

    mutating func addPossibleOSTagOverrideExisting(_ tag: StaticString, _ version: UAStr?) {
        possibleOSToken = UAToken(tag: UAStr(tag), version: version)
    }

    mutating func addPossibleBrowserTag(_ tag: StaticString, _ version: UAStr?) {
        addPossibleBrowserTagImpl(UAStr(tag), version)
        addTag(tag, version)
    }

    @inline(__always)
    private mutating func addPossibleOSTagImpl(_ tag: UAStr, _ version: UAStr?) {
        if possibleOSToken != nil { return }
        if version == nil { return }
        possibleOSToken = UAToken(tag: tag, version: version)
    }

    mutating func addPossibleBrowserTagForBot(_ tag: UAStr, _ version: UAStr?) {
        // Most of useragent string from bot attaches url
        if botDetected { return }
        botDetected = true
        possibleBrowserToken = UAToken(tag: tag, version: version)
    }

    mutating func addPossibleBrowserTagForBot(_ tag: StaticString, _ version: UAStr?) {
        addPossibleBrowserTagForBot(UAStr(tag), version)
    }

    @inline(__always)
    private mutating func addPossibleBrowserTagImpl(_ tag: UAStr, _ version: UAStr?) {
        if version == nil { return }
        possibleBrowserToken = UAToken(tag: tag, version: version)
    }
}

@inline(__always)
private func isInvalidChar(_ b: UInt8) -> Bool {
    // '(' ')' ';' ',' '+' '_' '"'
    b == 0x28 || b == 0x29 || b == 0x3B || b == 0x2C || b == 0x2B || b == 0x5F || b == 0x22
}

/// `trim_invalid_chars`: trim_matches on both ends, empty -> None.
@inline(__always)
private func trimInvalidChars(_ s: UAStr?) -> UAStr? {
    guard let s else { return nil }
    var lo = 0
    var hi = s.count
    while lo < hi && isInvalidChar(s[lo]) { lo += 1 }
    while hi > lo && isInvalidChar(s[hi - 1]) { hi -= 1 }
    if lo == hi { return nil }
    return s.slice(lo, hi)
}

/// `consume_if_numeric`.
@inline(__always)
private func consumeIfNumeric(_ win: inout UAWindowIter, _ tag: UAStr?) -> UAStr? {
    if let tag, tag.startsWithASCIIDigit {
        win.slide(by: 1)
        return tag
    }
    return nil
}

/// The part of `curr` after its leading `marker` up to the next occurrence of `marker`
/// (`curr.split(marker)` then `.next()` twice; `curr` starts with `marker`).
@inline(__always)
private func secondSplitPart(_ curr: UAStr, _ marker: StaticString) -> UAStr {
    let start = marker.utf8CodeUnitCount
    let end = curr.firstIndex(of: marker, from: start) ?? curr.count
    return curr.slice(start, end)
}

enum UATokenizer {
    // Ideal UserAgent format: <product>/<product-version> (<os-information>) <engine> (<platform-details>) <optional-details>
    static func run(_ input: UAStr) -> UATokenizerResult {
        var result = UATokenizerResult()
        var win = UAWindowIter(input)

        while !win.isEmpty {
            let (rc, r1, r2, r3) = win.window
            let next1 = trimInvalidChars(r1)
            let next2 = trimInvalidChars(r2)
            let next3 = trimInvalidChars(r3)
            guard let curr = trimInvalidChars(rc) else {
                win.slide(by: 1)
                continue
            }

            if curr.hasPrefix("AppleTV") {
                result.addTag("ATV OS X", nil)
                win.slide(by: 1)
            } else if curr.eq("like") && eq(next1, "Mac") && eq(next2, "OS") {
                win.slide(by: 3)
            }
            // Mac OS X
            else if curr.eq("Mac") && eq(next1, "OS") && eq(next2, "X") {
                result.macosHint = true
                result.addPossibleOSTag("Mac OS X", consumeIfNumeric(&win, next3))
                win.slide(by: 2)
            }
            // Mac OS (no X)
            else if curr.eq("Mac") && eq(next1, "OS") {
                result.macosHint = true
                result.addPossibleOSTag("Mac OS X", consumeIfNumeric(&win, next2))
                win.slide(by: 2)
            }
            // iPhone OS
            else if curr.eq("iOS") {
                result.addPossibleOSTag("iOS", consumeIfNumeric(&win, next1))
                result.iosHint = true
                win.slide(by: 1)
            } else if curr.eq("iPhone") && eq(next1, "OS") {
                result.addPossibleOSTag("iOS", consumeIfNumeric(&win, next2))
                win.slide(by: 1)
            }
            // iPadOS
            else if curr.eq("iPadOS") {
                result.addPossibleOSTag("iOS", consumeIfNumeric(&win, next1))
                result.iosHint = true
                win.slide(by: 1)
            }
            // iPad
            else if curr.hasPrefix("iPad") {
                result.iosHint = true
                result.addTag("iPad", trimInvalidChars(secondSplitPart(curr, "iPad")))
            }
            // iPhone
            else if curr.hasPrefix("iPhone") {
                result.iosHint = true
                result.addTag("iPhone", trimInvalidChars(secondSplitPart(curr, "iPhone")))
            }
            // iPhone (Apple)
            else if curr.hasPrefix("Apple-iPhone7C2") {
                result.iosHint = true
                result.addTag("iPhone", nil)
            }
            // CPU OS
            else if curr.eq("CPU") && eq(next1, "OS") {
                result.addTag("CPU OS", consumeIfNumeric(&win, next2))
                win.slide(by: 1)
            }
            // Chrome OS
            else if curr.eq("CrOS") {
                var version = consumeIfNumeric(&win, next1)
                if version == nil {
                    win.slide(by: 1)
                    version = consumeIfNumeric(&win, next2)
                }
                result.addPossibleOSTag("Chrome OS", version)
            }
            // Chromecast
            else if curr.eq("CrKey") {
                result.addPossibleOSTag("Chromecast", nil)
            }
            // PlayStation
            else if curr.eq("PlayStation") {
                result.playstationHint = true
                result.addTag("PlayStation", nil)
            }
            // Android
            else if curr.eq("Android") {
                result.addPossibleOSTag("Android", consumeIfNumeric(&win, next1))
            }
            // Windows Phone
            else if curr.eq("Windows") && eq(next1, "Phone") {
                result.addPossibleOSTag("Windows Phone", consumeIfNumeric(&win, next2))
                win.slide(by: 1)
            }
            // Windows
            else if curr.hasPrefix("Windows") {
                result.windowsHint = true
                let version: UAStr?
                if eq(next1, "NT") {
                    version = consumeIfNumeric(&win, next2)
                    if version != nil { win.slide(by: 1) } // extra slide to skip the NT
                } else if let next1, next1.hasPrefix("XP") {
                    win.slide(by: 1)
                    version = UAStr("XP")
                } else {
                    version = consumeIfNumeric(&win, next1)
                }
                result.addPossibleOSTag("Windows", version)
            } else if curr.eq("MSIE") {
                let version = consumeIfNumeric(&win, next1)
                result.addPossibleBrowserTag("IE", version)
            }
            // Yahoo Slurp
            else if curr.eq("Yahoo!") && eq(next1, "Slurp") {
                result.addTag("Yahoo! Slurp", nil)
                win.slide(by: 1)
            }
            // Red Hat
            else if curr.eq("Red") && eq(next1, "Hat") {
                result.addPossibleOSTag("Red Hat", nil)
                win.slide(by: 1)
            }
            // Ubuntu
            else if curr.eq("Ubuntu") {
                result.addPossibleOSTag("Ubuntu", consumeIfNumeric(&win, next1))
            }
            // Mobile
            else if curr.eq("Mobile") {
                result.mobileHint = true
                result.addTag("Mobile", nil)
            }
            // Linux
            else if curr.eq("Linux") || curr.eq("linux") {
                result.linuxHint = true
                result.addTag("Linux", nil)
            }
            // Nintendo
            else if curr.eq("Nintendo") && eq(next1, "3DS") {
                result.addTag("NetFront NX", nil)
                win.slide(by: 1)
            }
            // Skip
            else if curr.eq("like") || curr.count <= 2 {
                win.slide(by: 1)
                continue
            }
            // Bot
            else if curr.eq("Better") && eq(next1, "Uptime") && eq(next2, "Bot") {
                result.addPossibleBrowserTagForBot("Better Uptime Bot", nil)
            } else if curr.eq("Radius") && eq(next1, "Compilance") && eq(next2, "Bot") {
                result.addPossibleBrowserTagForBot("Radius Compilance Bot", nil)
            } else if curr.eq("AdsBot-Google-Mobile") {
                result.addPossibleBrowserTagForBot("AdsBot-Google", nil)
            } else if curr.eq("Uptime") && eq(next1, "Monitoring") && eq(next2, "Bot") {
                result.addPossibleBrowserTagForBot("Uptime Monitoring Bot", nil)
            }
            // Rest
            else {
                restToken(curr, &result)
            }

            win.slide(by: 1)
        }

        return result
    }

    /// The final `else` branch of the tokenizer (`curr.split_once(['/', ';', ':'])` and the tag table).
    @inline(__always)
    private static func restToken(_ curr: UAStr, _ result: inout UATokenizerResult) {
        var sep = -1
        var i = 0
        while i < curr.count {
            let b = curr[i]
            if b == 0x2F /* / */ || b == 0x3B /* ; */ || b == 0x3A /* : */ { sep = i; break }
            i += 1
        }
        let tag: UAStr
        let version: UAStr?
        if sep >= 0 {
            tag = trimInvalidChars(curr.slice(0, sep)) ?? curr
            version = trimInvalidChars(curr.slice(sep + 1, curr.count))
        } else {
            tag = curr // trim_invalid_chars(None).unwrap_or(curr); `curr` is already trimmed
            version = nil
        }

        if tag.eq("Kindle") {
            result.addPossibleOSAndBrowserTag("Kindle", version)
        } else if tag.eq("FxiOS") {
            result.addPossibleBrowserTag("Firefox iOS", version)
        } else if tag.eq("EdgiOS") {
            if let osToken = result.possibleOSToken, osToken.tag.eq("Mac OS X") {
                result.addPossibleOSTagOverrideExisting("iOS", nil)
            }
            result.addPossibleBrowserTag("Edge Mobile", version)
        } else if tag.eq("CriOS") {
            result.iosHint = true
            if let osToken = result.possibleOSToken, osToken.tag.eq("Mac OS X") {
                result.addPossibleOSTagOverrideExisting("iOS", nil)
            }
            result.addPossibleBrowserTag("Chrome Mobile iOS", version)
        } else if tag.eq("GSA") {
            result.addPossibleBrowserTag("Google", version)
        } else if tag.eq("YisouSpider") {
            result.addPossibleBrowserTag("YisouSpider", version)
        } else if tag.eq("Edg") || tag.eq("Edge") {
            result.addTag("Edge", version)
        } else if tag.eq("OPR") {
            result.addTag("Opera", version)
        } else if tag.eq("SamsungBrowser") {
            result.addPossibleBrowserTag("Samsung Internet", version)
        } else if tag.eq("HuaweiBrowser") {
            result.huaweiHint = true
            result.addTag("HuaweiBrowser", version)
        } else if tag.eq("ChatGPT-User") {
            result.addPossibleBrowserTag("ChatGPT-User", version)
        } else if tag.eq("OAI-SearchBot") {
            result.addPossibleBrowserTag("OAI-SearchBot", version)
        } else if tag.eq("NX") {
            result.addPossibleBrowserTag("NetFront NX", version)
        } else if tag.eq("Electron") {
            result.addPossibleBrowserTag("Electron", version)
        } else if tag.eq("IEMobile") {
            result.addPossibleBrowserTag("IE Mobile", version)
        }
        // Bot or crawler
        else if tag.contains("Bot") || tag.contains("bot") || tag.contains("crawler") || tag.contains("Crawler") {
            result.addPossibleBrowserTagForBot(tag, version)
        }
        // Mobile
        else if tag.eq("Mobile") {
            result.mobileHint = true
            result.addTag("Mobile", version)
        }
        // Safari
        else if tag.eq("Safari") {
            result.safariHint = true
            result.addTag("Safari", version)
        } else if tag.eq("CFNetwork") {
            result.cfnetworkHint = true
            result.iosHint = true
        } else if tag.contains("crawler") || (version?.contains("crawler") ?? false) {
            result.crawlerHint = true
        } else if tag.eq("OculusBrowser") {
            // Oculus os is android, but fake to be linux
            result.addPossibleOSTagOverrideExisting("Android", nil)
        } else {
            result.addTag(tag, version)
        }
    }
}

// MARK: - ua_parser.rs

/// `ParserResult`: name plus version (`create_res(name, None)` gives the default, all-`None` version).
struct UAParserResult {
    var name: UAStr
    var version: UAVersion

    @inline(__always)
    init(_ name: UAStr, _ version: UAVersion? = nil) {
        self.name = name
        self.version = version ?? UAVersion()
    }

    @inline(__always)
    init(_ name: StaticString, _ version: UAVersion? = nil) { self.init(UAStr(name), version) }
}

enum UAParser {
    /// `UaParser::parse_os` on an already tokenized agent.
    static func parseOS(_ result: UATokenizerResult) -> UAParserResult {
        if let token = result.possibleOSToken {
            return UAParserResult(token.tag, token.getVersion())
        }

        for token in result.tokens {
            let tag = token.tag
            if tag.eq("ATV OS X") { return UAParserResult("ATV OS X") }
            if tag.eq("iPhone OS") || tag.eq("iOS") { return UAParserResult("iOS", token.getVersion()) }
            if tag.eq("CPU OS") && result.iosHint { return UAParserResult("iOS", token.getVersion()) }
            if tag.eq("Version") && result.iosHint && result.macosHint {
                return UAParserResult("iOS", token.getVersion())
            }
            if tag.eq("CFNetwork") { return UAParserResult("iOS") }
            if tag.eq("Android") { return UAParserResult(tag, token.getVersion()) }
            if tag.hasPrefix("Android") { return UAParserResult("Android") }
            if tag.eq("Chromecast") { return UAParserResult("Chromecast") }
            if tag.eq("Red Hat") { return UAParserResult("Red Hat") }
            if tag.eq("Kindle") { return UAParserResult("Kindle", token.getVersion()) }
            if tag.eq("Ubuntu") { return UAParserResult("Ubuntu", token.getVersion()) }
        }

        if result.iosHint { return UAParserResult("iOS") }
        if result.macosHint { return UAParserResult("Mac OS X") }
        if result.windowsHint { return UAParserResult("Windows") }
        if result.linuxHint { return UAParserResult("Linux") }
        return UAParserResult("Other")
    }

    /// `UaParser::parse_browser` on an already tokenized agent.
    static func parseBrowser(_ result: UATokenizerResult) -> UAParserResult {
        if let token = result.possibleBrowserToken {
            return UAParserResult(token.tag, token.getVersion())
        }

        var androidToken: UAToken?
        var chromeToken: UAToken?
        var versionToken: UAToken?

        for token in result.tokens {
            let tag = token.tag
            if tag.eq("Firefox") {
                if result.mobileHint { return UAParserResult("Firefox Mobile", token.getVersion()) }
                return UAParserResult("Firefox", token.getVersion())
            }
            if tag.eq("Android") {
                androidToken = token
                continue
            }
            if tag.eq("Version") {
                versionToken = token
                continue
            }
            if tag.eq("Yahoo! Slurp") { return UAParserResult("Yahoo! Slurp") }
            if tag.eq("Silk") {
                if result.playstationHint { return UAParserResult("NetFront NX") }
                return UAParserResult("Amazon Silk", token.getVersion())
            }
            if tag.eq("NetFront NX") { return UAParserResult("NetFront NX", token.getVersion()) }
            if tag.eq("YaBrowser") { return UAParserResult("Yandex Browser", token.getVersion()) }
            if tag.eq("Edge") && result.mobileHint { return UAParserResult("Edge Mobile", token.getVersion()) }
            if tag.eq("Edge") { return UAParserResult("Edge", token.getVersion()) }
            if tag.eq("Opera") {
                if result.mobileHint { return UAParserResult("Opera Mobile", token.getVersion()) }
                return UAParserResult("Opera", token.getVersion())
            }
            if tag.eq("Chrome") {
                chromeToken = token
                continue
            }
            if tag.eq("axios") { return UAParserResult("axios", token.getVersion()) }
            if tag.eq("HeadlessChrome") { return UAParserResult("HeadlessChrome", token.getVersion()) }
        }

        if let token = chromeToken {
            if versionToken != nil { return UAParserResult("Chrome Mobile WebView", token.getVersion()) }
            if result.mobileHint && token.version != nil && !result.huaweiHint {
                return UAParserResult("Chrome Mobile", token.getVersion())
            }
            if token.version == nil, let android = androidToken {
                return UAParserResult("Android", android.getVersion())
            }
            return UAParserResult("Chrome", token.getVersion())
        }

        if let token = androidToken { return UAParserResult("Android", token.getVersion()) }

        if result.cfnetworkHint && !result.tokens.isEmpty {
            let first = result.tokens[0]
            if first.tag.eq("NetworkingExtension") {
                return UAParserResult("CFNetwork", result.tokens.count > 1 ? result.tokens[1].getVersion() : nil)
            }
            return UAParserResult(first.tag, first.getVersion())
        }

        if result.safariHint {
            let version = versionToken?.getVersion()
            if result.mobileHint && !result.macosHint {
                // UA string has this "Mobile" flag likely for compatibility or simulation purposes but it's running ins macos
                return UAParserResult("Mobile Safari", version)
            }
            return UAParserResult("Safari", version)
        }

        if result.iosHint { return UAParserResult("Mobile Safari UI/WKWebView") }
        if result.crawlerHint { return UAParserResult("crawler") }
        return UAParserResult("Other")
    }
}
