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
