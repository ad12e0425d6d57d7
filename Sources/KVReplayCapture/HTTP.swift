public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One GET request. `redacted` is how the URL is shown in messages (a secret in the path is never shown).
public struct HTTPRequest: Sendable {
    public var url: URL
    public var headers: [String: String]
    public var redacted: String

    public init(url: URL, headers: [String: String] = [:], redacted: String? = nil) {
        self.url = url
        self.headers = headers
        self.redacted = redacted ?? url.absoluteString
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// Why a request got no complete response. Its text never holds the request's URL or headers.
public enum TransportError: Error, Sendable, CustomStringConvertible {
    case timeout(seconds: Double)
    /// The connection closed before the body was complete.
    case truncated(received: Int, expected: Int?, detail: String?)
    case connection(String)

    public var description: String {
        switch self {
        case .timeout(let s): return "no complete response within \(Self.seconds(s)) (timeout per request)"
        case .truncated(let received, let expected, let detail):
            if let expected { return "the response body was cut short (\(received) of \(expected) bytes)" }
            return "the response body was cut short (\(detail ?? "the connection closed early"))"
        case .connection(let m): return m
        }
    }

    static func seconds(_ s: Double) -> String {
        s.rounded() == s ? "\(Int(s)) s" : String(format: "%.3g s", s)
    }
}

/// Sends GET requests. Tests substitute nothing here: they point the real transport at a local server.
public protocol HTTPTransport: Sendable {
    func get(_ request: HTTPRequest, timeout: Double) async throws(TransportError) -> HTTPResponse
}

/// URLSession (libcurl on Linux), one ephemeral session per request so that the timeout applies to it alone.
public struct URLSessionTransport: HTTPTransport {
    public init() {}

    public func get(_ request: HTTPRequest, timeout requested: Double) async throws(TransportError) -> HTTPResponse {
        // libcurl's timeout through URLSession is whole seconds (0.5 becomes 0 and fails at once).
        let timeout = max(1, requested.rounded(.up))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        var r = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData, timeoutInterval: timeout)
        r.httpMethod = "GET"
        for (name, value) in request.headers { r.setValue(value, forHTTPHeaderField: name) }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: r)
        } catch let error as URLError {
            throw Self.map(error, timeout: timeout, redacting: request)
        } catch {
            throw .connection("the request failed (\(type(of: error)))")
        }
        guard let http = response as? HTTPURLResponse else { throw .connection("the response is not HTTP") }
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields {
            if let k = k as? String, let v = v as? String { headers[k.lowercased()] = v }
        }
        // libcurl reports most short bodies itself; this also catches a Content-Length it let pass.
        if let declared = headers["content-length"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            headers["content-encoding"] == nil, declared != data.count
        {
            throw .truncated(received: data.count, expected: declared, detail: nil)
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: [UInt8](data))
    }

    /// A URLError as text without its URL (`localizedDescription` and `userInfo` may hold it).
    static func map(_ error: URLError, timeout: Double, redacting request: HTTPRequest) -> TransportError {
        switch error.code {
        case .unknown:
            // libcurl's own message (for example "transfer closed with 990 bytes remaining to read").
            let text = (error.userInfo[NSLocalizedDescriptionKey] as? String ?? "")
                .replacingOccurrences(of: request.url.absoluteString, with: request.redacted)
            if text.hasPrefix("transfer closed with") { return .truncated(received: 0, expected: nil, detail: text) }
            return .connection("the request failed" + (text.isEmpty ? "" : " (\(text))"))
        case .timedOut: return .timeout(seconds: timeout)
        case .networkConnectionLost: return .truncated(received: 0, expected: nil, detail: nil)
        case .cannotConnectToHost: return .connection("cannot connect to the host (connection refused)")
        case .cannotFindHost, .dnsLookupFailed: return .connection("cannot resolve the host name")
        case .notConnectedToInternet: return .connection("no network connection")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
            .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .connection("the TLS connection failed (URLError \(error.code.rawValue))")
        case .badServerResponse, .cannotParseResponse: return .connection("the server's response could not be read")
        case .unsupportedURL, .badURL: return .connection("the URL is not usable (check --api-base)")
        default: return .connection("the request failed (URLError \(error.code.rawValue))")
        }
    }
}
