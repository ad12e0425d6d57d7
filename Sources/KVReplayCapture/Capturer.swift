public import Foundation
import KVReplayIngest
import KVReplayModel

/// What one capture of one key did.
public struct CaptureOutcome: Sendable {
    public var key: String?
    public var source: String
    public var sha256: String
    public var bytes: Int
    public var capturedAt: Int64
    /// The payload's `time` (lcut), when it has one.
    public var lcut: Int64?
    /// The file written, or nil when the value had the same SHA-256 as the last capture (`previous`).
    public var written: String?
    public var previous: String?
    public var overKVLimit: Bool
}

/// Reads the current payload from a source and writes it into a ``SnapshotFolder`` unless it is unchanged since
/// the last capture there. ``watch(every:cycles:onCycle:)`` repeats that, with the clock and the sleeper
/// injectable so that tests run at once.
/// One capture at a time per instance (it keeps the last SHA-256 per key); hence `@unchecked Sendable`.
public final class Capturer: @unchecked Sendable {
    public static let kvValueLimit = 26_214_400

    public let source: CaptureSource
    public let folder: SnapshotFolder
    let client: APIClient
    let sleeper: any Sleeper
    let now: @Sendable () -> Date
    let log: @Sendable (String) -> Void
    /// The SHA-256 of the newest file per stem, so that a watcher hashes each file once.
    private var known: [String: (file: String, sha256: String)] = [:]

    public init(source: CaptureSource, folder: SnapshotFolder, transport: any HTTPTransport = URLSessionTransport(),
                policy: RetryPolicy = RetryPolicy(), sleeper: any Sleeper = TaskSleeper(),
                now: @escaping @Sendable () -> Date = { Date() }, log: @escaping @Sendable (String) -> Void = { _ in })
    {
        self.source = source
        self.folder = folder
        self.client = APIClient(transport: transport, policy: policy, sleeper: sleeper, now: now, log: log)
        self.sleeper = sleeper
        self.now = now
        self.log = log
    }

    private var nowMS: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Captures every key of the source once.
    public func captureOnce() async throws(CaptureError) -> [CaptureOutcome] {
        try folder.prepare()
        var outcomes: [CaptureOutcome] = []
        switch source {
        case .cloudflareKV(let apiBase, let account, let namespace, let key, let token):
            let kv = CloudflareKVClient(client: client, apiBase: apiBase, account: account, namespace: namespace, token: token)
            let keys: [String]
            if let key {
                keys = [key]
            } else {
                keys = try await kv.listKeys(prefix: "statsig-")
                if keys.isEmpty {
                    throw .refused("namespace \(namespace) of account \(account) holds no statsig-* key: check --namespace, or name the key with --key")
                }
            }
            for k in keys {
                let bytes = try await kv.value(key: k)
                let at = nowMS
                let metadata = try await kv.metadata(key: k)
                let value = CapturedValue(key: k, bytes: bytes, metadata: metadata, capturedAt: at)
                do {
                    outcomes.append(try store(value))
                } catch .notAPayload(let why) where key == nil {
                    // A listed key that holds something else (an ID list, a marker) is passed over.
                    log("note: \(k) passed over: \(why)")
                }
            }
            if outcomes.isEmpty { throw .notAPayload("no statsig-* key of namespace \(namespace) holds a config-specs payload") }
        case .statsigDCS(let apiBase, let secret, let key):
            let dcs = StatsigDCSClient(client: client, apiBase: apiBase, secret: secret)
            let bytes = try await dcs.download()
            outcomes.append(try store(CapturedValue(key: key, bytes: bytes, metadata: nil, capturedAt: nowMS)))
        }
        return outcomes
    }

    /// Captures, then again `every` seconds after the start of the previous capture, `cycles` times in all (nil:
    /// until stopped). A failure that may pass (``CaptureError/unavailable(_:)``) is reported and the watch goes on;
    /// any other failure ends it. `onCycle` sees each cycle's outcomes (for example to ingest the files written).
    /// Returns how many cycles failed that way.
    public func watch(every: Double, cycles: Int?, onCycle: ([CaptureOutcome]) throws -> Void = { _ in }) async throws -> Int {
        var done = 0
        var failed = 0
        while cycles.map({ done < $0 }) ?? true {
            let start = now()
            do {
                try onCycle(try await captureOnce())
            } catch let error as CaptureError {
                guard case .unavailable = error else { throw error }
                failed += 1
                log("error: \(error) (the watch goes on; next capture in \(TransportError.seconds(every)))")
            }
            done += 1
            if let cycles, done >= cycles { break }
            let wait = max(0, every - now().timeIntervalSince(start))
            try await sleeper.sleep(seconds: wait)
        }
        return failed
    }

    /// Checks the value, and writes it unless it equals the last capture of its key.
    func store(_ value: CapturedValue) throws(CaptureError) -> CaptureOutcome {
        let what = value.key ?? "the downloaded config specs"
        let top = try Self.checkPayload(value.bytes, what: what)
        let sha = SHA256Stream.hex(value.bytes)
        let stem = SnapshotFolder.stem(key: value.key)
        var outcome = CaptureOutcome(key: value.key, source: source.name, sha256: sha, bytes: value.bytes.count, capturedAt: value.capturedAt,
                                     lcut: Self.lcut(top), written: nil, previous: nil, overKVLimit: value.bytes.count > Self.kvValueLimit)
        if let last = folder.latest(stem: stem) {
            let lastSHA: String
            if let k = known[stem], k.file == last {
                lastSHA = k.sha256
            } else {
                guard let data = FileManager.default.contents(atPath: last) else { throw .output("\(last): cannot read the last capture") }
                lastSHA = SHA256Stream.hex([UInt8](data))
                known[stem] = (last, lastSHA)
            }
            if lastSHA == sha {
                outcome.previous = last
                return outcome
            }
        }
        var name = SnapshotFolder.fileName(key: value.key, capturedAt: value.capturedAt)
        var at = value.capturedAt
        // Two different values of one key within a millisecond: the later one a millisecond on.
        while FileManager.default.fileExists(atPath: (folder.path as NSString).appendingPathComponent(name)) {
            at += 1
            name = SnapshotFolder.fileName(key: value.key, capturedAt: at)
        }
        outcome.capturedAt = at
        let file = try folder.write(value.bytes, name: name)
        known[stem] = (file, sha)
        outcome.written = file
        try folder.record(journalEntry(outcome, value: value, file: name))
        return outcome
    }

    func journalEntry(_ o: CaptureOutcome, value: CapturedValue, file: String) -> JSONObject {
        var e = JSONObject()
        e["captured_at"] = .string(SnapshotFolder.isoText(o.capturedAt))
        e["captured_at_ms"] = .int(o.capturedAt)
        e["file"] = .string(file)
        e["source"] = .string(source.name)
        switch source {
        case .cloudflareKV(let apiBase, let account, let namespace, _, _):
            e["api_base"] = .string(apiBase)
            e["account"] = .string(account)
            e["namespace"] = .string(namespace)
        case .statsigDCS(let apiBase, _, _):
            e["api_base"] = .string(apiBase)
        }
        e["key"] = o.key.map { .string($0) } ?? .null
        e["sha256"] = .string(o.sha256)
        e["bytes"] = .int(Int64(o.bytes))
        e["lcut"] = o.lcut.map { .int($0) } ?? .null
        if let m = value.metadata { e["metadata"] = m }
        return e
    }

    /// The value must be a config-specs payload (a JSON object with one of its collections or `has_updates`).
    static func checkPayload(_ bytes: [UInt8], what: String) throws(CaptureError) -> JSONObject {
        if bytes.isEmpty { throw .notAPayload("\(what): the value is empty") }
        if bytes.starts(with: [0x1F, 0x8B]) { throw .notAPayload("\(what): the value is gzip, not the JSON text of a config-specs payload") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes, limits: JSONParserLimits(maxDepth: 256))
        } catch {
            throw .notAPayload("\(what): the value is not valid JSON (\(error))")
        }
        guard let o = json.objectValue,
            ["feature_gates", "dynamic_configs", "layer_configs", "has_updates"].contains(where: { o[$0] != nil })
        else {
            throw .notAPayload("\(what): the value is not a config-specs payload (no feature_gates, dynamic_configs, layer_configs or has_updates)")
        }
        return o
    }

    static func lcut(_ o: JSONObject) -> Int64? {
        switch o["time"] {
        case .int(let i)?: return i
        case .double(let d)? where d.isFinite && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }
}
