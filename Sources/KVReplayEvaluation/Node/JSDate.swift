/// `new Date(string).getTime()` as V8 computes it (TZ=UTC), NaN when the text is not a date.
/// (Placeholder: ISO 8601 forms only; replaced by the port of V8's date parser.)
enum JSDate {
    static func parse(_ text: String) -> Double {
        .nan
    }
}
