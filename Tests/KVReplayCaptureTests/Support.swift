import Foundation
import KVReplayCapture
import Testing

let accountID = "0123456789abcdef0123456789abcdef"
let namespaceID = "fedcba9876543210fedcba9876543210"
let token = "test-token-Zq9"

/// The sample payload of the repository (a DCS v1 payload as Statsig writes it into KV).
func samplePayload() throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Datasets/sample/payload.json")
    return [UInt8](try Data(contentsOf: url))
}

func tempDir() throws -> String {
    let d = (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-capture-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func files(in dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
}

/// A lock-protected value shared with the server's handler threads.
final class Shared<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    var get: T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
    func update<R>(_ f: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return f(&value)
    }
}

/// Records the waits and returns at once; moves the clock on by each wait.
final class RecordingSleeper: Sleeper, @unchecked Sendable {
    let delays = Shared<[Double]>([])
    let clock: TestClock
    init(clock: TestClock) { self.clock = clock }
    func sleep(seconds: Double) async throws {
        delays.update { $0.append(seconds) }
        clock.advance(seconds)
    }
}

final class TestClock: @unchecked Sendable {
    let now = Shared<Date>(Date(timeIntervalSince1970: 1_767_607_200.123))  // 2026-01-05T10:00:00.123Z
    func advance(_ s: Double) { now.update { $0 = $0.addingTimeInterval(s) } }
    var function: @Sendable () -> Date { { [now] in now.get } }
}

/// The shapes of Cloudflare's KV REST API, served from a table of keys.
final class FakeCloudflare: @unchecked Sendable {
    let values = Shared<[String: [UInt8]]>([:])
    let metadata = Shared<[String: String]>([:])
    /// Responses that replace the next requests for a path suffix (`/values/statsig-A`, `/keys`, ...), in order.
    let scripted = Shared<[String: [FakeResponse]]>([:])
    /// Keys per page of the key list.
    var pageSize = 1000
    private(set) var server: FakeHTTPServer!

    init() throws {
        server = try FakeHTTPServer { [unowned self] r in self.respond(r) }
    }

    var apiBase: String { server.base + "/client/v4" }

    static func envelope(_ result: String, info: String? = nil) -> String {
        "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":\(result)" + (info.map { ",\"result_info\":\($0)" } ?? "") + "}"
    }

    static func failure(_ code: Int, _ message: String) -> String {
        "{\"success\":false,\"errors\":[{\"code\":\(code),\"message\":\"\(message)\"}],\"messages\":[],\"result\":null}"
    }

    func script(_ suffix: String, _ responses: [FakeResponse]) {
        scripted.update { $0[suffix, default: []].append(contentsOf: responses) }
    }

    func respond(_ r: FakeRequest) -> FakeResponse {
        let prefix = "/client/v4/accounts/\(accountID)/storage/kv/namespaces/"
        for (suffix, _) in scripted.get where r.path.hasSuffix(suffix) {
            if let next = scripted.update({ s -> FakeResponse? in
                guard var list = s[suffix], !list.isEmpty else { return nil }
                let first = list.removeFirst()
                s[suffix] = list
                return first
            }) { return next }
        }
        guard r.headers["authorization"] == "Bearer \(token)" else { return .json(Self.failure(10000, "Authentication error"), status: 401) }
        guard r.path.hasPrefix(prefix) else { return .json(Self.failure(7003, "Could not route to \(r.path), perhaps your object identifier is invalid?"), status: 404) }
        let rest = r.path.dropFirst(prefix.count)
        guard rest.hasPrefix(namespaceID + "/") else { return .json(Self.failure(10013, "list keys: 'namespace not found'"), status: 404) }
        let tail = rest.dropFirst(namespaceID.count + 1)
        let table = values.get
        if tail == "keys" {
            let prefix = r.query["prefix"] ?? ""
            let names = table.keys.filter { $0.hasPrefix(prefix) }.sorted()
            let start = Int(r.query["cursor"] ?? "0") ?? 0
            let page = names.dropFirst(start).prefix(pageSize)
            let next = start + page.count < names.count ? "\"\(start + page.count)\"" : "\"\""
            let result = "[" + page.map { "{\"name\":\"\($0)\"}" }.joined(separator: ",") + "]"
            return .json(Self.envelope(result, info: "{\"count\":\(page.count),\"cursor\":\(next)}"))
        }
        if tail.hasPrefix("values/") {
            let key = String(tail.dropFirst("values/".count)).removingPercentEncoding ?? ""
            guard let v = table[key] else { return .json(Self.failure(10009, "get: 'key not found'"), status: 404) }
            return .bytes(v)
        }
        if tail.hasPrefix("metadata/") {
            let key = String(tail.dropFirst("metadata/".count)).removingPercentEncoding ?? ""
            guard table[key] != nil else { return .json(Self.failure(10009, "get: 'key not found'"), status: 404) }
            return .json(Self.envelope(metadata.get[key] ?? "null"))
        }
        return .json(Self.failure(7000, "No route for that URI"), status: 404)
    }
}

struct Harness {
    let clock = TestClock()
    let sleeper: RecordingSleeper
    let dir: String
    let logs = Shared<[String]>([])

    init() throws {
        sleeper = RecordingSleeper(clock: clock)
        dir = try tempDir()
    }

    func capturer(_ source: CaptureSource, policy: RetryPolicy = RetryPolicy(timeout: 10)) -> Capturer {
        let logs = self.logs
        return Capturer(source: source, folder: SnapshotFolder(path: dir), policy: policy, sleeper: sleeper, now: clock.function,
                        log: { line in logs.update { $0.append(line) } })
    }

    func kv(_ fake: FakeCloudflare, key: String? = "statsig-A", account: String = accountID, token t: String = token) -> CaptureSource {
        .cloudflareKV(apiBase: fake.apiBase, account: account, namespace: namespaceID, key: key, token: t)
    }
}

/// Runs `body` and returns the CaptureError it throws (nil when it succeeds).
func captureError(_ body: () async throws -> Void) async -> CaptureError? {
    do {
        try await body()
        return nil
    } catch let e as CaptureError {
        return e
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
