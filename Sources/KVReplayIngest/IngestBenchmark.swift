#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KVReplayStore

/// `kvreplay bench ingest`: generates an NDJSON exposure log and a ~25 MiB DCS v1 payload, ingests them into a
/// fresh database and measures exposures per second, payload seconds and peak memory.
public enum IngestBenchmark {
    public struct Options: Sendable {
        /// Exposure events in the generated log (ignored when `logBytes` is set).
        public var exposures = 1_000_000
        /// Generate a log of at least this many bytes instead (for the memory check).
        public var logBytes: Int? = nil
        /// Distinct users in the log.
        public var users = 50_000
        /// Size of the generated payload.
        public var payloadBytes = 25 << 20
        /// Keep the generated files and database here (default: a temporary folder, removed afterwards).
        public var directory: String? = nil
        public var parseThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        public var skipLog = false
        public var skipPayload = false

        public init() {}
    }

    public struct Result: Sendable, Codable {
        public var logEvents: Int
        public var logBytes: Int
        public var generateSeconds: Double
        public var logSeconds: Double
        public var exposuresAdded: Int
        public var exposuresPerSecond: Double
        public var usersAdded: Int
        /// Peak resident memory (bytes) of the process after the log was ingested.
        public var peakRSSAfterLog: Int
        public var payloadBytes: Int
        public var payloadSeconds: Double
        public var payloadEntities: Int
        /// Peak resident memory (bytes) after the payload was ingested.
        public var peakRSSAfterPayload: Int
        public var directory: String
    }

    public static func run(_ o: Options, log: (String) -> Void) throws -> Result {
        let dir = o.directory ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("kvreplay-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if o.directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let logPath = (dir as NSString).appendingPathComponent("exposures.ndjson")
        let payloadPath = (dir as NSString).appendingPathComponent("statsig-bench0payload.json")
        let dbPath = (dir as NSString).appendingPathComponent("bench.sqlite")
        for p in [dbPath, dbPath + "-wal", dbPath + "-shm"] { try? FileManager.default.removeItem(atPath: p) }

        var result = Result(logEvents: 0, logBytes: 0, generateSeconds: 0, logSeconds: 0, exposuresAdded: 0, exposuresPerSecond: 0,
                            usersAdded: 0, peakRSSAfterLog: 0, payloadBytes: 0, payloadSeconds: 0, payloadEntities: 0,
                            peakRSSAfterPayload: 0, directory: dir)
        var t = ContinuousClock.now
        if !o.skipLog {
            log("generating the log ...")
            (result.logEvents, result.logBytes) = try generateLog(path: logPath, events: o.logBytes == nil ? o.exposures : Int.max,
                                                                  minBytes: o.logBytes ?? 0, users: o.users)
        }
        if !o.skipPayload {
            log("generating the payload ...")
            result.payloadBytes = try generatePayload(path: payloadPath, targetBytes: o.payloadBytes)
        }
        result.generateSeconds = seconds(since: t)

        let store = try Store(path: dbPath)
        var options = IngestOptions()
        options.parseThreads = o.parseThreads
        if !o.skipLog {
            log("ingesting \(result.logEvents) events (\(result.logBytes) bytes) ...")
            t = .now
            let report = try Ingester(store: store, options: options).ingest(.logs, paths: [logPath])
            result.logSeconds = seconds(since: t)
            result.exposuresAdded = report.added
            result.usersAdded = report.usersAdded
            result.exposuresPerSecond = Double(report.added) / result.logSeconds
            guard report.exitCode == 0 else { throw FileProblem("the generated log did not ingest cleanly: \(report.files.first?.error ?? "rejects")") }
        }
        result.peakRSSAfterLog = peakRSS()
        if !o.skipPayload {
            log("ingesting the payload (\(result.payloadBytes) bytes) ...")
            t = .now
            let report = try Ingester(store: store, options: options).ingest(.snapshots, paths: [payloadPath])
            result.payloadSeconds = seconds(since: t)
            guard report.exitCode == 0, report.added == 1 else {
                throw FileProblem("the generated payload did not ingest: \(report.files.first?.error ?? "rejects")")
            }
            result.payloadEntities = Int(try store.scalar("SELECT count(*) FROM snapshot_entities") ?? 0)
        }
        result.peakRSSAfterPayload = peakRSS()
        return result
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Peak resident set size of this process, in bytes (`getrusage`).
    public static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    /// Current resident set size in bytes (`/proc/self/statm`).
    public static func currentRSS() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = text.split(separator: " ")
        guard parts.count > 1, let pages = Int(parts[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    // MARK: Generators

    /// A deterministic pseudo-random sequence (xorshift64*).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Writes an NDJSON log of exposure events shaped like statsig-server-core's (user object, string metadata with
    /// lcut and reason, secondary exposures): about half gate exposures, a third config exposures, the rest layer
    /// exposures, over `users` users.
    public static func generateLog(path: String, events: Int, minBytes: Int, users: Int) throws -> (events: Int, bytes: Int) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let fh = FileHandle(forWritingAtPath: path) else {
            throw FileProblem("cannot write \(path)")
        }
        defer { try? fh.close() }
        var rng = Random(state: 0x9E37_79B9_7F4A_7C15)
        var buf = [UInt8]()
        buf.reserveCapacity(5 << 20)
        var written = 0
        var n = 0
        let lcut = 1_767_981_029_384
        var time = 1_795_924_743_450
        let countries = ["US", "GB", "DE", "FR", "JP", "BR", "IN", "CA"]
        let tiers = ["production", "staging"]
        func s(_ x: String) { buf.append(contentsOf: x.utf8) }
        while n < events && (minBytes == 0 || written + buf.count < minBytes) {
            let u = rng.below(users)
            let kind = rng.below(100)
            time += rng.below(3)
            s("{\"eventName\":\"statsig::")
            s(kind < 50 ? "gate" : (kind < 85 ? "config" : "layer"))
            s("_exposure\",\"value\":null,\"metadata\":{")
            let entity = rng.below(kind < 50 ? 150 : 60)
            let rule = "\(entity)r\(rng.below(4))Ab3xQ9zKp2LmN7v"
            if kind < 50 {
                s("\"gate\":\"gate_\(entity)\",\"gateValue\":\"\(rng.below(2) == 0 ? "true" : "false")\",\"ruleID\":\"\(rule)\",")
            } else if kind < 85 {
                s("\"config\":\"experiment_\(entity)\",\"ruleID\":\"\(rule)\",\"rulePassed\":\"\(rng.below(2) == 0 ? "true" : "false")\",")
            } else {
                let explicit = rng.below(2) == 0
                s("\"config\":\"layer_\(entity % 20)\",\"ruleID\":\"\(rule)\",\"parameterName\":\"param_\(rng.below(8))\",")
                s("\"isExplicitParameter\":\"\(explicit)\",\"allocatedExperiment\":\"\(explicit ? "experiment_\(entity)" : "")\",")
            }
            s("\"configVersion\":\"\(1 + entity % 9)\",\"reason\":\"Network:Recognized\",\"lcut\":\"\(lcut)\",\"receivedAt\":\"\(lcut + 5000)\"},")
            s("\"statsigMetadata\":{},\"user\":{\"userID\":\"user-\(u)\",\"customIDs\":{\"companyID\":\"company-\(u % 997)\",\"stableID\":\"")
            s(String(UInt64(u).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15).low, radix: 16) + "\"},\"email\":\"user\(u)@example.com\",")
            s("\"country\":\"\(countries[u % countries.count])\",\"custom\":{\"level\":\(u % 50),\"plan\":\"\(u % 3 == 0 ? "pro" : "free")\"},")
            s("\"statsigEnvironment\":{\"tier\":\"\(tiers[u % 7 == 0 ? 1 : 0])\"}},\"time\":\(time),\"secondaryExposures\":[")
            let secondaries = rng.below(3)
            for i in 0..<secondaries {
                if i > 0 { s(",") }
                s("{\"gate\":\"gate_\(rng.below(150))\",\"gateValue\":\"true\",\"ruleID\":\"6X3qJgyfwA81IJ2dxI7lYp\"}")
            }
            s("]}\n")
            n += 1
            if buf.count >= 4 << 20 {
                fh.write(Data(buf))
                written += buf.count
                buf.removeAll(keepingCapacity: true)
            }
        }
        fh.write(Data(buf))
        written += buf.count
        return (n, written)
    }

    /// Writes a DCS v1 payload of at most (and within a few KiB of) `targetBytes` bytes: gates with several targeting rules, experiments in
    /// layers, dynamic configs, as compact JSON (how KV holds it).
    public static func generatePayload(path: String, targetBytes: Int) throws -> Int {
        var rng = Random(state: 0xD1B5_4A32_D192_ED03)
        var gates: [String] = []
        var configs: [String] = []
        var layers: [String] = []
        var size = 0
        func salt() -> String {
            let a = rng.next(), b = rng.next()
            return String(format: "%08x-%04x-%04x-%04x-%012llx", UInt32(truncatingIfNeeded: a), UInt16(truncatingIfNeeded: a >> 32),
                          UInt16(truncatingIfNeeded: a >> 48), UInt16(truncatingIfNeeded: b), b >> 16 & 0xFFFF_FFFF_FFFF)
        }
        func condition() -> String {
            switch rng.below(5) {
            case 0:
                let emails = (0..<(2 + rng.below(20))).map { _ in "\"user\(rng.below(100_000))@example.com\"" }.joined(separator: ",")
                return "{\"type\":\"user_field\",\"targetValue\":[\(emails)],\"operator\":\"any\",\"field\":\"email\",\"additionalValues\":{},\"isDeviceBased\":false,\"idType\":\"userID\"}"
            case 1:
                return "{\"type\":\"ip_based\",\"targetValue\":[\"US\",\"CA\",\"GB\"],\"operator\":\"any\",\"field\":\"country\",\"additionalValues\":{},\"isDeviceBased\":false,\"idType\":\"userID\"}"
            case 2:
                return "{\"type\":\"user_bucket\",\"targetValue\":\(rng.below(1000)),\"operator\":\"lt\",\"field\":null,\"additionalValues\":{\"salt\":\"\(salt())\"},\"isDeviceBased\":false,\"idType\":\"userID\"}"
            case 3:
                return "{\"type\":\"pass_gate\",\"targetValue\":\"gate_\(rng.below(max(1, gates.count + 1)))\",\"operator\":null,\"field\":null,\"additionalValues\":{},\"isDeviceBased\":false,\"idType\":\"userID\"}"
            default:
                return "{\"type\":\"ua_based\",\"targetValue\":[\"iOS\",\"Android\"],\"operator\":\"any\",\"field\":\"os_name\",\"additionalValues\":{},\"isDeviceBased\":false,\"idType\":\"userID\"}"
            }
        }
        func rule(_ i: Int, value: String, group: String?) -> String {
            let id = "\(salt().prefix(8))Rule\(i)"
            let conditions = (0..<(1 + rng.below(3))).map { _ in condition() }.joined(separator: ",")
            let g = group.map { ",\"groupName\":\"\($0)\",\"isExperimentGroup\":true" } ?? ""
            return "{\"name\":\"\(id)\",\"groupName\":null,\"passPercentage\":\(rng.below(101)),\"conditions\":[\(conditions)],\"returnValue\":\(value),"
                + "\"id\":\"\(id)\",\"salt\":\"\(salt())\",\"isDeviceBased\":false,\"idType\":\"userID\"\(g)}"
        }
        // Stop before the payload would exceed the target (the wrapper below adds about 250 bytes).
        let budget = targetBytes - 512
        while true {
            let k = rng.below(10)
            if k < 6 {
                let n = gates.count
                let rules = (0..<(1 + rng.below(6))).map { rule($0, value: "true", group: nil) }.joined(separator: ",")
                let spec = "{\"name\":\"gate_\(n)\",\"type\":\"feature_gate\",\"salt\":\"\(salt())\",\"enabled\":true,\"defaultValue\":false,"
                    + "\"rules\":[\(rules)],\"isDeviceBased\":false,\"idType\":\"userID\",\"entity\":\"feature_gate\",\"version\":\(1 + rng.below(30))}"
                if size + spec.utf8.count + 1 > budget { break }
                gates.append(spec)
                size += spec.utf8.count + 1
            } else if k < 9 {
                let n = configs.count
                let experiment = rng.below(2) == 0
                let value = "{\"color\":\"blue\",\"size\":\(rng.below(100)),\"enabled\":true,\"copy\":\"Try the new checkout flow today\"}"
                let rules = (0..<(1 + rng.below(4))).map { rule($0, value: value, group: experiment ? "Test \($0)" : nil) }.joined(separator: ",")
                let spec = "{\"name\":\"\(experiment ? "experiment" : "config")_\(n)\",\"type\":\"dynamic_config\",\"salt\":\"\(salt())\",\"enabled\":true,"
                    + "\"defaultValue\":\(value),\"rules\":[\(rules)],\"isDeviceBased\":false,\"idType\":\"userID\",\"entity\":\"\(experiment ? "experiment" : "dynamic_config")\""
                    + (experiment ? ",\"isActive\":true,\"hasSharedParams\":false,\"explicitParameters\":[\"color\",\"size\"]" : "") + "}"
                if size + spec.utf8.count + 1 > budget { break }
                configs.append(spec)
                size += spec.utf8.count + 1
            } else {
                let n = layers.count
                let value = "{\"param_0\":\"a\",\"param_1\":2,\"param_2\":true}"
                let spec = "{\"name\":\"layer_\(n)\",\"type\":\"dynamic_config\",\"salt\":\"\(salt())\",\"enabled\":true,\"defaultValue\":\(value),"
                    + "\"rules\":[\(rule(0, value: value, group: nil))],\"isDeviceBased\":false,\"idType\":\"userID\",\"entity\":\"layer\"}"
                if size + spec.utf8.count + 1 > budget { break }
                layers.append(spec)
                size += spec.utf8.count + 1
            }
        }
        let text = "{\"has_updates\":true,\"time\":1767981029384,\"company_id\":\"5NprLGRxV3W28hreG51Z7n\",\"response_format\":\"dcs-v1\","
            + "\"feature_gates\":[" + gates.joined(separator: ",") + "],\"dynamic_configs\":[" + configs.joined(separator: ",")
            + "],\"layer_configs\":[" + layers.joined(separator: ",") + "],\"layers\":{},\"id_lists\":{},\"sdk_configs\":{},\"diagnostics\":{}}"
        let bytes = Array(text.utf8)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw FileProblem("cannot write \(path)") }
        return bytes.count
    }
}
