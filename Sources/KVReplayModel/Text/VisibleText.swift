extension String {
    /// The text with every character that would not show, or would reorder what follows, written as `\u{XXXX}`:
    /// C0 and C1 controls (NUL included; tab, line feed and carriage return too), bidirectional controls
    /// (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069), zero-width characters (U+200B–U+200D, U+2060, U+FEFF)
    /// and the line and paragraph separators. Reports and `kvreplay audit` show names this way; the database and
    /// JSON keep them exact.
    public var visibleEscaped: String {
        guard unicodeScalars.contains(where: Self.isInvisible) else { return self }
        var out = ""
        for ch in unicodeScalars {
            if Self.isInvisible(ch) {
                let hex = String(ch.value, radix: 16, uppercase: true)
                out += "\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}"
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func isInvisible(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }
}

extension String {
    /// Reverses ``visibleEscaped``: every `\u{XXXX}` (1–6 hex digits) becomes its character. Lets a name be given on a
    /// command line (which cannot carry a NUL) as reports show it.
    public var visibleUnescaped: String {
        guard contains("\\u{") else { return self }
        var out = ""
        var scalars = Array(unicodeScalars)[...]
        while let c = scalars.first {
            if c == "\\", scalars.dropFirst().starts(with: "u{".unicodeScalars), let close = scalars.firstIndex(of: "}") {
                let hex = String(String.UnicodeScalarView(scalars[(scalars.startIndex + 3)..<close]))
                if (1...6).contains(hex.count), let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) {
                    out.unicodeScalars.append(u)
                    scalars = scalars[(close + 1)...]
                    continue
                }
            }
            out.unicodeScalars.append(c)
            scalars = scalars.dropFirst()
        }
        return out
    }

    /// JSON text with the invisible characters that JSON allows raw inside strings (C1 controls, bidirectional and
    /// zero-width characters, line and paragraph separators) written as `\uXXXX` escapes: the same value, safe to view.
    /// (The writer already escapes C0 controls, so a line break here is layout.)
    public var jsonInvisibleEscaped: String {
        guard unicodeScalars.contains(where: { $0.value >= 0x7F && Self.isInvisible($0) }) else { return self }
        var out = ""
        for ch in unicodeScalars {
            if ch.value >= 0x7F && Self.isInvisible(ch) {
                let hex = String(ch.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
