extension String {
    /// The text escaped for XML and HTML content and attribute values. Control characters XML 1.0 cannot carry
    /// become U+FFFD, so a hostile name in a payload or log still gives a well-formed JUnit or HTML file.
    public var xmlEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "&#xFFFD;" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
