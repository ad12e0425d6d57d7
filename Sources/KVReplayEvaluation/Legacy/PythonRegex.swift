import Foundation

/// A Python `re` pattern run on ICU (`NSRegularExpression`), for the legacy SDK's `str_matches` (`re.search`) and
/// for the uap-core rules of its user-agent parser.
///
/// The pattern is translated where the two dialects differ on things that occur in practice: Python's `.` excludes
/// only `\n` and `$` matches only before a final `\n` (ICU excludes and accepts every line terminator); `\s`, `\w`
/// and `\W` use Python's definitions; `\Z` is the end of the text; `(?P<name>…)` and `(?P=name)`; a `{` that is no
/// quantifier, `{,n}`; `[`, `&`, `-`, `:`, `{`, `}` and `$` inside a class are literal. A pattern Python rejects
/// (an escape such as `\e` or `\p` that Python does not know, an unbalanced parenthesis, an invalid quantifier, ...) gives nil,
/// and so does a pattern ICU cannot compile. Known gaps: Python's rule that a look-behind has a fixed width, `\b` on
/// non-ASCII letters outside Python's `\w`, and the verbose flag's comments.
///
/// `NSRegularExpression` is documented as safe to share between threads.
final class PythonRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    let groupCount: Int
    /// For each capture group (1-based), the enclosing capture group, 0 for none.
    private let parent: [Int]

    /// `str_matches` searches with a work budget (payload patterns are untrusted); nil for the uap-core rules.
    private let bounded: BoundedRegex?

    /// `bounded`: `matches` runs with `BoundedRegex`'s work budget, a runaway match counting as no match (Python
    /// itself would never return).
    init?(_ pattern: String, bounded: Bool = false) {
        // ICU refuses an empty pattern, which matches everywhere.
        guard let t = PythonRegex.translate(pattern),
              let r = try? NSRegularExpression(pattern: t.pattern.isEmpty ? "(?:)" : t.pattern, options: t.options)
        else { return nil }
        regex = r
        if bounded {
            guard let b = BoundedRegex(pattern: t.pattern.isEmpty ? "(?:)" : t.pattern,
                                       caseInsensitive: t.options.contains(.caseInsensitive),
                                       comments: t.options.contains(.allowCommentsAndWhitespace))
            else { return nil }
            self.bounded = b
        } else {
            self.bounded = nil
        }
        groupCount = r.numberOfCaptureGroups
        guard groupCount == t.parents.count - 1 else { return nil }
        parent = t.parents
    }

    /// `re.search(pattern, s) is not None`.
    func matches(_ s: String) -> Bool {
        if let bounded { return bounded.firstMatch(in: s) ?? false }
        let ns = s as NSString
        return regex.firstMatch(in: s, options: [], range: NSRange(location: 0, length: ns.length)) != nil
    }

    /// The result of `re.search`: each group's text (nil when it did not participate) and `match.lastindex`.
    struct Match {
        var groups: [String?]
        var lastIndex: Int?

        subscript(i: Int) -> String? { i < groups.count ? groups[i] : nil }
    }

    func search(_ s: String) -> Match? {
        let ns = s as NSString
        guard let m = regex.firstMatch(in: s, options: [], range: NSRange(location: 0, length: ns.length)) else { return nil }
        var groups: [String?] = []
        groups.reserveCapacity(groupCount + 1)
        var last: Int? = nil
        var lastEnd = -1
        for i in 0...groupCount {
            let r = m.range(at: i)
            if r.location == NSNotFound {
                groups.append(nil)
                continue
            }
            groups.append(ns.substring(with: r))
            guard i > 0 else { continue }
            // lastindex: the group that closed last. Groups close in order of their end; at the same end, an
            // enclosing group closes after the groups inside it, otherwise the later group closes later.
            let end = r.location + r.length
            if end > lastEnd || (end == lastEnd && !isAncestor(last!, of: i)) {
                last = i
                lastEnd = end
            }
        }
        return Match(groups: groups, lastIndex: last)
    }

    private func isAncestor(_ a: Int, of b: Int) -> Bool {
        var p = parent[b]
        while p != 0 {
            if p == a { return true }
            p = parent[p]
        }
        return false
    }

    // MARK: translation

    struct Translation {
        var pattern: String
        var options: NSRegularExpression.Options
        /// parents[i] = enclosing capture group of group i (index 0 unused).
        var parents: [Int]
    }

    private static let space = #"\s\x{0B}\x{1C}-\x{1F}\x{85}"#
    private static let word = #"\p{L}\p{N}_"#

    static func translate(_ pattern: String) -> Translation? {
        let p = Array(pattern.unicodeScalars)
        var out = ""
        var i = 0
        var options: NSRegularExpression.Options = []
        var dotAll = false, multiline = false, ascii = false

        // Global flags, allowed only at the start in Python 3.11.
        while i + 2 < p.count, p[i] == "(", p[i + 1] == "?", p[i + 2] != ":", "aiLmsux".unicodeScalars.contains(p[i + 2]) {
            var j = i + 2
            var flags: [Unicode.Scalar] = []
            while j < p.count, "aiLmsux".unicodeScalars.contains(p[j]) { flags.append(p[j]); j += 1 }
            guard j < p.count else { return nil }
            if p[j] == ":" || p[j] == "-" { break }  // a scoped group, handled below
            guard p[j] == ")" else { return nil }
            for f in flags {
                switch f {
                case "i": options.insert(.caseInsensitive)
                case "s": dotAll = true
                case "m": multiline = true
                case "x": options.insert(.allowCommentsAndWhitespace)
                case "a": ascii = true
                case "L": return nil  // not allowed with str patterns
                default: break
                }
            }
            i = j + 1
        }
        let spaceSet = ascii ? #" \t\n\r\f\x{0B}"# : space
        let wordSet = ascii ? "A-Za-z0-9_" : word
        let digitSet = ascii ? "0-9" : #"\p{Nd}"#

        var parents: [Int] = [0]
        var stack: [Int] = []  // enclosing capture group per open parenthesis (0 for non-capturing)
        var canRepeat = false

        func hexEscape(_ v: UInt32) -> String { "\\x{" + String(v, radix: 16) + "}" }

        /// Reads `\x..`, `\u....`, `\U........`, an octal escape or a single-character escape at p[k] (after the
        /// backslash); returns the code point and the index after it, or nil when Python rejects it.
        func literalEscape(_ k: Int, inClass: Bool) -> (UInt32, Int)? {
            let c = p[k]
            func hex(_ n: Int) -> (UInt32, Int)? {
                guard k + n < p.count else { return nil }
                var v: UInt32 = 0
                for d in p[(k + 1)...(k + n)] {
                    guard let h = UInt32(String(d), radix: 16) else { return nil }
                    v = v * 16 + h
                }
                return (v, k + n + 1)
            }
            switch c {
            case "x": return hex(2)
            case "u": return hex(4)
            case "U":
                guard let r = hex(8), r.0 <= 0x10FFFF else { return nil }
                return r
            case "n": return (0x0A, k + 1)
            case "t": return (0x09, k + 1)
            case "r": return (0x0D, k + 1)
            case "f": return (0x0C, k + 1)
            case "v": return (0x0B, k + 1)
            case "a": return (0x07, k + 1)
            case "b" where inClass: return (0x08, k + 1)
            case "0"..."7":
                // Octal: \0, \0o, \0oo, or (in a class, or three digits) \ooo.
                var j = k
                var v: UInt32 = 0
                while j < p.count, j - k < 3, ("0"..."7").contains(p[j]) { v = v * 8 + (p[j].value - 48); j += 1 }
                if c == "0" || inClass || j - k == 3 {
                    guard v <= 0o377 else { return nil }
                    return (v, j)
                }
                return nil
            default:
                if c.value < 0x80 && (c.properties.isAlphabetic || ("0"..."9").contains(c)) { return nil }
                return (c.value, k + 1)
            }
        }

        while i < p.count {
            let c = p[i]
            switch c {
            case "\\":
                guard i + 1 < p.count else { return nil }
                let e = p[i + 1]
                switch e {
                case "d": out += "[" + digitSet + "]"; i += 2
                case "D": out += "[^" + digitSet + "]"; i += 2
                case "s": out += "[" + spaceSet + "]"; i += 2
                case "S": out += "[^" + spaceSet + "]"; i += 2
                case "w": out += "[" + wordSet + "]"; i += 2
                case "W": out += "[^" + wordSet + "]"; i += 2
                case "b", "B", "A":
                    // Anchors: nothing may repeat them.
                    out += "\\" + String(e)
                    i += 2
                    canRepeat = false
                    continue
                case "Z":
                    out += "\\z"
                    i += 2
                    canRepeat = false
                    continue
                case "N":
                    guard i + 2 < p.count, p[i + 2] == "{", let close = p[(i + 3)...].firstIndex(of: "}") else { return nil }
                    out += String(String.UnicodeScalarView(p[i...close]))
                    i = close + 1
                case "1"..."9":
                    // A backreference (one or two digits), unless it reads as a three-digit octal escape.
                    if let (v, next) = literalEscape(i + 1, inClass: false) {
                        out += hexEscape(v)
                        i = next
                    } else {
                        var j = i + 1
                        var n = 0
                        while j < p.count, j - i <= 2, ("0"..."9").contains(p[j]) { n = n * 10 + Int(p[j].value - 48); j += 1 }
                        guard n < parents.count else { return nil }  // reference to an unknown (or open) group
                        out += "\\" + String(n)
                        i = j
                    }
                default:
                    guard let (v, next) = literalEscape(i + 1, inClass: false) else { return nil }
                    out += hexEscape(v)
                    i = next
                }
                canRepeat = true
            case "[":
                guard let (set, next) = translateClass(p, i + 1, spaceSet: spaceSet, wordSet: wordSet, digitSet: digitSet,
                                                       literalEscape: literalEscape)
                else { return nil }
                out += set
                i = next
                canRepeat = true
            case "(":
                if i + 1 < p.count && p[i + 1] == "?" {
                    guard i + 2 < p.count else { return nil }
                    let k = p[i + 2]
                    if k == "#" {
                        guard let close = p[(i + 3)...].firstIndex(of: ")") else { return nil }
                        i = close + 1
                        continue
                    }
                    if k == "P" {
                        guard i + 3 < p.count else { return nil }
                        if p[i + 3] == "<" {
                            guard let close = p[(i + 4)...].firstIndex(of: ">") else { return nil }
                            let name = String(String.UnicodeScalarView(p[(i + 4)..<close]))
                            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.value < 0x80 && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else { return nil }
                            parents.append(stack.last(where: { $0 != 0 }) ?? 0)
                            stack.append(parents.count - 1)
                            out += "(?<" + name + ">"
                            i = close + 1
                            canRepeat = false
                            continue
                        }
                        if p[i + 3] == "=" {
                            guard let close = p[(i + 4)...].firstIndex(of: ")") else { return nil }
                            out += "\\k<" + String(String.UnicodeScalarView(p[(i + 4)..<close])) + ">"
                            i = close + 1
                            canRepeat = true
                            continue
                        }
                        return nil
                    }
                    // (?:  (?=  (?!  (?<=  (?<!  (?>  and scoped flags (?i:...) / (?-i:...)
                    var j = i + 2
                    if p[j] == "<" { j += 1 }
                    while j < p.count, "aiLmsux-".unicodeScalars.contains(p[j]) { j += 1 }
                    guard j < p.count, [":", "=", "!", ">"].contains(p[j]) else { return nil }
                    out += String(String.UnicodeScalarView(p[i...j]))
                    stack.append(0)
                    i = j + 1
                } else {
                    parents.append(stack.last(where: { $0 != 0 }) ?? 0)
                    stack.append(parents.count - 1)
                    out += "("
                    i += 1
                }
                canRepeat = false
            case ")":
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
                out += ")"
                i += 1
                canRepeat = true
            case ".":
                out += dotAll ? #"[\s\S]"# : #"[^\n]"#
                i += 1
                canRepeat = true
            case "$":
                out += multiline ? #"(?=\n|\z)"# : #"(?=\n?\z)"#
                i += 1
                canRepeat = false
            case "^":
                out += multiline ? #"(?:(?<=\n)|\A)"# : "^"
                i += 1
                canRepeat = false
            case "*", "+", "?":
                guard canRepeat else { return nil }
                out.unicodeScalars.append(c)
                i += 1
                // A lazy or possessive suffix.
                if i < p.count, p[i] == "?" || p[i] == "+" { out.unicodeScalars.append(p[i]); i += 1 }
                canRepeat = false
            case "{":
                // {m}, {m,}, {,n}, {m,n}, {,}: a quantifier; anything else: a literal brace.
                var j = i + 1
                var lo = ""
                var hi = ""
                var comma = false
                while j < p.count, ("0"..."9").contains(p[j]) { lo.unicodeScalars.append(p[j]); j += 1 }
                if j < p.count, p[j] == "," {
                    comma = true
                    j += 1
                    while j < p.count, ("0"..."9").contains(p[j]) { hi.unicodeScalars.append(p[j]); j += 1 }
                }
                if j < p.count, p[j] == "}", !(lo.isEmpty && !comma) {
                    guard canRepeat else { return nil }
                    if !comma { hi = lo }
                    if let l = Int(lo), let h = Int(hi), l > h { return nil }
                    out += "{" + (lo.isEmpty ? "0" : lo) + (comma ? "," + hi : "") + "}"
                    i = j + 1
                    if i < p.count, p[i] == "?" || p[i] == "+" { out.unicodeScalars.append(p[i]); i += 1 }
                    canRepeat = false
                } else {
                    out += "\\{"
                    i += 1
                    canRepeat = true
                }
            case "}":
                out += "\\}"
                i += 1
                canRepeat = true
            case "|":
                out += "|"
                i += 1
                canRepeat = false
            default:
                if c.value < 0x80 && !(c.properties.isAlphabetic || ("0"..."9").contains(c) || c == " " || c == "_") {
                    out += hexEscape(c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
                i += 1
                canRepeat = true
            }
        }
        guard stack.isEmpty else { return nil }
        return Translation(pattern: out, options: options, parents: parents)
    }

    /// A character class starting after `[`; returns the ICU set and the index after the closing `]`.
    private static func translateClass(
        _ p: [Unicode.Scalar], _ start: Int, spaceSet: String, wordSet: String, digitSet: String,
        literalEscape: (Int, Bool) -> (UInt32, Int)?
    ) -> (String, Int)? {
        var i = start
        var out = "["
        if i < p.count, p[i] == "^" { out += "^"; i += 1 }
        // A single code point (a range end) or a class escape; `dash` marks an unescaped '-'.
        var items: [(point: UInt32?, set: String, dash: Bool)] = []
        var first = true
        while i < p.count {
            let c = p[i]
            if c == "]" && !first { break }
            first = false
            if c == "\\" {
                guard i + 1 < p.count else { return nil }
                let e = p[i + 1]
                switch e {
                case "d": items.append((nil, digitSet, false)); i += 2
                case "D": items.append((nil, "[^" + digitSet + "]", false)); i += 2
                case "s": items.append((nil, spaceSet, false)); i += 2
                case "S": items.append((nil, "[^" + spaceSet + "]", false)); i += 2
                case "w": items.append((nil, wordSet, false)); i += 2
                case "W": items.append((nil, "[^" + wordSet + "]", false)); i += 2
                case "N":
                    guard i + 2 < p.count, p[i + 2] == "{", let close = p[(i + 3)...].firstIndex(of: "}") else { return nil }
                    items.append((nil, String(String.UnicodeScalarView(p[i...close])), false))
                    i = close + 1
                default:
                    guard let (v, next) = literalEscape(i + 1, true) else { return nil }
                    items.append((v, "", false))
                    i = next
                }
                continue
            }
            items.append((c.value, "", c == "-"))
            i += 1
        }
        guard i < p.count else { return nil }  // no closing bracket
        // Ranges: a - b between two single characters; any other '-' is literal.
        var k = 0
        while k < items.count {
            let (v, cls, _) = items[k]
            if let v {
                if k + 2 < items.count, items[k + 1].dash, let hi = items[k + 2].point {
                    guard v <= hi else { return nil }
                    out += "\\x{" + String(v, radix: 16) + "}-\\x{" + String(hi, radix: 16) + "}"
                    k += 3
                    continue
                }
                out += "\\x{" + String(v, radix: 16) + "}"
            } else {
                out += cls
            }
            k += 1
        }
        out += "]"
        if out == "[]" || out == "[^]" { return nil }
        return (out, i + 1)
    }
}
