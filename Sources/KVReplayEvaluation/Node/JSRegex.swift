/// `new RegExp(pattern).test(s)` (no flags) on ICU: the pattern is rewritten so that ICU gives JavaScript's answers
/// where the two syntaxes disagree on the same text:
///
/// | JS (non-Unicode mode) | ICU | rewritten as |
/// |---|---|---|
/// | `\d` `\w` `\b` are ASCII | Unicode | explicit ASCII classes and look-arounds |
/// | `\s` is WhiteSpace + LineTerminator | `[\t\n\f\r\p{Z}]` | the JS set |
/// | `.` excludes `\n \r \u2028 \u2029` | also `\u0085`, `\r\n` as one | `[^\n\r\u2028\u2029]` |
/// | `$` is the end of input | also before a final line terminator | `(?![\s\S])` |
/// | `[^]` any character, `[]` nothing | syntax errors | `[\s\S]`, `(?!)` |
/// | `\/` and other identity escapes | errors on some letters | the literal character |
///
/// A pattern that neither engine can read is nil (statsig-node catches the `SyntaxError` and answers false).
enum JSRegex {
    static func icuPattern(_ js: String) -> String? {
        let s = Array(js.unicodeScalars)
        var out = ""
        var i = 0
        var inClass = false
        let word = "A-Za-z0-9_"
        let space = "\\t\\n\\u000B\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF"
        while i < s.count {
            let c = s[i]
            if c == "\\" {
                guard i + 1 < s.count else { return nil }  // a trailing backslash is a SyntaxError
                let e = s[i + 1]
                i += 2
                switch e {
                case "d": out += inClass ? "0-9" : "[0-9]"
                case "D": out += inClass ? "\\x{0}-/:-\\x{10FFFF}" : "[^0-9]"
                case "w": out += inClass ? word : "[\(word)]"
                case "W": out += inClass ? "\\x{0}-/:-@\\[-^`{-\\x{10FFFF}" : "[^\(word)]"
                case "s": out += inClass ? space : "[\(space)]"
                case "S": out += inClass ? "\\x{0}-\\x{8}\\x{E}-\\x{1F}!-\\x{9F}\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}\\x{200B}-\\x{2027}\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{FEFE}\\x{FF00}-\\x{10FFFF}" : "[^\(space)]"
                case "b":
                    if inClass { out += "\\x{8}" } else { out += "(?:(?<=[\(word)])(?![\(word)])|(?<![\(word)])(?=[\(word)]))" }
                case "B":
                    if inClass { out += "B" } else { out += "(?:(?<=[\(word)])(?=[\(word)])|(?<![\(word)])(?![\(word)]))" }
                case "n", "r", "t", "f", "v", "0":
                    if e == "v" { out += "\\x{B}" } else if e == "0" { out += "\\x{0}" } else { out.unicodeScalars.append("\\"); out.unicodeScalars.append(e) }
                case "x", "u", "c":
                    out.unicodeScalars.append("\\")
                    out.unicodeScalars.append(e)
                case "1", "2", "3", "4", "5", "6", "7", "8", "9":
                    out.unicodeScalars.append("\\")
                    out.unicodeScalars.append(e)
                case "k":
                    out += "\\k"
                default:
                    // Identity escape: the character itself, quoted for ICU when it is not a letter or digit.
                    if e.properties.isAlphabetic || (e.value >= 0x30 && e.value <= 0x39) {
                        out.unicodeScalars.append(e)
                    } else {
                        out += "\\x{\(String(e.value, radix: 16))}"
                    }
                }
                continue
            }
            if inClass {
                if c == "]" { inClass = false; out += "]"; i += 1; continue }
                if c == "[" { out += "\\["; i += 1; continue }
                if c == "&" { out += "\\&"; i += 1; continue }
                out.unicodeScalars.append(c)
                i += 1
                continue
            }
            switch c {
            case "[":
                if i + 1 < s.count, s[i + 1] == "]" {
                    out += "(?!)"
                    i += 2
                    continue
                }
                if i + 2 < s.count, s[i + 1] == "^", s[i + 2] == "]" {
                    out += "[\\s\\S]"
                    i += 3
                    continue
                }
                inClass = true
                out += "["
                i += 1
                if i < s.count, s[i] == "^" { out += "^"; i += 1 }
            case ".":
                out += "[^\\n\\r\\u2028\\u2029]"
                i += 1
            case "$":
                out += "(?![\\s\\S])"
                i += 1
            default:
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        if inClass { return nil }
        return out
    }
}
