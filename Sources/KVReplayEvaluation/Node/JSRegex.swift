/// `new RegExp(pattern).test(s)` (no flags, so non-Unicode mode with the Annex B web-compatibility grammar) on ICU.
/// The JavaScript pattern is parsed as V8 parses it, rejecting what V8 rejects with a `SyntaxError` (nil: statsig-node
/// catches the error and answers false), and re-emitted in ICU syntax so that ICU gives JavaScript's answers where the
/// two engines read the same text differently:
///
/// | JavaScript (non-Unicode mode) | ICU | emitted as |
/// |---|---|---|
/// | UTF-16 code units: `😀` is two characters to `.`, `[^a]`, `^.{2}$` | code points | units: pattern and subject (`icuSubject`) carry each surrogate as a plane-16 code point |
/// | `\d` `\w` `\b` are ASCII | Unicode | explicit ASCII classes and look-arounds |
/// | `\s` is WhiteSpace + LineTerminator | `[\t\n\f\r\p{Z}]` | the JavaScript set |
/// | `.` excludes `\n \r \u2028 \u2029` | also `\u0085`, `\r\n` as one | `[^\n\r\u2028\u2029]` |
/// | `$` is the end of input | also before a final line terminator | `(?![\s\S])` |
/// | `[^]` any character, `[]` nothing | syntax errors | `[\x{0}-\x{10FFFF}]`, `(?:(?!))` |
/// | `[\w-z]`: a class escape ends no range | a range `_-z` | `\w`'s set, `-`, `z` |
/// | `[`, `&&`, `[:alpha:]` in a class are literal | nested sets, intersection, POSIX names | every literal as `\x{…}` |
/// | `{`, `}`, `]` that make no quantifier or class are literal | syntax errors | `\x{…}` |
/// | `\a`, `\e`, `\p`, `\k`, `\Q`, … (identity escapes) are the letter | bell, escape, properties, quoting, … | the letter |
/// | `\1`–`\9…` above the group count, `\0dd` are octal; `\8` `\9` digits | back references | the character |
/// | `\cX` control, `\c` + other is `\c` | errors | `\x{…}` |
/// | `\xHH`, `\uHHHH` (else the letter), `\u{…}` is `u` repeated | `\x{…}` forms | `\x{…}` or the letter |
/// | `(?<name>…)`, `\k<name>` with JavaScript identifier names | ASCII names only | numbered groups, `\N` |
/// | a back reference to a certainly unset group (not closed yet, in a negative look-around, in another alternative) matches empty | fails | `(?:)` |
/// | a group skipped by `?` `*` `{0,n}` or an untaken alternative is unset, and a reference to it matches empty (only rewritten in patterns with references) | fails | `(a)*` as `(?:(a){1,}\|())`, `(a)\|b` as `(a)\|b()`; `\1` as `(?:\1\|\2)` |
/// | `(?=…)` may take a quantifier | error | `(?:(?=…))` |
/// | `a++`, `a{2}+`, `(?i)`, `(?#…)`, `(?>…)`, `(?<=…)*` are errors | possessive, flags, comments, atomic | nil |
/// | `{n,m}` up to 2^31 - 1 | at most 2^24 - 1 | bounds clamped (no subject here is that long) |
/// | look-behind of any length (`(?<=a.*)b`) | bounded length only | `*`, `+`, `{n,}` in it bounded at 1,000 more |
///
/// The subject must go through `icuSubject` (`regex.firstMatch(in: JSRegex.icuSubject(s))`).
///
/// Known limits (`JSRegexTests` tolerates differences of the second and fourth kinds only, and counts them):
/// - **A group cleared by the next pass of a loop** (`(?:(a)|b)+\1`): JavaScript clears the groups inside a
///   repeated atom at each pass; ICU keeps the text of an earlier pass, so a reference may see it where JavaScript
///   sees an unset group (no case of the fixture differs, but no rewrite makes this exact).
/// - **Back references inside a look-behind** (`(?<=(a)\1)b`): JavaScript matches a look-behind backwards, so
///   its references see the groups to their right; ICU matches forwards and cannot bound a reference's length.
///   Such a pattern is nil here (false).
/// - **Long look-behind**: inside a look-behind an unbounded quantifier matches at most 1,000 repetitions past its
///   minimum (ICU needs a bounded length), so a look-behind reaching further back than that answers false (exact
///   for statsig-node, which tests only strings shorter than 1,000 code units); and three nested unbounded
///   quantifiers in one look-behind (`(?<=((a*)*)*)`) exceed ICU's bound: nil (false).
/// - **Nesting**: groups nested about 100 deep or more (ICU's limit, counting the groups the translation adds)
///   make the pattern nil (false); V8 reads some 10,000 levels.
/// - **Backtracking budget**: `BoundedRegex` stops a match after its time budget (nil, answered false), where V8
///   finishes a catastrophically backtracking pattern however long it takes (the classic e-mail pattern
///   `^\w+([.-]?\w+)*@…$` takes V8 0.6 s on a 36-character id and 8 s on 31 `a`s and a `b`).
enum JSRegex {
    static func icuPattern(_ js: String) -> String? {
        var t = Translator(units(js))
        return t.translate()
    }

    /// The subject to give the translated pattern: each character outside the BMP as its two UTF-16 code units,
    /// each unit as a code point of plane 16 (U+100000–U+1007FF), so that ICU, which matches code points, sees the
    /// code units that JavaScript matches. The text itself when it has no such character.
    static func icuSubject(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0xF0 }) else { return text }
        var out = String.UnicodeScalarView()
        for u in text.utf16 { out.append(Unicode.Scalar(unit(u))!) }
        return String(out)
    }

    /// A UTF-16 code unit as the code point that stands for it (surrogates moved to plane 16).
    static func unit(_ u: UInt16) -> UInt32 {
        (0xD800...0xDFFF).contains(u) ? 0x100000 + UInt32(u) - 0xD800 : UInt32(u)
    }

    /// The code unit that a code point of `units` stands for.
    static func codeUnit(_ v: UInt32) -> UInt32 {
        (0x100000...0x1007FF).contains(v) ? v - 0x100000 + 0xD800 : v
    }

    /// A JavaScript string as its code units, each as a scalar (see `unit`).
    static func units(_ text: String) -> [Unicode.Scalar] {
        text.utf16.map { Unicode.Scalar(unit($0))! }
    }

    /// An ICU class body for the code units `lo...hi` (code-unit order, as JavaScript compares a range).
    static func unitRange(_ lo: UInt32, _ hi: UInt32) -> String {
        var parts: [ClosedRange<UInt32>] = []
        if lo <= 0xD7FF { parts.append(lo...min(hi, 0xD7FF)) }
        if lo <= 0xDFFF && hi >= 0xD800 {
            parts.append((0x100000 + max(lo, 0xD800) - 0xD800)...(0x100000 + min(hi, 0xDFFF) - 0xD800))
        }
        if hi >= 0xE000 { parts.append(max(lo, 0xE000)...hi) }
        return classBody(parts)
    }

    /// The deepest nesting of groups translated (the translator recurses once per group; ICU's parser takes
    /// about 100 levels, counting the groups the translation adds).
    static let maxNesting = 100
    /// An unbounded quantifier inside a look-behind repeats at most this many times more than its minimum.
    static let lookBehindRepetitions = 1000
    /// The largest repetition bound ICU accepts.
    static let icuMaxBound = 16_777_215
    static let word = "A-Za-z0-9_"
    /// JavaScript's WhiteSpace and LineTerminator code points, as inclusive ranges.
    static let spaceRanges: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029, 0x202F...0x202F,
        0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
    static let digitRanges: [ClosedRange<UInt32>] = [0x30...0x39]
    static let wordRanges: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound + 1
        }
        if next <= 0x10FFFF { out.append(next...0x10FFFF) }
        return out
    }

    static func hex(_ v: UInt32) -> String { "\\x{\(String(v, radix: 16))}" }

    static func classBody(_ ranges: [ClosedRange<UInt32>]) -> String {
        ranges.map { $0.lowerBound == $0.upperBound ? hex($0.lowerBound) : hex($0.lowerBound) + "-" + hex($0.upperBound) }.joined()
    }

    /// A class escape (`\d \D \w \W \s \S`) as ranges.
    static func escapeRanges(_ e: Unicode.Scalar) -> [ClosedRange<UInt32>] {
        switch e {
        case "d": digitRanges
        case "D": complement(digitRanges)
        case "w": wordRanges
        case "W": complement(wordRanges)
        case "s": spaceRanges
        default: complement(spaceRanges)
        }
    }

    static func isHex(_ c: Unicode.Scalar) -> Bool { c.properties.isASCIIHexDigit }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    static func isASCIILetter(_ c: Unicode.Scalar) -> Bool { (c.value | 0x20) >= 0x61 && (c.value | 0x20) <= 0x7A }

    struct Translator {
        let s: [Unicode.Scalar]
        var i = 0
        var out = ""
        /// Capturing groups in the whole pattern, and the names of the named ones (in order).
        var captureCount = 0
        var names: [String] = []
        var hasNamedGroups = false
        /// The group number of each named group anywhere in the pattern (`\k<name>` may refer forward).
        var namedGroups: [String: Int] = [:]
        var opened = 0
        var closed: Set<Int> = []
        var lookBehindDepth = 0
        /// ICU's number for each JavaScript group, and the empty group set where a quantifier skipped it.
        var icuGroups = 0
        var icuGroup: [Int: Int] = [:]
        var emptyGroups: [Int: [Int]] = [:]
        /// Whether the pattern has back references (found by the first pass); then empty groups stand for unset ones.
        var hasBackReferences = false
        var unsetGroups = false
        /// The groups inside each alternative of each disjunction (found by the first pass).
        var alternativeGroups: [Int: [[Int]]] = [:]
        /// The negative look-arounds open at `i` (by serial number), and the innermost one around each group.
        var negativeStack: [Int] = []
        var negativeSerial = 0
        var negativeOwner: [Int: Int] = [:]
        /// The alternative taken in each enclosing disjunction at `i`, and where each group stands.
        var alternatives: [(disjunction: Int, alternative: Int)] = []
        var disjunctionSerial = 0
        var groupAlternatives: [Int: [(disjunction: Int, alternative: Int)]] = [:]

        init(_ s: [Unicode.Scalar]) { self.s = s }

        func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

        /// V8's pre-scan for capturing groups (outside classes, not escaped).
        mutating func scanCaptures() {
            var j = 0
            var inClass = false
            while j < s.count {
                let c = s[j]
                if c == "\\" { j += 2; continue }
                if inClass {
                    if c == "]" { inClass = false }
                } else if c == "[" {
                    inClass = true
                } else if c == "(" {
                    if j + 1 < s.count, s[j + 1] == "?" {
                        if j + 2 < s.count, s[j + 2] == "<", j + 3 < s.count, s[j + 3] != "=", s[j + 3] != "!" {
                            captureCount += 1
                            hasNamedGroups = true
                            var k = j + 3
                            var n: [UInt16] = []
                            while k < s.count, s[k] != ">" { n.append(UInt16(JSRegex.codeUnit(s[k].value))); k += 1 }
                            let name = String(decoding: n, as: UTF16.self)
                            if namedGroups[name] == nil { namedGroups[name] = captureCount }
                        }
                    } else {
                        captureCount += 1
                    }
                }
                j += 1
            }
        }

        mutating func translate() -> String? {
            scanCaptures()
            // A first pass finds the back references and the groups of each alternative; only a pattern with back
            // references gets the empty groups that stand for unset groups (see `backReference`).
            var first = self
            guard first.disjunction(depth: 0), first.i == s.count else { return nil }
            if first.hasBackReferences {
                unsetGroups = true
                alternativeGroups = first.alternativeGroups
                guard disjunction(depth: 0), i == s.count else { return nil }
            } else {
                self = first
            }
            return out.isEmpty ? "(?:)" : out
        }

        /// The end of alternative `alternative` of `disjunction`: empty groups for the groups of its siblings.
        mutating func endAlternative(_ disjunction: Int, _ alternative: Int) {
            guard unsetGroups, let all = alternativeGroups[disjunction] else { return }
            for (k, groups) in all.enumerated() where k != alternative {
                for g in groups { addEmptyGroup(for: g) }
            }
        }

        mutating func addEmptyGroup(for group: Int) {
            icuGroups += 1
            emptyGroups[group, default: []].append(icuGroups)
            out += "()"
        }

        /// Alternatives up to an unmatched `)` (left for the caller) or the end.
        mutating func disjunction(depth: Int) -> Bool {
            disjunctionSerial += 1
            alternatives.append((disjunctionSerial, 0))
            defer { alternatives.removeLast() }
            while let c = peek() {
                switch c {
                case "|":
                    endAlternative(alternatives[alternatives.count - 1].disjunction, alternatives[alternatives.count - 1].alternative)
                    out += "|"
                    alternatives[alternatives.count - 1].alternative += 1
                    i += 1
                case ")":
                    endAlternative(alternatives[alternatives.count - 1].disjunction, alternatives[alternatives.count - 1].alternative)
                    return depth > 0
                case "^":
                    out += "^"
                    i += 1
                    if quantifierAhead() { return false }
                case "$":
                    out += "(?![\\s\\S])"
                    i += 1
                    if quantifierAhead() { return false }
                case "*", "+", "?":
                    return false  // nothing to repeat
                case "{":
                    if quantifierAhead() { return false }
                    out += JSRegex.hex(c.value)
                    i += 1
                    guard quantifier() else { return false }
                case "(":
                    guard group(depth: depth) else { return false }
                case "[":
                    guard let cls = characterClass() else { return false }
                    out += cls
                    guard quantifier() else { return false }
                case ".":
                    out += "[^\\n\\r\\x{2028}\\x{2029}]"
                    i += 1
                    guard quantifier() else { return false }
                case "\\":
                    guard let (text, quantifiable) = atomEscape() else { return false }
                    out += text
                    if quantifiable {
                        guard quantifier() else { return false }
                    } else if quantifierAhead() {
                        return false
                    }
                default:
                    out += Self.literal(c)
                    i += 1
                    guard quantifier() else { return false }
                }
            }
            endAlternative(alternatives[alternatives.count - 1].disjunction, alternatives[alternatives.count - 1].alternative)
            return true
        }

        static func literal(_ c: Unicode.Scalar) -> String {
            if JSRegex.isDigit(c) || JSRegex.isASCIILetter(c) { return String(c) }
            return JSRegex.hex(c.value)
        }

        /// `(…)`, `(?:…)`, look-arounds and named groups.
        mutating func group(depth: Int) -> Bool {
            guard depth < JSRegex.maxNesting else { return false }  // see the known limits
            let start = out.utf8.count  // the output is ASCII: every other character is written as \x{…}
            let groupsBefore = opened
            i += 1
            var quantifiable = true
            var capture: Int?
            var wrap = false
            var lookBehind = false
            var negative = false
            if peek() == "?" {
                switch (peek(1), peek(2)) {
                case (":", _):
                    out += "(?:"
                    i += 2
                case ("=", _), ("!", _):
                    out += "(?:(?" + String(peek(1)!)
                    wrap = true
                    negative = peek(1) == "!"
                    i += 2
                case ("<", "="), ("<", "!"):
                    out += "(?<" + String(peek(2)!)
                    quantifiable = false
                    lookBehind = true
                    lookBehindDepth += 1
                    negative = peek(2) == "!"
                    i += 3
                case ("<", _):
                    i += 2
                    guard let name = groupName(), !names.contains(name) else { return false }
                    names.append(name)
                    opened += 1
                    capture = opened
                default:
                    return false  // (?i) (?#…) (?>…) (?P<…>) are not JavaScript
                }
            } else {
                opened += 1
                capture = opened
            }
            if let capture {
                out += "("
                icuGroups += 1
                icuGroup[capture] = icuGroups
            }
            if negative {
                negativeSerial += 1
                negativeStack.append(negativeSerial)
            }
            if let capture, let owner = negativeStack.last { negativeOwner[capture] = owner }
            if let capture {
                groupAlternatives[capture] = alternatives
                for a in alternatives where !unsetGroups {
                    var list = alternativeGroups[a.disjunction] ?? []
                    while list.count <= a.alternative { list.append([]) }
                    list[a.alternative].append(capture)
                    alternativeGroups[a.disjunction] = list
                }
            }
            guard disjunction(depth: depth + 1), peek() == ")" else { return false }
            i += 1
            if lookBehind { lookBehindDepth -= 1 }
            if negative { negativeStack.removeLast() }
            out += wrap ? "))" : ")"
            if let capture { closed.insert(capture) }
            guard quantifiable else { return !quantifierAhead() }
            guard let q = parseQuantifier() else { return false }
            guard let q else { return true }
            if unsetGroups, q.min == 0, opened > groupsBefore {
                // Groups that a quantifier may skip are unset in JavaScript, and a reference to one matches empty;
                // ICU cannot test that, so the skipping path sets empty groups that the reference also tries:
                // (a)* becomes (?:(a){1,}|()).
                let atom = String(decoding: out.utf8.dropFirst(start), as: UTF8.self)
                out = String(decoding: out.utf8.prefix(start), as: UTF8.self)
                if q.max == 0 {
                    out += "(?:(?!)" + atom + "|"
                } else {
                    out += "(?:" + atom + (q.max == 1 ? "" : quantifierText((1, q.max, q.lazy))) + "|"
                }
                for g in (groupsBefore + 1)...opened { addEmptyGroup(for: g) }
                out += ")"
                return true
            }
            out += quantifierText(q)
            return true
        }

        /// `name>` of a named group or reference, as a JavaScript RegExpIdentifierName.
        mutating func groupName() -> String? {
            var name = ""
            while var c = peek(), c != ">" {
                // A pair of surrogates is one character of the name.
                let hi = JSRegex.codeUnit(c.value)
                if (0xD800...0xDBFF).contains(hi), let next = peek(1), (0xDC00...0xDFFF).contains(JSRegex.codeUnit(next.value)) {
                    c = Unicode.Scalar(0x10000 + ((hi - 0xD800) << 10) + (JSRegex.codeUnit(next.value) - 0xDC00))!
                    i += 1
                }
                let ok = name.isEmpty
                    ? (c.properties.isIDStart || c == "$" || c == "_")
                    : (c.properties.isIDContinue || c == "$" || c == "\u{200C}" || c == "\u{200D}")
                guard ok else { return nil }
                name.unicodeScalars.append(c)
                i += 1
            }
            guard peek() == ">", !name.isEmpty else { return nil }
            i += 1
            return name
        }

        /// A `{n}`, `{n,}` or `{n,m}` at `i + k`: its bounds (clamped to Int32.max as V8 does) and its length.
        func braces(at k: Int) -> (min: Int, max: Int?, length: Int)? {
            var j = i + k
            guard j < s.count, s[j] == "{" else { return nil }
            j += 1
            func number() -> Int? {
                var n: Int?
                while j < s.count, JSRegex.isDigit(s[j]) {
                    n = min((n ?? 0) * 10 + Int(s[j].value - 0x30), Int(Int32.max))
                    j += 1
                }
                return n
            }
            guard let lo = number() else { return nil }
            var hi: Int? = lo
            if j < s.count, s[j] == "," {
                j += 1
                hi = number()
            }
            guard j < s.count, s[j] == "}" else { return nil }
            return (lo, hi, j + 1 - (i + k))
        }

        func quantifierAhead() -> Bool {
            guard let c = peek() else { return false }
            return c == "*" || c == "+" || c == "?" || braces(at: 0) != nil
        }

        typealias Quantifier = (min: Int, max: Int?, lazy: Bool)

        /// An optional quantifier (and lazy `?`) after a quantifiable atom; false for a SyntaxError.
        mutating func quantifier() -> Bool {
            guard let q = parseQuantifier() else { return false }
            if let q { out += quantifierText(q) }
            return true
        }

        /// nil for a SyntaxError, .some(nil) when no quantifier follows.
        mutating func parseQuantifier() -> Quantifier?? {
            guard let c = peek() else { return .some(nil) }
            var q: Quantifier
            if c == "*" || c == "+" || c == "?" {
                q = c == "*" ? (0, nil, false) : c == "+" ? (1, nil, false) : (0, 1, false)
                i += 1
            } else if let b = braces(at: 0) {
                if let hi = b.max, hi < b.min { return nil }  // numbers out of order
                q = (b.min, b.max, false)
                i += b.length
            } else {
                return .some(nil)
            }
            if peek() == "?" {
                q.lazy = true
                i += 1
            }
            if quantifierAhead() { return nil }  // a++ and a{2}* are "nothing to repeat"
            return .some(q)
        }

        func quantifierText(_ q: Quantifier) -> String {
            let lo = min(q.min, JSRegex.icuMaxBound)
            var t: String
            if lookBehindDepth > 0 && q.max == nil {
                // ICU needs a look-behind of bounded length.
                t = "{\(lo),\(min(lo + JSRegex.lookBehindRepetitions, JSRegex.icuMaxBound))}"
            } else if let hi = q.max, hi <= JSRegex.icuMaxBound {
                t = hi == lo ? "{\(lo)}" : "{\(lo),\(hi)}"
            } else {
                t = "{\(lo),}"
            }
            return q.lazy ? t + "?" : t
        }

        /// A legacy octal escape at `i` (up to three octal digits, at most 0o377).
        mutating func octal() -> UInt32 {
            var v: UInt32 = 0
            var n = 0
            while let c = peek(), c.value >= 0x30, c.value <= 0x37, n < 3, v * 8 + (c.value - 0x30) <= 0o377 {
                v = v * 8 + (c.value - 0x30)
                n += 1
                i += 1
            }
            return v
        }

        /// `\x..`, `\u....` (a pair of surrogate escapes as one code point), or nil when the digits are missing.
        mutating func hexEscape(_ e: Unicode.Scalar) -> UInt32? {
            let n = e == "x" ? 2 : 4
            guard i + n < s.count || i + n == s.count, (0..<n).allSatisfy({ peek($0).map(JSRegex.isHex) ?? false }) else { return nil }
            let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + n)])), radix: 16)!
            i += n
            return JSRegex.unit(UInt16(v))  // a surrogate is one code unit, as in the subject
        }

        /// An escape outside a class: its ICU text and whether a quantifier may follow; nil for a SyntaxError.
        mutating func atomEscape() -> (String, Bool)? {
            guard let e = peek(1) else { return nil }  // `\` at the end
            i += 2
            switch e {
            case "b":
                return ("(?:(?<=[\(JSRegex.word)])(?![\(JSRegex.word)])|(?<![\(JSRegex.word)])(?=[\(JSRegex.word)]))", false)
            case "B":
                return ("(?:(?<=[\(JSRegex.word)])(?=[\(JSRegex.word)])|(?<![\(JSRegex.word)])(?![\(JSRegex.word)]))", false)
            case "d", "D", "w", "W", "s", "S":
                return ("[" + JSRegex.classBody(JSRegex.escapeRanges(e)) + "]", true)
            case "1"..."9":
                // A back reference when the whole number is at most the group count, else octal or a digit.
                var j = i - 1
                var n = 0
                while j < s.count, JSRegex.isDigit(s[j]), n <= captureCount {
                    n = n * 10 + Int(s[j].value - 0x30)
                    j += 1
                }
                if n <= captureCount {
                    i = j
                    if lookBehindDepth > 0 { return nil }  // see the known limits
                    return (backReference(n), true)
                }
                if e == "8" || e == "9" { return (String(e), true) }
                i -= 1
                return (JSRegex.hex(octal()), true)
            case "0":
                if let d = peek(), JSRegex.isDigit(d) {
                    i -= 1
                    return (JSRegex.hex(octal()), true)
                }
                return (JSRegex.hex(0), true)
            case "k" where hasNamedGroups:
                guard peek() == "<" else { return nil }
                i += 1
                guard let name = groupName(), let index = namedGroupIndex(name), lookBehindDepth == 0 else { return nil }
                return (backReference(index), true)
            default:
                return (escapedCharacter(e, inClass: false), true)
            }
        }

        /// `\N`: empty where JavaScript's group is certainly unset (not closed yet, or inside a negative
        /// look-around that the reference is outside of).
        mutating func backReference(_ n: Int) -> String {
            hasBackReferences = true
            guard closed.contains(n) else { return "(?:)" }
            if let owner = negativeOwner[n], !negativeStack.contains(owner) { return "(?:)" }
            // In another alternative of a disjunction that holds both, the group is unset (a repetition clears
            // the groups inside it at each pass).
            for (g, r) in zip(groupAlternatives[n] ?? [], alternatives) where g.disjunction == r.disjunction {
                if g.alternative != r.alternative { return "(?:)" }
            }
            let numbers = [icuGroup[n]!] + (emptyGroups[n] ?? [])
            return "(?:" + numbers.map { "\\\($0)" }.joined(separator: "|") + ")"
        }

        /// The group number of a named group anywhere in the pattern.
        func namedGroupIndex(_ name: String) -> Int? { namedGroups[name] }

        /// A character escape (control, hex, identity) whose `\` and letter `e` were read.
        mutating func escapedCharacter(_ e: Unicode.Scalar, inClass: Bool) -> String {
            JSRegex.hex(escapedValue(e, inClass: inClass))
        }

        mutating func escapedValue(_ e: Unicode.Scalar, inClass: Bool) -> UInt32 {
            switch e {
            case "f": return 0x0C
            case "n": return 0x0A
            case "r": return 0x0D
            case "t": return 0x09
            case "v": return 0x0B
            case "c":
                if let l = peek(), JSRegex.isASCIILetter(l) || (inClass && (JSRegex.isDigit(l) || l == "_")) {
                    i += 1
                    return l.value & 0x1F
                }
                // `\c` without a control letter is a backslash; the `c` is read again.
                i -= 1
                return 0x5C
            case "x", "u":
                return hexEscape(e) ?? e.value
            default:
                return e.value  // identity escape
            }
        }

        /// A class `[…]` in ICU syntax; nil for a SyntaxError.
        mutating func characterClass() -> String? {
            i += 1
            var negated = false
            if peek() == "^" {
                negated = true
                i += 1
            }
            enum Atom { case char(UInt32), set([ClosedRange<UInt32>]) }
            var body = ""
            var empty = true
            func add(_ a: Atom) {
                empty = false
                switch a {
                case .char(let v): body += JSRegex.hex(v)
                case .set(let r): body += JSRegex.classBody(r)
                }
            }
            /// One class atom; nil at the end of the pattern or for an invalid escape.
            func atom(_ t: inout Translator) -> Atom? {
                guard let c = t.peek() else { return nil }
                t.i += 1
                guard c == "\\" else { return .char(c.value) }
                guard let e = t.peek() else { return nil }
                t.i += 1
                switch e {
                case "d", "D", "w", "W", "s", "S": return .set(JSRegex.escapeRanges(e))
                case "b": return .char(0x08)
                case "0"..."7":
                    t.i -= 1
                    return .char(t.octal())
                case "k" where t.hasNamedGroups:
                    return nil  // with named groups, `\k` is no identity escape
                default: return .char(t.escapedValue(e, inClass: true))
                }
            }
            while let c = peek(), c != "]" {
                guard let first = atom(&self) else { return nil }
                guard peek() == "-" else { add(first); continue }
                i += 1
                guard let n = peek() else { return nil }
                if n == "]" {
                    add(first)
                    add(.char(0x2D))
                    break
                }
                guard let second = atom(&self) else { return nil }
                switch (first, second) {
                case (.char(let a), .char(let b)):
                    let (lo, hi) = (JSRegex.codeUnit(a), JSRegex.codeUnit(b))
                    guard lo <= hi else { return nil }  // range out of order
                    empty = false
                    body += JSRegex.unitRange(lo, hi)
                default:
                    // A class escape ends no range: both atoms and the `-` itself.
                    add(first)
                    add(.char(0x2D))
                    add(second)
                }
            }
            guard peek() == "]" else { return nil }
            i += 1
            if empty { return negated ? "[\\x{0}-\\x{10ffff}]" : "(?:(?!))" }  // quantifiable
            return "[" + (negated ? "^" : "") + body + "]"
        }
    }
}
