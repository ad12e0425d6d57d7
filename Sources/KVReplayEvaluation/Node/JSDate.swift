/// `new Date(string).getTime()` as V8 (Node.js 20, Cloudflare workerd) computes it with the local time zone UTC:
/// milliseconds since the epoch, or NaN for an Invalid Date.
///
/// This follows the shape of V8's date parser (`src/date/dateparser*`): the text is read as UTF-16 code units by a
/// one-token-look-ahead tokenizer; an ES5 ISO date-time (`[±yy]yyyy[-MM[-DD]][THH:mm[:ss[.s…]][Z|±hh:mm|±hhmm]]`)
/// is tried first, and whatever it leaves is read by the legacy parser, which gathers numbers into day and time
/// components, month names, AM/PM, time-zone names and `±hh[mm]` offsets. Its quirks are kept on purpose:
/// - a U+0000 code unit ends the text; parenthesised text is skipped (unbalanced to the end);
/// - a number keeps only its first 9 digits after its leading zeros (its length counts them all), a fraction
///   its first 3 by that length (so `.0001234567899` is 123 ms);
/// - a word is a run of code units ≥ `A` that are not white space (so `[`, `_`, `é`, U+2028 and U+0085 are
///   letters), matched on its first three letters lower-cased by `| 0x20`; only month names may be longer;
/// - the day composer always holds three components once written (missing ones are 1), so `"12"` is
///   2001-12-01 and `"Jan 5"` 2001-01-05; legacy years 0–49 are 2000–2049 and 50–99 are 1950–1999;
/// - a `±hh:` offset ignores its minutes, and an offset's seconds are checked in 32-bit unsigned arithmetic.
/// Checked against Node 20 in `Tests/KVReplayEvaluationTests/Fixtures/js_date_cases.jsonl.gz`.
enum JSDate {
    static func parse(_ text: String) -> Double {
        var parser = Parser(Array(text.utf16))
        guard let f = parser.parse() else { return .nan }
        // MakeDay / MakeTime / MakeDate on integers (every field here is a small integer), then the offset.
        guard f.year >= -1_000_000, f.year <= 1_000_000 else { return .nan }
        let days = daysFromCivil(Int64(f.year), Int64(f.month), 1) + Int64(f.day) - 1
        let time = Int64(f.hour) * 3_600_000 + Int64(f.minute) * 60_000 + Int64(f.second) * 1000 + Int64(f.millisecond)
        var t = days * 86_400_000 + time
        if let offset = f.utcOffset { t -= Int64(offset) * 1000 }
        // With the local zone UTC, a local date-time needs no conversion; TimeClip.
        if t > 8_640_000_000_000_000 || t < -8_640_000_000_000_000 { return .nan }
        return Double(t)
    }

    /// Days from 1970-01-01 to the first of `month` (1–12) of the proleptic Gregorian `year`, plus `day - 1`.
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    struct Fields {
        var year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millisecond = 0
        var utcOffset: Int?
    }

    // MARK: - Tokens

    enum KeywordType: Equatable { case invalid, monthName, timeZoneName, timeSeparator, amPm }

    enum Token: Equatable {
        case invalid
        case unknown
        case number(value: Int, length: Int)
        case symbol(UInt16)
        case whiteSpace
        case endOfInput
        case keyword(KeywordType, value: Int, length: Int)

        var isNumber: Bool { if case .number = self { true } else { false } }
        var number: Int { if case .number(let v, _) = self { v } else { 0 } }
        var length: Int {
            switch self {
            case .number(_, let l), .keyword(_, _, let l): l
            case .symbol, .unknown: 1
            default: 0
            }
        }
        func isFixedLengthNumber(_ n: Int) -> Bool { if case .number(_, let l) = self { l == n } else { false } }
        func isSymbol(_ c: Character) -> Bool { if case .symbol(let s) = self { s == c.utf16.first! } else { false } }
        var isAsciiSign: Bool { isSymbol("+") || isSymbol("-") }
        /// 1 for `+`, -1 for `-`.
        var asciiSign: Int { isSymbol("-") ? -1 : 1 }
        var isKeywordZ: Bool { if case .keyword(.timeZoneName, 0, 1) = self { true } else { false } }
        func isKeywordType(_ t: KeywordType) -> Bool { if case .keyword(let k, _, _) = self { k == t } else { false } }
    }

    static let none = Int(Int32.max)
    static let maxSignificantDigits = 9

    static func between(_ x: Int, _ lo: Int, _ hi: Int) -> Bool { x >= lo && x <= hi }
    static func isMinute(_ x: Int) -> Bool { between(x, 0, 59) }
    static func isHour(_ x: Int) -> Bool { between(x, 0, 23) }
    static func isMonth(_ x: Int) -> Bool { between(x, 1, 12) }
    static func isDay(_ x: Int) -> Bool { between(x, 1, 31) }

    /// ECMAScript WhiteSpace (without the line terminators) as of Unicode 15.
    static func isWhiteSpace(_ c: UInt16) -> Bool {
        switch c {
        case 0x09, 0x0B, 0x0C, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    static func isWhiteSpaceOrLineTerminator(_ c: UInt16) -> Bool {
        isWhiteSpace(c) || c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029
    }

    /// The keyword table: three-letter prefix, type, value.
    static let keywords: [(String, KeywordType, Int)] = [
        ("jan", .monthName, 1), ("feb", .monthName, 2), ("mar", .monthName, 3), ("apr", .monthName, 4),
        ("may", .monthName, 5), ("jun", .monthName, 6), ("jul", .monthName, 7), ("aug", .monthName, 8),
        ("sep", .monthName, 9), ("oct", .monthName, 10), ("nov", .monthName, 11), ("dec", .monthName, 12),
        ("am", .amPm, 0), ("pm", .amPm, 12),
        ("ut", .timeZoneName, 0), ("utc", .timeZoneName, 0), ("z", .timeZoneName, 0), ("gmt", .timeZoneName, 0),
        ("cdt", .timeZoneName, -5), ("cst", .timeZoneName, -6), ("edt", .timeZoneName, -4), ("est", .timeZoneName, -5),
        ("mdt", .timeZoneName, -6), ("mst", .timeZoneName, -7), ("pdt", .timeZoneName, -7), ("pst", .timeZoneName, -8),
        ("t", .timeSeparator, 0),
    ]

    static let keywordPrefixes: [[UInt32]] = keywords.map { k in
        var p = k.0.unicodeScalars.map(\.value)
        while p.count < 3 { p.append(0) }
        return p
    }

    static func lookup(_ prefix: [UInt32], _ length: Int) -> Token {
        for (i, p) in keywordPrefixes.enumerated() where p == prefix {
            let (_, type, value) = keywords[i]
            if length <= 3 || type == .monthName { return .keyword(type, value: value, length: length) }
        }
        return .keyword(.invalid, value: 0, length: length)
    }

    // MARK: - Composers

    struct TimeZoneComposer {
        var sign = JSDate.none, hour = JSDate.none, minute = JSDate.none
        mutating func set(_ offsetInHours: Int) {
            sign = offsetInHours < 0 ? -1 : 1
            hour = offsetInHours * sign
            minute = 0
        }
        mutating func setSign(_ s: Int) { sign = s < 0 ? -1 : 1 }
        func isExpecting(_ n: Int) -> Bool { hour != JSDate.none && minute == JSDate.none && JSDate.isMinute(n) }
        var isUTC: Bool { hour == 0 && minute == 0 }
        var isEmpty: Bool { hour == JSDate.none }
        /// nil: invalid; .some(nil): no offset.
        func write() -> Int?? {
            guard sign != JSDate.none else { return .some(nil) }
            let h = hour == JSDate.none ? 0 : hour
            let m = minute == JSDate.none ? 0 : minute
            let total = UInt32(truncatingIfNeeded: h) &* 3600 &+ UInt32(truncatingIfNeeded: m) &* 60
            if total > UInt32(Int32.max) { return nil }
            return .some(sign < 0 ? -Int(total) : Int(total))
        }
    }

    struct TimeComposer {
        var comp = [Int](repeating: 0, count: 4)
        var index = 0
        var hourOffset = JSDate.none
        var isEmpty: Bool { index == 0 }
        func isExpecting(_ n: Int) -> Bool {
            (index == 1 && JSDate.isMinute(n)) || (index == 2 && JSDate.isMinute(n)) || (index == 3 && JSDate.between(n, 0, 999))
        }
        mutating func add(_ n: Int) -> Bool {
            guard index < 4 else { return false }
            comp[index] = n
            index += 1
            return true
        }
        mutating func addFinal(_ n: Int) -> Bool {
            guard add(n) else { return false }
            while index < 4 { comp[index] = 0; index += 1 }
            return true
        }
        func write(_ f: inout Fields) -> Bool {
            var hour = comp[0]
            let minute = index > 1 ? comp[1] : 0, second = index > 2 ? comp[2] : 0, ms = index > 3 ? comp[3] : 0
            if index == 0 { hour = 0 }
            if hourOffset != JSDate.none {
                guard JSDate.between(hour, 0, 12) else { return false }
                hour = hour % 12 + hourOffset
            }
            if !JSDate.isHour(hour) || !JSDate.isMinute(minute) || !JSDate.isMinute(second) || !JSDate.between(ms, 0, 999) {
                if hour != 24 || minute != 0 || second != 0 || ms != 0 { return false }
            }
            f.hour = hour; f.minute = minute; f.second = second; f.millisecond = ms
            return true
        }
    }

    struct DayComposer {
        var comp = [Int](repeating: 0, count: 3)
        var index = 0
        var namedMonth = JSDate.none
        var isISODate = false
        var isEmpty: Bool { index == 0 }
        mutating func add(_ n: Int) -> Bool {
            guard index < 3 else { return false }
            comp[index] = n
            index += 1
            return true
        }
        func write(_ f: inout Fields) -> Bool {
            guard index >= 1 else { return false }
            var c = comp
            for i in index..<3 { c[i] = 1 }
            // From here V8 holds three components, whatever was read.
            var year = 0, month: Int, day: Int
            if namedMonth == JSDate.none {
                if isISODate || !JSDate.isDay(c[0]) {
                    (year, month, day) = (c[0], c[1], c[2])
                } else {
                    (month, day, year) = (c[0], c[1], c[2])
                }
            } else {
                month = namedMonth
                if !JSDate.isDay(c[0]) { (year, day) = (c[0], c[1]) } else { (day, year) = (c[0], c[1]) }
            }
            if !isISODate {
                if JSDate.between(year, 0, 49) { year += 2000 } else if JSDate.between(year, 50, 99) { year += 1900 }
            }
            guard JSDate.isMonth(month), JSDate.isDay(day) else { return false }
            f.year = year; f.month = month; f.day = day
            return true
        }
    }

    /// The first three significant digits of a fraction, from its value (at most 9 digits) and its length.
    static func readMilliseconds(_ token: Token) -> Int {
        var number = token.number
        var length = token.length
        if length == 1 { number *= 100 } else if length == 2 { number *= 10 } else if length > 3 {
            length = min(length, maxSignificantDigits)
            var factor = 1
            repeat { factor *= 10; length -= 1 } while length > 3
            number /= factor
        }
        return number
    }

    // MARK: - Parser

    struct Parser {
        let text: [UInt16]
        /// The index of the code unit after `ch`.
        var index = 0
        var ch: UInt16 = 0
        var next: Token = .endOfInput

        init(_ text: [UInt16]) {
            self.text = text
            advance()
            next = scan()
        }

        mutating func advance() {
            ch = index < text.count ? text[index] : 0
            index += 1
        }

        var isDigit: Bool { ch >= 0x30 && ch <= 0x39 }

        mutating func scan() -> Token {
            let start = index
            if ch == 0 { return .endOfInput }
            if isDigit {
                // Leading zeros are skipped before the significant digits are counted (the length counts them).
                while ch == 0x30 { advance() }
                var n = 0, i = 0
                while isDigit {
                    if i < JSDate.maxSignificantDigits { n = n * 10 + Int(ch - 0x30) }
                    i += 1
                    advance()
                }
                return .number(value: n, length: index - start)
            }
            switch ch {
            case 0x3A, 0x2D, 0x2B, 0x2E, 0x29:  // : - + . )
                let s = ch
                advance()
                return .symbol(s)
            default: break
            }
            if ch >= 0x41 && !JSDate.isWhiteSpace(ch) {
                var prefix: [UInt32] = [0, 0, 0]
                var length = 0
                while ch >= 0x41 && !JSDate.isWhiteSpace(ch) {
                    if length < 3 { prefix[length] = UInt32(ch) | 0x20 }
                    length += 1
                    advance()
                }
                return JSDate.lookup(prefix, length)
            }
            if JSDate.isWhiteSpaceOrLineTerminator(ch) {
                advance()
                return .whiteSpace
            }
            if ch == 0x28 {  // (
                var balance = 0
                repeat {
                    if ch == 0x29 { balance -= 1 } else if ch == 0x28 { balance += 1 }
                    advance()
                } while balance > 0 && ch != 0
                return .unknown
            }
            advance()
            return .unknown
        }

        mutating func nextToken() -> Token {
            let t = next
            next = scan()
            return t
        }

        mutating func skipSymbol(_ c: Character) -> Bool {
            guard next.isSymbol(c) else { return false }
            next = scan()
            return true
        }

        mutating func parse() -> Fields? {
            var tz = TimeZoneComposer(), time = TimeComposer(), day = DayComposer()
            var token = parseES5(&day, &time, &tz)
            if token == .invalid { return nil }
            var hasReadNumber = !day.isEmpty
            while token != .endOfInput {
                defer { token = nextToken() }
                switch token {
                case .number(let n, _):
                    hasReadNumber = true
                    if skipSymbol(":") {
                        if skipSymbol(":") {
                            guard time.isEmpty else { return nil }
                            _ = time.add(n)
                            _ = time.add(0)
                        } else {
                            guard time.add(n) else { return nil }
                            if next.isSymbol(".") { _ = nextToken() }
                        }
                    } else if skipSymbol("."), time.isExpecting(n) {
                        _ = time.add(n)
                        guard next.isNumber else { return nil }
                        let ms = JSDate.readMilliseconds(nextToken())
                        if ms < 0 { return nil }
                        _ = time.addFinal(ms)
                    } else if tz.isExpecting(n) {
                        tz.minute = n
                    } else if time.isExpecting(n) {
                        _ = time.addFinal(n)
                        // End, white space, "Z", "+" or "-" must follow a completed time.
                        if next != .endOfInput, next != .whiteSpace, !next.isKeywordZ, !next.isAsciiSign { return nil }
                    } else {
                        guard day.add(n) else { return nil }
                        _ = skipSymbol("-")
                    }
                case .keyword(let type, let value, _):
                    if type == .amPm, !time.isEmpty {
                        time.hourOffset = value
                    } else if type == .monthName {
                        day.namedMonth = value
                        _ = skipSymbol("-")
                    } else if type == .timeZoneName, hasReadNumber {
                        tz.set(value)
                    } else {
                        // Words are garbage once a number was read, and must be separated from the first number.
                        if hasReadNumber { return nil }
                        if next.isNumber { return nil }
                    }
                case _ where token.isAsciiSign && (tz.isUTC || !time.isEmpty):
                    // A UTC offset, only after UTC or a time.
                    tz.setSign(token.asciiSign)
                    var n = 0, length = 0
                    if next.isNumber {
                        let t = nextToken()
                        length = t.length
                        n = t.number
                    }
                    hasReadNumber = true
                    if next.isSymbol(":") {
                        tz.hour = n
                        tz.minute = JSDate.none
                    } else if length == 1 || length == 2 {
                        tz.hour = n
                        tz.minute = 0
                    } else if length == 3 || length == 4 {
                        tz.hour = n / 100
                        tz.minute = n % 100
                    } else {
                        return nil
                    }
                case _ where (token.isAsciiSign || token.isSymbol(")")) && hasReadNumber:
                    return nil
                default:
                    break  // other characters and white space
                }
            }
            var f = Fields()
            guard day.write(&f), time.write(&f), let offset = tz.write() else { return nil }
            f.utcOffset = offset
            return f
        }

        /// The ES5 date-time form; returns the token the legacy parser continues with, `.endOfInput` when the
        /// whole text was read, `.invalid` when the text can no longer be a date.
        mutating func parseES5(_ day: inout DayComposer, _ time: inout TimeComposer, _ tz: inout TimeZoneComposer) -> Token {
            if next.isAsciiSign {
                let signToken = nextToken()
                guard next.isFixedLengthNumber(6) else { return signToken }
                let sign = signToken.asciiSign
                let year = next.number
                _ = nextToken()
                if sign < 0 && year == 0 { return signToken }
                _ = day.add(sign * year)
            } else if next.isFixedLengthNumber(4) {
                _ = day.add(nextToken().number)
            } else {
                return nextToken()
            }
            if skipSymbol("-") {
                guard next.isFixedLengthNumber(2), JSDate.isMonth(next.number) else { return nextToken() }
                _ = day.add(nextToken().number)
                if skipSymbol("-") {
                    guard next.isFixedLengthNumber(2), JSDate.isDay(next.number) else { return nextToken() }
                    _ = day.add(nextToken().number)
                }
            }
            if !next.isKeywordType(.timeSeparator) {
                if next != .endOfInput { return nextToken() }
            } else {
                _ = nextToken()
                guard next.isFixedLengthNumber(2), JSDate.between(next.number, 0, 24) else { return .invalid }
                let hourIs24 = next.number == 24
                _ = time.add(nextToken().number)
                guard skipSymbol(":") else { return .invalid }
                guard next.isFixedLengthNumber(2), JSDate.isMinute(next.number), !(hourIs24 && next.number > 0) else { return .invalid }
                _ = time.add(nextToken().number)
                if skipSymbol(":") {
                    guard next.isFixedLengthNumber(2), JSDate.isMinute(next.number), !(hourIs24 && next.number > 0) else { return .invalid }
                    _ = time.add(nextToken().number)
                    if skipSymbol(".") {
                        guard next.isNumber, !(hourIs24 && next.number > 0) else { return .invalid }
                        _ = time.add(JSDate.readMilliseconds(nextToken()))
                    }
                }
                if next.isKeywordZ {
                    _ = nextToken()
                    tz.set(0)
                } else if next.isAsciiSign {
                    tz.setSign(nextToken().asciiSign)
                    if next.isFixedLengthNumber(4) {
                        let hm = nextToken().number
                        let (hour, minute) = (hm / 100, hm % 100)
                        guard JSDate.isHour(hour), JSDate.isMinute(minute) else { return .invalid }
                        tz.hour = hour
                        tz.minute = minute
                    } else {
                        guard next.isFixedLengthNumber(2), JSDate.isHour(next.number) else { return .invalid }
                        tz.hour = nextToken().number
                        guard skipSymbol(":") else { return .invalid }
                        guard next.isFixedLengthNumber(2), JSDate.isMinute(next.number) else { return .invalid }
                        tz.minute = nextToken().number
                    }
                }
                if next != .endOfInput { return .invalid }
            }
            // A date-only form without an offset is UTC; a date-time form is local time (UTC here).
            if tz.isEmpty && time.isEmpty { tz.set(0) }
            day.isISODate = true
            return .endOfInput
        }
    }
}
