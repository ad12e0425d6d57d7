public import Foundation

/// Waits between attempts; tests inject one that records the delays and returns at once.
public protocol Sleeper: Sendable {
    func sleep(seconds: Double) async throws
}

public struct TaskSleeper: Sleeper {
    public init() {}
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }
}

/// How often and how long to retry a request that failed for a reason that may pass: HTTP 429 (after its
/// `Retry-After`), 5xx, a timeout, a connection error, a body cut short. Everything else fails at once.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The wait before the first retry; doubled for each later one, up to `maxDelay`.
    public var baseDelay: Double
    public var maxDelay: Double
    /// A `Retry-After` longer than this is cut to it.
    public var maxRetryAfter: Double
    /// The timeout of one request, in seconds.
    public var timeout: Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 2, maxDelay: Double = 60, maxRetryAfter: Double = 300, timeout: Double = 30) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.timeout = timeout
    }

    /// The wait before retry number `retry` (1 for the first retry).
    public func delay(retry: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), maxRetryAfter) }
        let exponent = Double(min(max(retry - 1, 0), 30))
        return min(baseDelay * pow(2, exponent), maxDelay)
    }

    /// `Retry-After`: delay seconds, or an HTTP date (RFC 9110 §10.2.3), relative to `now`.
    public static func retryAfter(_ header: String?, now: Date) -> Double? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if header.allSatisfy(\.isASCII), let seconds = Int(header), seconds >= 0 { return Double(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// `--every`: `90`, `90s`, `15m`, `1h`, `1h30m`, `1d` (seconds when there is no unit).
public enum Durations {
    public static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if s.isEmpty { return nil }
        if let n = Double(s), n.isFinite, n >= 0 { return n }
        var total = 0.0
        var number = ""
        for c in s {
            if c.isNumber || c == "." {
                number.append(c)
                continue
            }
            guard let n = Double(number), n.isFinite else { return nil }
            switch c {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86400
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }
}
