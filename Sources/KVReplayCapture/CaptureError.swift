import Foundation

/// Why a capture failed, with the exit status it gives (README "Exit status").
public enum CaptureError: Error, Sendable, CustomStringConvertible {
    /// A setting is missing or wrong before any request (an environment variable, the output folder): exit 2.
    case configuration(String)
    /// The API refused the credentials or does not know the account, namespace or key (401, 403, 404): exit 4.
    /// Retrying does not help; the message names what to fix.
    case refused(String)
    /// The API could not be reached or kept failing (timeouts, connection errors, a body cut short, 429 and
    /// 5xx still failing after the retries): exit 5. Trying again later may succeed.
    case unavailable(String)
    /// The API answered with an error it does not classify, or a response of the wrong shape: exit 1.
    case api(String)
    /// The value read is not a config-specs payload: exit 2.
    case notAPayload(String)
    /// The snapshot or its record could not be written: exit 1.
    case output(String)

    public var description: String {
        switch self {
        case .configuration(let m), .refused(let m), .unavailable(let m), .api(let m), .notAPayload(let m), .output(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .configuration, .notAPayload: return 2
        case .refused: return 4
        case .unavailable: return 5
        case .api, .output: return 1
        }
    }
}
