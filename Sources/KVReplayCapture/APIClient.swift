import Foundation
import KVReplayModel

/// Sends a request with the retry policy: 429 (waiting its `Retry-After`), 5xx and transport failures are
/// retried; any other status is handed to `refusal`, which turns it into the error that names what to fix.
struct APIClient: Sendable {
    var transport: any HTTPTransport
    var policy: RetryPolicy
    var sleeper: any Sleeper
    var now: @Sendable () -> Date
    /// Progress notes (retries), one line each.
    var log: @Sendable (String) -> Void

    func get(_ request: HTTPRequest, what: String, refusal: (HTTPResponse) -> CaptureError) async throws(CaptureError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let reason: String
            var retryAfter: Double? = nil
            do {
                let response = try await transport.get(request, timeout: policy.timeout)
                switch response.status {
                case 200..<300:
                    return response
                case 429:
                    retryAfter = RetryPolicy.retryAfter(response.headers["retry-after"], now: now())
                    reason = "HTTP 429 (rate limited" + (retryAfter.map { ", Retry-After \(TransportError.seconds($0))" } ?? "") + ")"
                case 500...599:
                    reason = "HTTP \(response.status)" + Self.apiMessages(response.body).map { " (\($0))" }.orEmpty
                default:
                    throw refusal(response)
                }
            } catch let error as TransportError {
                reason = error.description
            } catch let error as CaptureError {
                throw error
            } catch {
                reason = "\(error)"
            }
            if attempt >= policy.maxAttempts {
                throw .unavailable("\(what): \(reason); gave up after \(attempt) attempt\(attempt == 1 ? "" : "s") (\(request.redacted))")
            }
            let delay = policy.delay(retry: attempt, retryAfter: retryAfter)
            log("retry: \(what): \(reason); attempt \(attempt + 1) of \(policy.maxAttempts) in \(TransportError.seconds(delay))")
            do {
                try await sleeper.sleep(seconds: delay)
            } catch {
                throw .unavailable("\(what): \(reason); cancelled while waiting to retry")
            }
        }
    }

    /// The messages of a Cloudflare error envelope (`{"success": false, "errors": [{"code", "message"}]}`),
    /// or the start of a short text body.
    static func apiMessages(_ body: [UInt8]) -> String? {
        if let json = try? JSONParser.parse(body, limits: JSONParserLimits(maxDepth: 32)), let o = json.objectValue {
            let errors = (o["errors"]?.arrayValue ?? []).compactMap { e -> String? in
                let code = e.objectValue?["code"].map { JSONWriter(style: .serde).string($0) }
                guard let m = e.objectValue?["message"]?.stringValue ?? e.stringValue else { return code.map { "code \($0)" } }
                return code.map { "\($0): \(m)" } ?? m
            }
            if !errors.isEmpty { return errors.joined(separator: "; ") }
            if let m = o["message"]?.stringValue ?? o["error"]?.stringValue { return m }
            return nil
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, !text.contains("<") else { return nil }
        return text.replacingOccurrences(of: "\n", with: " ")
    }
}

extension Optional where Wrapped == String {
    var orEmpty: String { self ?? "" }
}
