import Foundation
public import KVReplayModel

/// One value read from a source, ready to be written as a snapshot file.
public struct CapturedValue: Sendable {
    /// The KV key (`statsig-…`), when the value has one.
    public var key: String?
    /// The value's bytes exactly as served.
    public var bytes: [UInt8]
    /// The key's KV metadata (Cloudflare), when it has any.
    public var metadata: JSONValue?
    /// When the response arrived (ms since the epoch).
    public var capturedAt: Int64
}

/// Where snapshots are read from.
public enum CaptureSource: Sendable {
    /// Workers KV through Cloudflare's REST API. `key` nil: every `statsig-*` key of the namespace.
    case cloudflareKV(apiBase: String, account: String, namespace: String, key: String?, token: String)
    /// Statsig's config-specs download (DCS v1) for a server secret; `key` names the file like a KV capture.
    case statsigDCS(apiBase: String, secret: String, key: String?)

    public static let cloudflareAPIBase = "https://api.cloudflare.com/client/v4"
    public static let statsigAPIBase = "https://api.statsigcdn.com/v1"
    public static let tokenVariable = "CLOUDFLARE_API_TOKEN"
    public static let secretVariable = "STATSIG_SERVER_SECRET"

    /// `cloudflare-kv` or `statsig-dcs`, as recorded with each capture.
    public var name: String {
        switch self {
        case .cloudflareKV: return "cloudflare-kv"
        case .statsigDCS: return "statsig-dcs"
        }
    }
}

/// Workers KV REST: list keys (cursor paging), read a value (raw bytes) and its metadata (an envelope).
struct CloudflareKVClient {
    var client: APIClient
    var apiBase: String
    var account: String
    var namespace: String
    var token: String

    private var headers: [String: String] { ["Authorization": "Bearer \(token)", "Accept": "*/*"] }
    private var namespacePath: String {
        "\(trimmedBase(apiBase))/accounts/\(pathSegment(account))/storage/kv/namespaces/\(pathSegment(namespace))"
    }

    private func request(_ path: String, query: [URLQueryItem] = []) throws(CaptureError) -> HTTPRequest {
        guard var components = URLComponents(string: namespacePath + path) else {
            throw .configuration("--api-base \(apiBase): not a usable URL")
        }
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url, url.scheme == "https" || url.scheme == "http" else {
            throw .configuration("--api-base \(apiBase): not an http(s) URL")
        }
        return HTTPRequest(url: url, headers: headers)
    }

    /// Every key that starts with `prefix`, all pages.
    func listKeys(prefix: String) async throws(CaptureError) -> [String] {
        var names: [String] = []
        var cursor: String? = nil
        var pages = 0
        repeat {
            pages += 1
            var query = [URLQueryItem(name: "prefix", value: prefix), URLQueryItem(name: "limit", value: "1000")]
            if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
            let response = try await client.get(try request("/keys", query: query), what: "listing the keys of namespace \(namespace)") {
                refusal($0, what: .namespace)
            }
            let envelope = try Self.envelope(response.body, what: "the key list of namespace \(namespace)")
            guard let result = envelope["result"]?.arrayValue else {
                throw .api("the key list of namespace \(namespace): the response has no result array")
            }
            for entry in result {
                guard let name = entry.objectValue?["name"]?.stringValue else {
                    throw .api("the key list of namespace \(namespace): an entry without a name")
                }
                names.append(name)
            }
            let next = envelope["result_info"]?.objectValue?["cursor"]?.stringValue
            cursor = (next?.isEmpty ?? true) ? nil : next
            if pages > 10_000 { throw .api("the key list of namespace \(namespace): more than 10,000 pages; the cursor does not advance") }
        } while cursor != nil
        return names.filter { $0.hasPrefix(prefix) }
    }

    /// The value of `key`, as stored.
    func value(key: String) async throws(CaptureError) -> [UInt8] {
        let response = try await client.get(try request("/values/\(pathSegment(key))"), what: "reading \(key)") {
            refusal($0, what: .key(key))
        }
        return response.body
    }

    /// The metadata of `key` (`result` of the envelope; null when the key has none).
    func metadata(key: String) async throws(CaptureError) -> JSONValue? {
        let response = try await client.get(try request("/metadata/\(pathSegment(key))"), what: "reading the metadata of \(key)") {
            refusal($0, what: .key(key))
        }
        let envelope = try Self.envelope(response.body, what: "the metadata of \(key)")
        guard let result = envelope["result"], !result.isNull else { return nil }
        return result
    }

    /// A success envelope's members; `success: false` is an error with the API's messages.
    static func envelope(_ body: [UInt8], what: String) throws(CaptureError) -> JSONObject {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body, limits: JSONParserLimits(maxDepth: 64))
        } catch {
            throw .api("\(what): the response is not JSON (\(error))")
        }
        guard let o = json.objectValue, let success = o["success"]?.boolValue else {
            throw .api("\(what): the response is not a Cloudflare API envelope ({\"success\", \"errors\", \"result\"})")
        }
        guard success else {
            throw .api("\(what): the API answered success: false (\(APIClient.apiMessages(body) ?? "no message"))")
        }
        return o
    }

    enum Target {
        case namespace
        case key(String)
    }

    /// 401/403/404 and other 4xx as an error that says what to fix.
    func refusal(_ r: HTTPResponse, what target: Target) -> CaptureError {
        let api = APIClient.apiMessages(r.body).map { ": \($0)" } ?? ""
        switch r.status {
        case 401:
            return .refused("Cloudflare refused the API token (HTTP 401\(api)): check \(CaptureSource.tokenVariable); "
                + "it must be a valid API token (not a Global API Key) with the permission Account > Workers KV Storage > Read")
        case 403:
            return .refused("Cloudflare denied access (HTTP 403\(api)): the token in \(CaptureSource.tokenVariable) has no access to "
                + "account \(account) or its Workers KV; give it Account > Workers KV Storage > Read on that account, and check --account")
        case 404:
            switch target {
            case .namespace:
                return .refused("Cloudflare found no namespace \(namespace) in account \(account) (HTTP 404\(api)): "
                    + "check --account and --namespace (wrangler kv namespace list shows the namespace IDs)")
            case .key(let key):
                return .refused("Cloudflare found no key \(key) in namespace \(namespace) of account \(account) (HTTP 404\(api)): "
                    + "check --key, --namespace and --account (wrangler kv key list --namespace-id \(namespace) --prefix statsig- lists the keys)")
            }
        default:
            return .api("Cloudflare answered HTTP \(r.status)\(api)")
        }
    }
}

/// Statsig's config-specs download: `GET {base}/download_config_specs/{server-secret}.json`, as the server SDKs do.
struct StatsigDCSClient {
    var client: APIClient
    var apiBase: String
    var secret: String

    func download() async throws(CaptureError) -> [UInt8] {
        let base = trimmedBase(apiBase)
        guard let url = URL(string: "\(base)/download_config_specs/\(pathSegment(secret)).json"), url.scheme == "https" || url.scheme == "http" else {
            throw .configuration("--api-base \(apiBase): not an http(s) URL")
        }
        // The secret is in the path: messages show the URL with the variable's name instead.
        let request = HTTPRequest(url: url, headers: ["STATSIG-API-KEY": secret, "Accept": "application/json"],
                                  redacted: "\(base)/download_config_specs/$\(CaptureSource.secretVariable).json")
        let response = try await client.get(request, what: "downloading the config specs from Statsig") { r in
            let api = APIClient.apiMessages(r.body).map { ": \($0)" } ?? ""
            switch r.status {
            case 401, 403:
                return .refused("Statsig refused the server secret (HTTP \(r.status)\(api)): check \(CaptureSource.secretVariable); "
                    + "it must be a Server Secret Key (secret-…) of the project, from Project Settings > Keys & Environments")
            case 404:
                return .refused("Statsig found no config specs for the server secret (HTTP 404\(api)): check \(CaptureSource.secretVariable) "
                    + "and --api-base (default \(CaptureSource.statsigAPIBase))")
            default:
                return .api("Statsig answered HTTP \(r.status)\(api)")
            }
        }
        return response.body
    }
}

func trimmedBase(_ base: String) -> String {
    var b = base
    while b.hasSuffix("/") { b.removeLast() }
    return b
}

/// One path segment, percent-encoded (KV keys may hold any printable character).
func pathSegment(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}
