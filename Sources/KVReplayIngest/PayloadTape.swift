import Foundation
import KVReplayIO
import KVReplayModel
import KVReplayStore

/// The members of one object of a ``JSONTape``, merged exactly as ``JSONObject`` merges them: a repeated key keeps
/// its first position and takes the last value; up to 12 keys are told apart by their UTF-8 bytes, past that by
/// `String` equality (the index `JSONObject` builds), so counts and lookups agree with the decoded tree.
struct TapeObject {
    private(set) var keys: [String] = []
    private(set) var values: [Int] = []
    private var index: [String: Int]? = nil
    private static let indexThreshold = 12

    init(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ object: Int) {
        tape.forEachMember(object) { k, v in insert(tape.string(b, k), v) }
    }

    var count: Int { keys.count }

    func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in keys.indices where keys[i].utf8.elementsEqual(key.utf8) { return i }
        return nil
    }

    subscript(key: String) -> Int? { position(of: key).map { values[$0] } }

    private mutating func insert(_ key: String, _ value: Int) {
        if let i = position(of: key) {
            values[i] = value
            return
        }
        keys.append(key)
        values.append(value)
        if index != nil {
            index![key] = keys.count - 1
        } else if keys.count > Self.indexThreshold {
            var built = [String: Int](minimumCapacity: keys.count * 2)
            for (i, k) in keys.enumerated() { built[k] = i }
            index = built
        }
    }
}

/// A payload read from its tape, without building a `JSONValue` tree or a ``ConfigSpecs``: what a snapshot row needs
/// (format, lcut, counts, entity rows) and the specs the evaluator cannot read, found with the same checks and the
/// same messages as ``ConfigSpecs/init(json:source:)`` (`SpecReader`). `SnapshotBuilder` takes this path for values
/// given as text; the tests hold it equal to the decoder's on the fixtures, the conformance payloads and hostile
/// inputs.
struct TapePayload {
    let tape: JSONTape
    let b: UnsafeBufferPointer<UInt8>

    /// The last value of member `key` of the object at `i` (literal ASCII keys: bytes decide, as in `JSONObject`).
    func member(_ i: Int, _ key: StaticString) -> Int? { tape.member(b, i, key) }

    func kind(_ i: Int) -> JSONTape.Kind { tape.tokens[i].kind }
    func isNull(_ i: Int?) -> Bool { i == nil || kind(i!) == .null }
    func string(_ i: Int?) -> String? { i.flatMap { kind($0) == .string ? tape.string(b, $0) : nil } }
    func bool(_ i: Int?) -> Bool? {
        guard let i else { return nil }
        switch kind(i) {
        case .trueValue: return true
        case .falseValue: return false
        default: return nil
        }
    }

    func kindName(_ i: Int) -> String { tape.kindName(kind(i)) }

    /// The bytes of the value at `i` as written (strings with their quotes), as `JSONScan` finds them.
    func range(_ i: Int) -> Range<Int> {
        let t = tape.tokens[i]
        return t.kind == .string ? Int(t.start - 1)..<Int(t.end + 1) : Int(t.start)..<Int(t.end)
    }

    /// A number token as `JSONParser` reads it: `.int` when an integer literal fits in `Int64`, else `.double`.
    enum Number { case int(Int64), double(Double) }

    func number(_ i: Int) -> Number? {
        guard kind(i) == .number else { return nil }
        let raw = tape.raw(b, i)
        if !tape.tokens[i].flag, let v = JSONTape.parseInt(raw) { return .int(v) }
        return Double(String(decoding: raw, as: UTF8.self)).map { .double($0) }
    }

    /// `SnapshotBuilder.int`: an integer, or a double with no fraction below 9e18.
    func integer(_ i: Int?) -> Int64? {
        switch i.flatMap(number) {
        case .int(let v)?: return v
        case .double(let d)? where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }

    /// The payload's `time`, as the decoder reads it.
    func lcut(_ top: Int) -> Int64? {
        guard let t = member(top, "time") else { return nil }
        if kind(t) == .string { return Int64(tape.string(b, t)) }
        switch number(t) {
        case .int(let v)?: return v
        case .double(let d)? where d.isFinite && d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }

    /// True when every number parses to a finite double, as `JSONParser` requires ("number out of range").
    /// Only literals with a fraction, an exponent or more than 18 digits can fail.
    static func numbersInRange(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for t in tape.tokens where t.kind == .number && (t.flag || t.end - t.start > 18) {
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[Int(t.start)..<Int(t.end)]), as: UTF8.self)
            guard let d = Double(text), d.isFinite else { return false }
        }
        return true
    }

    /// `ConfigSpecs.detectFormat`.
    func format(_ top: Int) -> PayloadFormat {
        if string(member(top, "response_format")) == "dcs-v2" { return .v2 }
        for c in SpecCollection.allCases {
            if let v = member(top, c.staticName), kind(v) == .object { return .v2 }
        }
        return member(top, "condition_map") != nil ? .v2 : .v1
    }

    /// What the decoder would report: the specs it would skip, or the payload error it would throw.
    struct Decoded {
        var format: PayloadFormat
        var invalid: [(collection: SpecCollection, name: String, problem: String)] = []
        var idListNames = 0
        /// Members of `condition_map` when it is an object (whatever the format).
        var conditions = 0
    }

    /// The checks of ``ConfigSpecs/init(json:source:)`` after its top-level ones (which `SnapshotBuilder` makes first):
    /// `condition_map`'s type, each collection's type, every spec.
    func decode(_ top: Int) -> Result<Decoded, PayloadError> {
        let format = format(top)
        var decoded = Decoded(format: format)
        var conditionMap: TapeObject? = nil
        if format == .v2, let cm = member(top, "condition_map"), kind(cm) != .null {
            guard kind(cm) == .object else {
                return .failure(PayloadError(source: "", problem: "condition_map is \(kindName(cm)), expected an object"))
            }
            conditionMap = TapeObject(tape, b, cm)
        }
        for collection in SpecCollection.allCases {
            guard let value = member(top, collection.staticName), kind(value) != .null else { continue }
            var entries: [(String?, Int)] = []
            switch (format, kind(value)) {
            case (.v1, .array): tape.forEachElement(value) { entries.append((nil, $0)) }
            case (.v2, .object):
                let o = TapeObject(tape, b, value)
                entries = zip(o.keys, o.values).map { ($0, $1) }
            default:
                return .failure(PayloadError(source: "", problem: "\(collection.rawValue) is \(kindName(value)), expected "
                    + (format == .v1 ? "an array (dcs-v1)" : "an object (dcs-v2)")))
            }
            for (position, (key, spec)) in entries.enumerated() {
                guard let name = key ?? (kind(spec) == .object ? string(member(spec, "name")) : nil) else {
                    decoded.invalid.append((collection, "#\(position)", "spec without a string \"name\""))
                    continue
                }
                do throws(SpecProblem) {
                    try checkSpec(spec, conditionMap: conditionMap)
                } catch {
                    decoded.invalid.append((collection, name, error.message))
                }
            }
        }
        if let ids = member(top, "id_lists"), kind(ids) == .object { decoded.idListNames = TapeObject(tape, b, ids).count }
        if let conditionMap {
            decoded.conditions = conditionMap.count
        } else if let cm = member(top, "condition_map"), kind(cm) == .object {
            decoded.conditions = TapeObject(tape, b, cm).count
        }
        return .success(decoded)
    }

    // MARK: SpecReader's checks, in its order

    private static let specFields: [StaticString] = [
        "rules", "type", "entity", "salt", "enabled", "defaultValue", "idType", "explicitParameters", "hasSharedParams",
        "isActive", "version", "targetAppIDs", "forwardAllExposures", "useNewLayerEval",
    ]

    private func checkSpec(_ spec: Int, conditionMap: TapeObject?) throws(SpecProblem) {
        guard kind(spec) == .object else { throw SpecProblem(message: "spec is \(kindName(spec)), expected an object") }
        let f = fieldValues(spec, Self.specFields)
        let rules = try required(f[0], "rules", "spec")
        guard kind(rules) == .array else { throw SpecProblem(message: "\"rules\" is not an array") }
        var i = 0
        var problem: SpecProblem? = nil
        tape.forEachElement(rules) { r in
            guard problem == nil else { return }
            do throws(SpecProblem) { try checkRule(r, conditionMap: conditionMap) } catch {
                problem = SpecProblem(message: "rule \(i): \(error.message)")
            }
            i += 1
        }
        if let problem { throw problem }
        try requiredString(f[1], "type", "spec")
        try requiredString(f[2], "entity", "spec")
        try requiredString(f[3], "salt", "spec")
        try requiredBool(f[4], "enabled", "spec")
        _ = try required(f[5], "defaultValue", "spec")
        try requiredString(f[6], "idType", "spec")
        try optionalStringArray(f[7], "explicitParameters")
        try optionalBool(f[8], "hasSharedParams")
        try optionalBool(f[9], "isActive")
        try optionalInt(f[10], "version")
        try optionalStringArray(f[11], "targetAppIDs")
        try optionalBool(f[12], "forwardAllExposures")
        try optionalBool(f[13], "useNewLayerEval")
    }

    private static let ruleFields: [StaticString] = [
        "passPercentage", "conditions", "name", "id", "salt", "returnValue", "idType", "groupName", "isExperimentGroup",
        "configDelegate", "samplingRate",
    ]

    private func checkRule(_ rule: Int, conditionMap: TapeObject?) throws(SpecProblem) {
        guard kind(rule) == .object else { throw SpecProblem(message: "rule is \(kindName(rule)), expected an object") }
        let f = fieldValues(rule, Self.ruleFields)
        guard kind(try required(f[0], "passPercentage", "rule")) == .number else {
            throw SpecProblem(message: "\"passPercentage\" is not a number")
        }
        let conditions = try required(f[1], "conditions", "rule")
        guard kind(conditions) == .array else { throw SpecProblem(message: "\"conditions\" is not an array") }
        var i = 0
        var problem: SpecProblem? = nil
        tape.forEachElement(conditions) { c in
            guard problem == nil else { return }
            do throws(SpecProblem) {
                if let conditionMap {
                    guard kind(c) == .string else { throw SpecProblem(message: "is \(kindName(c)), expected a condition_map key") }
                    if let cj = conditionMap[tape.string(b, c)] { try checkCondition(cj) }
                } else if kind(c) != .string {
                    try checkCondition(c)
                }
            } catch {
                problem = SpecProblem(message: "condition \(i): \(error.message)")
            }
            i += 1
        }
        if let problem { throw problem }
        try requiredString(f[2], "name", "rule")
        try requiredString(f[3], "id", "rule")
        try optionalString(f[4], "salt")
        _ = try required(f[5], "returnValue", "rule")
        try requiredString(f[6], "idType", "rule")
        try optionalString(f[7], "groupName")
        try optionalBool(f[8], "isExperimentGroup")
        try optionalString(f[9], "configDelegate")
        try optionalInt(f[10], "samplingRate")
    }

    private static let conditionFields: [StaticString] = ["additionalValues", "type", "operator", "field", "idType"]

    private func checkCondition(_ c: Int) throws(SpecProblem) {
        guard kind(c) == .object else { throw SpecProblem(message: "condition is \(kindName(c)), expected an object") }
        let f = fieldValues(c, Self.conditionFields)
        if let av = f[0], kind(av) != .null, kind(av) != .object {
            throw SpecProblem(message: "\"additionalValues\" is \(kindName(av)), expected an object")
        }
        try requiredString(f[1], "type", "condition")
        try optionalString(f[2], "operator")
        try optionalString(f[3], "field")
        try requiredString(f[4], "idType", "condition")
    }

    /// The value tokens of the members named in `names` (the last of a repeated key), in one pass over the object.
    func fieldValues(_ o: Int, _ names: [StaticString]) -> [Int?] {
        var found = [Int?](repeating: nil, count: names.count)
        tape.forEachMember(o) { k, v in
            for n in names.indices where tape.keyIs(b, k, names[n]) {
                found[n] = v
                break
            }
        }
        return found
    }

    private func required(_ v: Int?, _ key: String, _ what: String) throws(SpecProblem) -> Int {
        guard let v else { throw SpecProblem(message: "\(what) has no \"\(key)\"") }
        return v
    }

    private func requiredString(_ v: Int?, _ key: String, _ what: String) throws(SpecProblem) {
        let v = try required(v, key, what)
        guard kind(v) == .string else { throw SpecProblem(message: "\"\(key)\" is \(kindName(v)), expected a string") }
    }

    private func requiredBool(_ v: Int?, _ key: String, _ what: String) throws(SpecProblem) {
        let v = try required(v, key, what)
        guard bool(v) != nil else { throw SpecProblem(message: "\"\(key)\" is \(kindName(v)), expected a boolean") }
    }

    private func optionalString(_ v: Int?, _ key: String) throws(SpecProblem) {
        guard let v, kind(v) != .null else { return }
        guard kind(v) == .string else { throw SpecProblem(message: "\"\(key)\" is \(kindName(v)), expected a string") }
    }

    private func optionalBool(_ v: Int?, _ key: String) throws(SpecProblem) {
        guard let v, kind(v) != .null else { return }
        guard bool(v) != nil else { throw SpecProblem(message: "\"\(key)\" is \(kindName(v)), expected a boolean") }
    }

    private func optionalInt(_ v: Int?, _ key: String) throws(SpecProblem) {
        guard let v, kind(v) != .null else { return }
        guard integer(v) != nil else { throw SpecProblem(message: "\"\(key)\" is \(kindName(v)), expected an integer") }
    }

    private func optionalStringArray(_ v: Int?, _ key: String) throws(SpecProblem) {
        guard let v, kind(v) != .null else { return }
        guard kind(v) == .array else { throw SpecProblem(message: "\"\(key)\" is \(kindName(v)), expected an array of strings") }
        var problem: SpecProblem? = nil
        tape.forEachElement(v) { e in
            if problem == nil, kind(e) != .string { problem = SpecProblem(message: "\"\(key)\" holds \(kindName(e)), expected strings") }
        }
        if let problem { throw problem }
    }
}

/// Why a spec cannot be read (`SpecReader`'s message).
struct SpecProblem: Error {
    var message: String
}

extension SpecCollection {
    /// The collection's key, for tape lookups.
    var staticName: StaticString {
        switch self {
        case .featureGates: "feature_gates"
        case .dynamicConfigs: "dynamic_configs"
        case .layerConfigs: "layer_configs"
        }
    }
}

extension SnapshotBuilder {
    /// The row of a value given as text, from its tape: the same row as ``buildFromTree(_:)``, with no tree and no
    /// ``ConfigSpecs`` built. nil when the value is not JSON, not an object, or holds a number out of range: the tree
    /// path then gives the row or the problem, in its words.
    func buildFromTape(_ r: SnapshotRecord) -> Result<SnapshotInsert, RecordProblem>? {
        let timing = ProcessInfo.processInfo.environment["KVREPLAY_TIMING"] != nil
        var phase = ContinuousClock.now
        func mark(_ what: String) {
            guard timing else { return }
            let now = ContinuousClock.now
            FileHandle.standardError.write(Data("timing:   \(what) \(now - phase)\n".utf8))
            phase = now
        }
        var parsed: JSONTape
        if let t = r.tape {
            parsed = t
        } else {
            parsed = JSONTape()
            parsed.maxDepth = 256
            let ok = r.bytes.withUnsafeBufferPointer { b -> Bool in
                do throws(JSONParseError) { try parsed.parseDocument(b) } catch { return false }
                return TapePayload.numbersInRange(parsed, b)
            }
            guard ok else { return nil }
            mark("tokenize")
        }
        let tape = parsed
        guard tape.tokens[0].kind == .object else { return nil }
        // The payload is compressed (unless it is stored already), and its specs checked, on other threads while the
        // entity rows are computed here.
        let bytes = r.bytes
        let sha256 = r.sha256 ?? SHA256Stream.hex(bytes)
        let level = zlibLevel
        let stored = storedPayloads.contains(sha256)
        let compression = Background { () -> Result<[UInt8], CompressionError> in
            if stored { return .success([]) }
            do throws(CompressionError) { return .success(try Gzip.zlibCompress(bytes, level: level)) } catch { return .failure(error) }
        }
        let decoding = Background { () -> Result<TapePayload.Decoded, PayloadError> in
            bytes.withUnsafeBufferPointer { TapePayload(tape: tape, b: $0).decode(0) }
        }
        defer { mark("wait and finish") }
        return bytes.withUnsafeBufferPointer { b -> Result<SnapshotInsert, RecordProblem> in
            let p = TapePayload(tape: tape, b: b)
            let hasUpdates = p.bool(p.member(0, "has_updates")) ?? true
            if hasUpdates && SpecCollection.allCases.allSatisfy({ p.isNull(p.member(0, $0.staticName)) }) {
                _ = decoding.get()
                _ = compression.get()
                return .failure(RecordProblem(field: "value", reason: "not a config-specs payload: none of feature_gates, dynamic_configs, layer_configs is present"))
            }
            var capturedAt: Int64? = nil
            var source: CapturedAtSource? = nil
            if let t = capturedAtOption {
                (capturedAt, source) = (t, .option)
            } else if let t = Self.metadataTime(r.metadata) {
                (capturedAt, source) = (t, .metadata)
            } else if let t = Timestamps.fromFileName(fileName) {
                (capturedAt, source) = (t, .filename)
            } else if let t = p.lcut(0) {
                (capturedAt, source) = (t, .lcut)
            }
            let key = r.key ?? (fileIsOneValue ? KVKeys.fromFileName(fileName) : nil)
            var counts = SnapshotCounts()
            var entities: [SnapshotEntityRow] = []
            var scratch = [UInt8]()
            for collection in SpecCollection.allCases {
                guard let value = p.member(0, collection.staticName), !p.isNull(value) else { continue }
                var members: [(name: String, spec: Int, range: Range<Int>?)] = []
                switch p.kind(value) {
                case .array:
                    var i = 0
                    tape.forEachElement(value) { spec in
                        let name = p.kind(spec) == .object ? p.string(p.member(spec, "name")) : nil
                        members.append((name ?? "#\(i)", spec, p.range(spec)))
                        i += 1
                    }
                case .object:
                    // As the tree path: members merged as `JSONObject` merges them, ranges by `String` key (last wins).
                    var byKey: [String: Range<Int>] = [:]
                    tape.forEachMember(value) { k, v in byKey[tape.string(b, k)] = p.range(v) }
                    let o = TapeObject(tape, b, value)
                    for (name, spec) in zip(o.keys, o.values) { members.append((name, spec, byKey[name])) }
                default:
                    continue
                }
                switch collection {
                case .featureGates: counts.featureGates = members.count
                case .dynamicConfigs: counts.dynamicConfigs = members.count
                case .layerConfigs: counts.layerConfigs = members.count
                }
                for (name, spec, range) in members {
                    let f: [Int?] = p.kind(spec) == .object
                        ? p.fieldValues(spec, ["entity", "rules", "enabled", "isActive", "version", "idType"])
                        : [nil, nil, nil, nil, nil, nil]
                    let entity = p.string(f[0])
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
                    let specRange = range ?? p.range(spec)
                    var rules: Int64? = nil
                    if let r = f[1], p.kind(r) == .array {
                        var n: Int64 = 0
                        tape.forEachElement(r) { _ in n += 1 }
                        rules = n
                    }
                    entities.append(SnapshotEntityRow(
                        collection: collection.rawValue, name: name, kind: kind, entity: entity, jsonBytes: Int64(specRange.count),
                        specSHA256: JSONScan.compactSHA256(b, specRange, scratch: &scratch), rules: rules,
                        enabled: p.bool(f[2]), isActive: p.bool(f[3]), version: p.integer(f[4]), idType: p.string(f[5]),
                        valid: true, problem: nil))
                }
            }
            mark("entities")
            let decoded: TapePayload.Decoded
            switch decoding.get() {
            case .success(let d): decoded = d
            case .failure(let error):
                _ = compression.get()
                return .failure(RecordProblem(field: "value", reason: error.problem))
            }
            mark("wait for the spec checks")
            let invalid = Dictionary(decoded.invalid.map { ("\($0.collection.rawValue)\u{1F}\($0.name)", $0.problem) }, uniquingKeysWith: { a, _ in a })
            if !invalid.isEmpty {
                for i in entities.indices {
                    if let problem = invalid["\(entities[i].collection)\u{1F}\(entities[i].name)"] {
                        entities[i].valid = false
                        entities[i].problem = problem
                    }
                }
            }
            counts.invalidSpecs = decoded.invalid.count
            counts.conditions = decoded.conditions
            counts.idListNames = decoded.idListNames
            let compressed: [UInt8]
            switch compression.get() {
            case .success(let c): compressed = c
            case .failure(let e): return .failure(RecordProblem(field: nil, reason: "compressing the payload failed (\(e))"))
            }
            let size = Int64(b.count)
            return .success(SnapshotInsert(
                sha256: sha256, kvKey: key, kvID: key.flatMap(KVKeys.id(of:)), lcut: p.lcut(0),
                capturedAt: capturedAt, capturedAtSource: source, format: decoded.format.rawValue, hasUpdates: hasUpdates,
                sizeBytes: size, overKVLimit: size > Self.kvValueLimit, companyID: p.string(p.member(0, "company_id")), counts: counts,
                payloadZlib: compressed, sourceRecord: r.locator, entities: entities))
        }
    }
}
