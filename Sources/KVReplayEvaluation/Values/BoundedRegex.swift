import Foundation
#if canImport(_FoundationICU)
import _FoundationICU
#endif

/// A `str_matches` pattern whose matching has a work budget, so that a pathological pattern or subject cannot
/// stall an evaluation. It runs on ICU's regex engine (the engine behind `NSRegularExpression`) with ICU's match
/// time limit; a match that exceeds the budget is abandoned and reported as `nil`, which the evaluator turns into
/// a failed condition — what the core SDK does when fancy_regex exceeds its backtracking limit.
public final class BoundedRegex: @unchecked Sendable {
    /// ICU time-limit units ("steps of the match engine", on the order of a millisecond each).
    public static let defaultBudget: Int32 = 200

    public let pattern: String
    let budget: Int32
    #if canImport(_FoundationICU)
    private let prototype: OpaquePointer
    /// Compiled copies ready for use: a URegularExpression must not be used by two threads at once.
    private var pool: [OpaquePointer] = []
    private let lock = NSLock()
    #else
    private let regex: NSRegularExpression
    #endif

    /// `caseInsensitive` and `comments` are ICU's `UREGEX_CASE_INSENSITIVE` and `UREGEX_COMMENTS` (Python's `i`
    /// and `x` flags).
    public init?(pattern: String, caseInsensitive: Bool = false, comments: Bool = false, budget: Int32 = BoundedRegex.defaultBudget) {
        self.pattern = pattern
        self.budget = budget
        #if canImport(_FoundationICU)
        let utf16 = Array(pattern.utf16)
        var status = U_ZERO_ERROR
        let flags = UInt32(caseInsensitive ? 2 : 0) | UInt32(comments ? 4 : 0)
        guard let re = utf16.withUnsafeBufferPointer({ swift_uregex_open($0.baseAddress, Int32($0.count), flags, nil, &status) }),
              status.rawValue <= U_ZERO_ERROR.rawValue
        else { return nil }
        swift_uregex_setTimeLimit(re, budget, &status)
        prototype = re
        #else
        var options: NSRegularExpression.Options = []
        if caseInsensitive { options.insert(.caseInsensitive) }
        if comments { options.insert(.allowCommentsAndWhitespace) }
        guard let r = try? NSRegularExpression(pattern: pattern, options: options) else { return nil }
        regex = r
        #endif
    }

    deinit {
        #if canImport(_FoundationICU)
        for re in pool { swift_uregex_close(re) }
        swift_uregex_close(prototype)
        #endif
    }

    /// Unanchored search (`is_match`). nil when the budget was exhausted.
    public func firstMatch(in subject: String) -> Bool? {
        #if canImport(_FoundationICU)
        let reused: OpaquePointer? = lock.withLock { pool.popLast() }
        let re: OpaquePointer = reused ?? {
            var status = U_ZERO_ERROR
            let clone = swift_uregex_clone(prototype, &status)!
            swift_uregex_setTimeLimit(clone, budget, &status)
            return clone
        }()
        defer { lock.withLock { pool.append(re) } }
        let text = Array(subject.utf16)
        var status = U_ZERO_ERROR
        let found: UBool = text.withUnsafeBufferPointer { buffer in
            swift_uregex_setText(re, buffer.baseAddress, Int32(buffer.count), &status)
            let r = swift_uregex_find(re, 0, &status)
            // Let go of the caller's buffer before it is freed.
            var s2 = U_ZERO_ERROR
            swift_uregex_setText(re, nil, 0, &s2)
            return r
        }
        if status == U_REGEX_TIME_OUT || status == U_REGEX_STACK_OVERFLOW { return nil }
        if status.rawValue > U_ZERO_ERROR.rawValue { return false }
        return found != 0
        #else
        return regex.firstMatch(in: subject, options: [], range: NSRange(location: 0, length: (subject as NSString).length)) != nil
        #endif
    }
}
