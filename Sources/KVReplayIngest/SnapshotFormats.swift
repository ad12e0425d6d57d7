import Foundation
import KVReplayIO
import KVReplayModel
import KVReplayStore

/// Why a whole file could not be used.
public struct FileProblem: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Why one record of a file was rejected.
struct RecordProblem: Error {
    var field: String?
    var reason: String
}

/// One KV value found in a snapshot file.
struct SnapshotRecord {
    /// Where in the file: `""` when the file is one value, else the KV key or `[index]`.
    var locator: String
    var key: String?
    /// The value's bytes as stored in KV.
    var bytes: [UInt8]
    /// The value already parsed (raw files, JSON-typed values); nil when `bytes` still has to be parsed.
    var parsed: JSONValue?
    var metadata: JSONObject?
    /// The value reached us as parsed JSON, so `bytes` is its compact serialization, not the stored text.
    var reserialized = false
    /// SHA-256 of `bytes`, when already known (a raw file is its value).
    var sha256: String? = nil
    /// `bytes` already tokenized (a raw file's tape, whose offsets are those of `bytes`).
    var tape: JSONTape? = nil
}

/// The content of a snapshot file: the values it holds, and the records that could not be read.
struct SnapshotFileContent {
    /// `raw`, `wrangler-bulk-get`, `wrangler-bulk-get-local`, `bulk-put`; `rest/` in front inside a Cloudflare envelope.
    var format: String
    var records: [SnapshotRecord] = []
    var rejects: [RejectRow] = []
    /// Keys that are not Statsig's and do not hold a payload (other values of a namespace export), passed over.
    var skippedKeys: [String] = []
}

/// Detects the shape of a snapshot file from its content (`../shared/docs/kv-and-log-formats.md` §3).
enum SnapshotFormats {
    static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Reads decompressed file content. Throws when the file as a whole is unusable.
    static func read(_ content: [UInt8]) throws(FileProblem) -> SnapshotFileContent {
        var bytes = content
        if bytes.starts(with: utf8BOM) { bytes.removeFirst(3) }
        let trimmedText = trimmed(bytes)
        if trimmedText.isEmpty { throw FileProblem("empty file") }
        if trimmedText.elementsEqual("Value not found".utf8) {
            throw FileProblem("holds wrangler's 'Value not found' (the key did not exist when it was read)")
        }
        // wrangler kv bulk get prints the JSON, a blank line and "Success!".
        var wranglerOutput = false
        if let cut = successTrailer(bytes) {
            bytes.removeSubrange(cut...)
            wranglerOutput = true
            // Anything wrangler printed before the JSON (a banner) is passed over.
            if let start = bytes.firstIndex(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }),
                bytes[..<start].contains(where: { $0 > 0x20 })
            {
                bytes.removeSubrange(..<start)
            }
        }
        if var raw = rawPayload(bytes) {
            if wranglerOutput { raw.format = "wrangler/raw" }
            return raw
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes, limits: JSONParserLimits(maxDepth: 256))
        } catch {
            if error.offset >= bytes.count || error.reason.contains("end of input") || error.reason.contains("unterminated") {
                throw FileProblem("truncated: the JSON ends early (\(error))")
            }
            if let first = bytes.first(where: { $0 > 0x20 }), first != UInt8(ascii: "{") && first != UInt8(ascii: "[") && first != UInt8(ascii: "\"") {
                throw FileProblem("not JSON (\(error))")
            }
            throw FileProblem("not valid JSON (\(error))")
        }
        var content = try classify(json, rawBytes: stripTrailingNewlines(bytes))
        if wranglerOutput && !content.format.hasPrefix("wrangler") && !content.format.hasPrefix("rest/") {
            content.format = "wrangler/" + content.format
        }
        return content
    }

    /// A file that is one payload, tokenized without building its tree (the builder reads the tape); nil for
    /// anything else (an export, an envelope, invalid JSON), which the tree path classifies or names.
    private static func rawPayload(_ bytes: [UInt8]) -> SnapshotFileContent? {
        var tape = JSONTape()
        tape.maxDepth = 256
        let isPayload = bytes.withUnsafeBufferPointer { b -> Bool in
            do throws(JSONParseError) { try tape.parseDocument(b) } catch { return false }
            guard tape.tokens[0].kind == .object, TapePayload.numbersInRange(tape, b) else { return false }
            let p = TapePayload(tape: tape, b: b)
            if p.bool(p.member(0, "success")) != nil, p.member(0, "result") != nil || p.member(0, "errors") != nil { return false }
            return p.member(0, "feature_gates") != nil || p.member(0, "dynamic_configs") != nil || p.member(0, "layer_configs") != nil
                || p.member(0, "has_updates") != nil || p.member(0, "condition_map") != nil
        }
        guard isPayload else { return nil }
        var record = SnapshotRecord(locator: "", key: nil, bytes: stripTrailingNewlines(bytes), parsed: nil, metadata: nil)
        record.tape = tape
        return SnapshotFileContent(format: "raw", records: [record])
    }

    private static func trimmed(_ b: [UInt8]) -> ArraySlice<UInt8> {
        var s = b[...]
        while let f = s.first, f <= 0x20 { s.removeFirst() }
        while let l = s.last, l <= 0x20 { s.removeLast() }
        return s
    }

    /// The start of a trailing `Success!` line (wrangler's last line), if there is one.
    private static func successTrailer(_ b: [UInt8]) -> Int? {
        var end = b.count
        while end > 0, b[end - 1] <= 0x20 { end -= 1 }
        var start = end
        while start > 0, b[start - 1] != 0x0A { start -= 1 }
        let line = String(decoding: b[start..<end], as: UTF8.self)
        guard line.hasSuffix("Success!") || line.hasSuffix("Success") else { return nil }
        let before = line.dropLast(line.hasSuffix("!") ? 8 : 7)
        guard before.allSatisfy({ !$0.isLetter && !$0.isNumber && $0 != "{" && $0 != "}" && $0 != "[" && $0 != "]" && $0 != "\"" }) else {
            return nil
        }
        return start
    }

    /// A raw value as stored: `wrangler kv key get --text` adds a line break that is not part of the value.
    static func stripTrailingNewlines(_ b: [UInt8]) -> [UInt8] {
        var end = b.count
        while end > 0, b[end - 1] == 0x0A || b[end - 1] == 0x0D { end -= 1 }
        return end == b.count ? b : Array(b[..<end])
    }

    static func isPayload(_ o: JSONObject) -> Bool {
        o["feature_gates"] != nil || o["dynamic_configs"] != nil || o["layer_configs"] != nil || o["has_updates"] != nil
            || o["condition_map"] != nil
    }

    static func classify(_ json: JSONValue, rawBytes: [UInt8]?) throws(FileProblem) -> SnapshotFileContent {
        switch json {
        case .object(let o):
            if let success = o["success"]?.boolValue, o["result"] != nil || o["errors"] != nil {
                guard success else {
                    let messages = (o["errors"]?.arrayValue ?? []).compactMap { e -> String? in
                        let code = e["code"].map { JSONWriter(style: .serde).string($0) }
                        guard let m = e["message"]?.stringValue else { return code }
                        return code.map { "\($0): \(m)" } ?? m
                    }
                    throw FileProblem("a Cloudflare API error response (\(messages.isEmpty ? "no message" : messages.joined(separator: "; ")))")
                }
                guard let result = o["result"], !result.isNull else { throw FileProblem("a Cloudflare API response without a result") }
                var inner = try classify(result, rawBytes: nil)
                inner.format = "rest/" + inner.format
                return inner
            }
            if isPayload(o) {
                var c = SnapshotFileContent(format: "raw")
                if let rawBytes {
                    c.records = [SnapshotRecord(locator: "", key: nil, bytes: rawBytes, parsed: json, metadata: nil)]
                } else {
                    c.records = [SnapshotRecord(locator: "", key: nil, bytes: compact(json), parsed: json, metadata: nil, reserialized: true)]
                }
                return c
            }
            if let values = o["values"]?.objectValue {
                var c = SnapshotFileContent(format: "wrangler-bulk-get")
                for (key, v) in values.members { add(key: key, locator: key, entry: v, to: &c, perKeyObject: true) }
                return c
            }
            if !o.isEmpty, o.values.allSatisfy({ $0.objectValue?["value"] != nil }) {
                var c = SnapshotFileContent(format: "wrangler-bulk-get-local")
                for (key, v) in o.members { add(key: key, locator: key, entry: v, to: &c, perKeyObject: true) }
                return c
            }
            throw FileProblem("not a recognized snapshot format: a JSON object that is neither a config-specs payload "
                + "(feature_gates, dynamic_configs, layer_configs, has_updates) nor a KV export")
        case .array(let a):
            if a.isEmpty { throw FileProblem("an empty array: no KV values") }
            if a.allSatisfy({ $0.stringValue != nil || ($0.objectValue?["name"] != nil && $0.objectValue?["value"] == nil) }) {
                throw FileProblem("a list of key names (wrangler kv key list), not values")
            }
            var c = SnapshotFileContent(format: "bulk-put")
            for (i, element) in a.enumerated() {
                let locator = "[\(i)]"
                guard let e = element.objectValue else {
                    c.rejects.append(RejectRow(line: nil, record: locator, field: nil,
                                               reason: "array element is \(element.kindName), expected an object with key and value",
                                               excerpt: Excerpt.of(compact(element))))
                    continue
                }
                guard let key = e["key"]?.stringValue else {
                    c.rejects.append(RejectRow(line: nil, record: locator, field: "key",
                                               reason: e["key"] == nil ? "missing field" : "is \(e["key"]!.kindName), expected a string",
                                               excerpt: Excerpt.of(compact(element))))
                    continue
                }
                guard let value = e["value"], !value.isNull else {
                    c.rejects.append(RejectRow(line: nil, record: "\(locator) \(key)", field: "value", reason: "missing field",
                                               excerpt: Excerpt.of(compact(element))))
                    continue
                }
                var bytes: [UInt8]
                var parsed: JSONValue? = nil
                var reserialized = false
                switch value {
                case .string(let s):
                    if e["base64"]?.boolValue == true {
                        guard let d = Data(base64Encoded: s, options: .ignoreUnknownCharacters) else {
                            c.rejects.append(RejectRow(line: nil, record: "\(locator) \(key)", field: "value", reason: "base64 is true but the value is not valid base64",
                                                       excerpt: Excerpt.of(Array(s.utf8))))
                            continue
                        }
                        bytes = [UInt8](d)
                    } else {
                        bytes = Array(s.utf8)
                    }
                case .object:
                    bytes = compact(value)
                    parsed = value
                    reserialized = true
                default:
                    c.rejects.append(RejectRow(line: nil, record: "\(locator) \(key)", field: "value", reason: "is \(value.kindName), expected a string",
                                               excerpt: Excerpt.of(compact(element))))
                    continue
                }
                if !KVKeys.looksLikeStatsig(key) && !looksLikePayload(bytes, parsed) {
                    c.skippedKeys.append(key)
                    continue
                }
                c.records.append(SnapshotRecord(locator: locator, key: key, bytes: bytes, parsed: parsed, metadata: e["metadata"]?.objectValue,
                                                reserialized: reserialized))
            }
            return c
        case .string(let s):
            // A REST result that is the value text itself.
            return SnapshotFileContent(format: "value-string", records: [SnapshotRecord(locator: "", key: nil, bytes: Array(s.utf8), parsed: nil, metadata: nil)])
        default:
            throw FileProblem("not a recognized snapshot format: the file holds \(json.kindName)")
        }
    }

    /// One key of a bulk-get result: a string, `{value, metadata?, expiration?}`, a parsed object (type=json) or null.
    private static func add(key: String, locator: String, entry: JSONValue, to c: inout SnapshotFileContent, perKeyObject: Bool) {
        var value = entry
        var metadata: JSONObject? = nil
        if let o = entry.objectValue, o["value"] != nil, !isPayload(o) {
            value = o["value"]!
            metadata = o["metadata"]?.objectValue
        }
        switch value {
        case .string(let s):
            let bytes = Array(s.utf8)
            if !KVKeys.looksLikeStatsig(key) && !looksLikePayload(bytes, nil) { c.skippedKeys.append(key); return }
            c.records.append(SnapshotRecord(locator: locator, key: key, bytes: bytes, parsed: nil, metadata: metadata))
        case .object:
            if !KVKeys.looksLikeStatsig(key) && !looksLikePayload([], value) { c.skippedKeys.append(key); return }
            c.records.append(SnapshotRecord(locator: locator, key: key, bytes: compact(value), parsed: value, metadata: metadata, reserialized: true))
        case .null:
            if !KVKeys.looksLikeStatsig(key) { c.skippedKeys.append(key); return }
            c.rejects.append(RejectRow(line: nil, record: locator, field: "value", reason: "value not found (null): the key did not exist", excerpt: nil))
        default:
            c.rejects.append(RejectRow(line: nil, record: locator, field: "value", reason: "is \(value.kindName), expected a string",
                                       excerpt: Excerpt.of(compact(value))))
        }
    }

    private static func looksLikePayload(_ bytes: [UInt8], _ parsed: JSONValue?) -> Bool {
        if let o = parsed?.objectValue { return isPayload(o) }
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        return head.contains("\"feature_gates\"") || head.contains("\"has_updates\"") || head.contains("\"dynamic_configs\"")
    }

    static func compact(_ v: JSONValue) -> [UInt8] {
        var out = [UInt8]()
        JSONWriter(style: .serde).write(v, into: &out)
        return out
    }
}

/// Turns one KV value into a snapshot row: identity, sizes, capture time, counts, per-entity rows, compressed payload.
struct SnapshotBuilder {
    static let kvValueLimit: Int64 = 26_214_400

    var capturedAtOption: Int64?
    var fileName: String
    var fileIsOneValue: Bool
    var zlibLevel: Int32
    /// Payloads already in the database (by SHA-256): their rows carry no compressed bytes (see `Ingester`).
    var storedPayloads = Set<String>()

    /// Metadata keys read as a capture time, in this order.
    static let metadataTimeKeys = ["capturedAt", "captured_at", "exportedAt", "exported_at", "snapshotAt", "snapshot_at",
                                   "timestamp", "createdAt", "created_at"]

    /// A value given as text is read from its tape (``buildFromTape(_:)``); a value given parsed, or one the tape
    /// path leaves (not JSON, not an object, a number out of range), through the decoded tree, whose errors name
    /// the problem.
    func build(_ r: SnapshotRecord) throws(RecordProblem) -> SnapshotInsert {
        if r.parsed == nil, let built = buildFromTape(r) { return try built.get() }
        return try buildFromTree(r)
    }

    /// The same row from a `JSONValue` tree and a decoded ``ConfigSpecs``.
    func buildFromTree(_ r: SnapshotRecord) throws(RecordProblem) -> SnapshotInsert {
        let json: JSONValue
        if let p = r.parsed {
            json = p
        } else {
            do {
                json = try JSONParser.parse(r.bytes, limits: JSONParserLimits(maxDepth: 256))
            } catch {
                if r.bytes.starts(with: [0x1F, 0x8B]) { throw RecordProblem(field: "value", reason: "the value is gzip, not JSON text") }
                throw RecordProblem(field: "value", reason: "the value is not valid JSON (\(error))")
            }
        }
        guard let top = json.objectValue else {
            throw RecordProblem(field: "value", reason: "the value is \(json.kindName), expected a config-specs payload (an object)")
        }
        // The payload is compressed on another thread while it is decoded here.
        let bytes = r.bytes
        let level = zlibLevel
        let compression = Background { () -> Result<[UInt8], CompressionError> in
            do throws(CompressionError) { return .success(try Gzip.zlibCompress(bytes, level: level)) } catch { return .failure(error) }
        }
        let timing = ProcessInfo.processInfo.environment["KVREPLAY_TIMING"] != nil
        var phase = ContinuousClock.now
        func mark(_ what: String) {
            guard timing else { return }
            let now = ContinuousClock.now
            FileHandle.standardError.write(Data("timing:   \(what) \(now - phase)\n".utf8))
            phase = now
        }
        // The specs are decoded (as the evaluator reads them, to find the invalid ones) on another thread too,
        // while the entity rows are computed here from the payload's text.
        let name = fileName
        let decoding = Background { () -> Result<ConfigSpecs, PayloadError> in
            do throws(PayloadError) { return .success(try ConfigSpecs(json: json, source: name)) } catch { return .failure(error) }
        }
        defer { mark("wait and finish") }
        // A payload must at least have the shape the decoder needs; its checks are cheap, so fail early on them.
        let hasUpdates = top["has_updates"]?.boolValue ?? true
        if hasUpdates && SpecCollection.allCases.allSatisfy({ top[$0.rawValue] == nil || top[$0.rawValue]!.isNull }) {
            _ = decoding.get()
            _ = compression.get()
            throw RecordProblem(field: "value", reason: "not a config-specs payload: none of feature_gates, dynamic_configs, layer_configs is present")
        }

        // Capture time: --captured-at, else the record's metadata, else the file name, else the payload's time.
        var capturedAt: Int64? = nil
        var source: CapturedAtSource? = nil
        if let t = capturedAtOption {
            (capturedAt, source) = (t, .option)
        } else if let t = Self.metadataTime(r.metadata) {
            (capturedAt, source) = (t, .metadata)
        } else if let t = Timestamps.fromFileName(fileName) {
            (capturedAt, source) = (t, .filename)
        } else if let t = Self.lcut(top) {
            (capturedAt, source) = (t, .lcut)
        }

        let key = r.key ?? (fileIsOneValue ? KVKeys.fromFileName(fileName) : nil)
        var counts = SnapshotCounts()
        var entities: [SnapshotEntityRow] = []
        let ranges = JSONScan.collections(r.bytes, keys: Set(SpecCollection.allCases.map(\.rawValue)))
        var scratch = [UInt8]()
        r.bytes.withUnsafeBufferPointer { b in
            for collection in SpecCollection.allCases {
                guard let value = top[collection.rawValue], !value.isNull else { continue }
                let found = ranges[collection.rawValue] ?? []
                var members: [(name: String, spec: JSONValue, range: Range<Int>?)] = []
                switch value {
                case .array(let a):
                    for (i, spec) in a.enumerated() {
                        members.append((spec["name"]?.stringValue ?? "#\(i)", spec, i < found.count ? found[i].range : nil))
                    }
                case .object(let o):
                    var byKey: [String: Range<Int>] = [:]
                    for f in found { if let k = f.key { byKey[k] = f.range } }
                    for (name, spec) in o.members { members.append((name, spec, byKey[name])) }
                default:
                    continue
                }
                switch collection {
                case .featureGates: counts.featureGates = members.count
                case .dynamicConfigs: counts.dynamicConfigs = members.count
                case .layerConfigs: counts.layerConfigs = members.count
                }
                for (name, spec, range) in members {
                    let entity = spec["entity"]?.stringValue
                    let kind: String
                    switch collection {
                    case .featureGates:
                        kind = "gate"
                        switch entity {
                        case "segment": counts.segments += 1
                        case "holdout": counts.holdouts += 1
                        default: counts.gates += 1
                        }
                    case .dynamicConfigs:
                        switch entity {
                        case "experiment": kind = "experiment"; counts.experiments += 1
                        case "autotune": kind = "config"; counts.autotunes += 1
                        default: kind = "config"; counts.configs += 1
                        }
                    case .layerConfigs:
                        kind = "layer"
                        counts.layers += 1
                    }
                    // Size and hash from the spec's text in the payload (hash: whitespace outside strings removed).
                    let bytes: Int64
                    let hash: String
                    if let range {
                        bytes = Int64(range.count)
                        hash = JSONScan.compactSHA256(b, range, scratch: &scratch)
                    } else {
                        let text = SnapshotFormats.compact(spec)
                        bytes = Int64(text.count)
                        hash = SHA256Stream.hex(text)
                    }
                    let problem: String? = nil
                    entities.append(SnapshotEntityRow(
                        collection: collection.rawValue, name: name, kind: kind, entity: entity, jsonBytes: bytes, specSHA256: hash,
                        rules: spec["rules"]?.arrayValue.map { Int64($0.count) },
                        enabled: spec["enabled"]?.boolValue, isActive: spec["isActive"]?.boolValue,
                        version: Self.int(spec["version"]), idType: spec["idType"]?.stringValue,
                        valid: problem == nil, problem: problem))
                }
            }
        }
        mark("entities")
        let specs: ConfigSpecs
        switch decoding.get() {
        case .success(let decoded): specs = decoded
        case .failure(let error):
            _ = compression.get()
            throw RecordProblem(field: "value", reason: error.problem)
        }
        mark("wait for the decoder")
        // Specs the evaluator cannot read are marked on their rows.
        let invalid = Dictionary(specs.invalidSpecs.map { ("\($0.collection.rawValue)\u{1F}\($0.name)", $0.problem) }, uniquingKeysWith: { a, _ in a })
        if !invalid.isEmpty {
            for i in entities.indices {
                if let problem = invalid["\(entities[i].collection)\u{1F}\(entities[i].name)"] {
                    entities[i].valid = false
                    entities[i].problem = problem
                }
            }
        }
        counts.invalidSpecs = specs.invalidSpecs.count
        counts.conditions = top["condition_map"]?.objectValue?.count ?? 0
        counts.idListNames = specs.idListNames.count

        let compressed: [UInt8]
        switch compression.get() {
        case .success(let c): compressed = c
        case .failure(let e): throw RecordProblem(field: nil, reason: "compressing the payload failed (\(e))")
        }
        let size = Int64(r.bytes.count)
        // The decoded specs are a large structure: free it on another thread.
        DispatchQueue.global(qos: .utility).async { _ = specs.featureGates.count }
        return SnapshotInsert(
            sha256: r.sha256 ?? SHA256Stream.hex(r.bytes), kvKey: key, kvID: key.flatMap(KVKeys.id(of:)), lcut: specs.time,
            capturedAt: capturedAt, capturedAtSource: source, format: specs.format.rawValue, hasUpdates: specs.hasUpdates,
            sizeBytes: size, overKVLimit: size > Self.kvValueLimit, companyID: specs.companyID, counts: counts,
            payloadZlib: compressed, sourceRecord: r.locator, entities: entities)
    }

    /// The payload's `time`, read as the decoder reads it.
    static func lcut(_ top: JSONObject) -> Int64? {
        switch top["time"] {
        case .int(let i)?: return i
        case .double(let d)? where d.isFinite && d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        case .string(let s)?: return Int64(s)
        default: return nil
        }
    }

    static func int(_ v: JSONValue?) -> Int64? {
        switch v {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }

    static func metadataTime(_ m: JSONObject?) -> Int64? {
        guard let m else { return nil }
        for k in metadataTimeKeys {
            switch m[k] {
            case .string(let s): if let t = Timestamps.parse(s) { return t }
            case .int(let i): if let t = Timestamps.epoch(Double(i)) { return t }
            case .double(let d): if let t = Timestamps.epoch(d) { return t }
            default: continue
            }
        }
        return nil
    }
}

/// Work started on a thread of its own; ``get()`` waits for its result.
///
/// Not Dispatch's global queue: the ingest itself runs on one of its threads, and when the pool is as wide as the
/// CPUs it may use (one, under `taskset -c 0`), work queued there while that thread waits starts only when Dispatch
/// adds a thread, about a second later.
final class Background<T: Sendable>: @unchecked Sendable {
    private var value: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread {
            self.value = work()
            self.done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    func get() -> T {
        done.wait()
        done.signal()
        return value!
    }
}
