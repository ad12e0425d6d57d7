import CKVHash
import Foundation
import KVReplayModel
import KVReplayStore

/// SDK identity from a log_event body's `statsigMetadata`.
struct LogContext: Sendable {
    var sdkType: [UInt8]?
    var sdkVersion: [UInt8]?

    static let none = LogContext(sdkType: nil, sdkVersion: nil)

    init(sdkType: [UInt8]?, sdkVersion: [UInt8]?) {
        self.sdkType = sdkType
        self.sdkVersion = sdkVersion
    }

    /// From the `statsigMetadata` object at token `i` of a tape.
    init(tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ i: Int?) {
        func text(_ key: StaticString) -> [UInt8]? {
            guard let i, tape.tokens[i].kind == .object, let v = tape.member(b, i, key), tape.tokens[v].kind == .string else { return nil }
            var out = [UInt8]()
            tape.appendString(b, v, into: &out)
            return out
        }
        sdkType = text("sdkType")
        sdkVersion = text("sdkVersion")
    }
}

/// Rows mapped from a run of log records, in record order.
struct MappedBatch: Sendable {
    var rows = RowBatch()
    var rejects: [RejectRow] = []
    /// Records read (events, CSV rows), rejected ones included.
    var records = 0
    /// Content bytes consumed so far in the file (decompressed).
    var bytesSoFar = 0

    /// Appends `other`, rebasing its arena references.
    mutating func append(_ other: MappedBatch) {
        let base = UInt32(rows.arena.count)
        let userBase = Int32(rows.users.count)
        rows.arena.append(contentsOf: other.rows.arena)
        @inline(__always) func move(_ r: inout TextRef) { if !r.isNull { r.start += base } }
        for var u in other.rows.users {
            move(&u.unitKey)
            move(&u.userID)
            move(&u.customIDs)
            move(&u.json)
            rows.users.append(u)
        }
        for var x in other.rows.exposures {
            move(&x.entity)
            move(&x.unitType)
            move(&x.unitID)
            move(&x.value)
            move(&x.groupName)
            move(&x.ruleID)
            move(&x.parameterName)
            move(&x.allocatedExperiment)
            move(&x.configVersion)
            move(&x.reason)
            move(&x.sdkType)
            move(&x.sdkVersion)
            move(&x.samplingMode)
            move(&x.shadowLogged)
            if x.user >= 0 { x.user += userBase }
            rows.exposures.append(x)
        }
        rejects.append(contentsOf: other.rejects)
        records += other.records
    }
}

/// Maps Statsig event objects (in a ``JSONTape``) to store rows (`../shared/docs/statsig-evaluation.md` §6).
///
/// Exposure events (`statsig::gate_exposure`, `statsig::config_exposure`, `statsig::layer_exposure`) become
/// exposures; the user of every event joins the population. A record that is malformed (wrong type, missing field)
/// is rejected with the field named.
struct EventDecoder {
    /// Scratch space reused from event to event.
    private var key: [UInt8] = []
    private var scratch: [UInt8] = []
    private var order: [Int] = []

    init() {
        key.reserveCapacity(512)
        scratch.reserveCapacity(512)
    }

    /// Maps the event at token `i` into `out`.
    mutating func map(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ i: Int, context: LogContext, line: Int64?, record: Int64?,
                      into out: inout RowBatch) throws(RecordProblem)
    {
        let t = tape.tokens
        guard t[i].kind == .object else {
            throw RecordProblem(field: nil, reason: "an event is a JSON object, found \(tape.kindName(t[i].kind))")
        }
        var eventName: Int? = nil, time: Int? = nil, user: Int? = nil, metadata: Int? = nil, statsigMetadata: Int? = nil
        var userIdentity = false  // a top-level userID or customIDs: the line may be a bare user object
        tape.forEachMember(i) { k, v in
            if t[k].flag {
                switch tape.string(b, k) {
                case "eventName": eventName = v
                case "time": time = v
                case "user": user = v
                case "metadata": metadata = v
                case "statsigMetadata": statsigMetadata = v
                case "userID", "customIDs": userIdentity = true
                default: break
                }
                return
            }
            switch t[k].end - t[k].start {
            case 4:
                if tape.rawEquals(b, k, "time") { time = v } else if tape.rawEquals(b, k, "user") { user = v }
            case 6:
                if tape.rawEquals(b, k, "userID") { userIdentity = true }
            case 8:
                if tape.rawEquals(b, k, "metadata") { metadata = v }
            case 9:
                if tape.rawEquals(b, k, "eventName") { eventName = v } else if tape.rawEquals(b, k, "customIDs") { userIdentity = true }
            case 15:
                if tape.rawEquals(b, k, "statsigMetadata") { statsigMetadata = v }
            default: break
            }
        }
        // A users file (one Statsig user object per line, as `eval` reads and `generate` writes): each line adds its
        // user to the population, with no exposure.
        if eventName == nil && user == nil && userIdentity {
            _ = try mapUser(tape, b, i, time: nil, line: line, into: &out)
            return
        }
        guard let eventName else { throw RecordProblem(field: "eventName", reason: "missing field") }
        guard t[eventName].kind == .string else {
            throw RecordProblem(field: "eventName", reason: "is \(tape.kindName(t[eventName].kind)), expected a string")
        }
        var kind: ExposureKind? = nil
        if !t[eventName].flag {
            if tape.rawEquals(b, eventName, "statsig::gate_exposure") { kind = .gate }
            else if tape.rawEquals(b, eventName, "statsig::config_exposure") { kind = .config }
            else if tape.rawEquals(b, eventName, "statsig::layer_exposure") { kind = .layer }
        } else {
            switch tape.string(b, eventName) {
            case "statsig::gate_exposure": kind = .gate
            case "statsig::config_exposure": kind = .config
            case "statsig::layer_exposure": kind = .layer
            default: break
            }
        }
        let eventTime = try Self.time(tape, b, time, required: kind != nil)

        var userIndex: Int32 = -1
        if let user, t[user].kind != .null {
            userIndex = try mapUser(tape, b, user, time: eventTime, line: line, into: &out)
        } else if kind != nil {
            throw RecordProblem(field: "user", reason: "missing field")
        }
        guard let kind else { return }

        guard let metadata, t[metadata].kind != .null else { throw RecordProblem(field: "metadata", reason: "missing field") }
        guard t[metadata].kind == .object else {
            throw RecordProblem(field: "metadata", reason: "is \(tape.kindName(t[metadata].kind)), expected an object")
        }
        var m = MetadataMembers()
        tape.forEachMember(metadata) { k, v in m.note(tape, b, k, v) }

        var x = ExposureSlots()
        x.kind = kind
        x.user = userIndex
        x.entity = try requiredString(tape, b, kind == .gate ? m.gate : m.config, kind == .gate ? "gate" : "config", &out)
        x.ruleID = try requiredString(tape, b, m.ruleID, "ruleID", &out)
        switch kind {
        case .gate:
            guard let v = try Self.flag(tape, b, m.gateValue, "gateValue") else {
                throw RecordProblem(field: "metadata.gateValue", reason: "missing field")
            }
            x.value = v ? out.text("true".utf8) : out.text("false".utf8)
        case .config:
            x.rulePassed = try Self.flag(tape, b, m.rulePassed, "rulePassed").map { $0 ? 1 : 0 } ?? -1
            x.value = x.ruleID
        case .layer:
            x.parameterName = try requiredString(tape, b, m.parameterName, "parameterName", &out)
            x.value = x.parameterName
            x.allocatedExperiment = try optionalString(tape, b, m.allocatedExperiment, "metadata.allocatedExperiment", &out)
            x.isExplicitParameter = try Self.flag(tape, b, m.isExplicitParameter, "isExplicitParameter").map { $0 ? 1 : 0 } ?? -1
        }
        x.time = eventTime ?? .min
        if let lcut = try Self.int(tape, b, m.lcut, "metadata.lcut") {
            x.lcut = lcut
        } else {
            x.lcut = try Self.int(tape, b, m.configSyncTime, "metadata.configSyncTime") ?? .min
        }
        x.receivedAt = try Self.int(tape, b, m.receivedAt, "metadata.receivedAt") ?? .min
        x.configVersion = try optionalText(tape, b, m.configVersion, "metadata.configVersion", &out)
        x.reason = try optionalString(tape, b, m.reason, "metadata.reason", &out)
        x.isManual = try Self.flag(tape, b, m.isManualExposure, "isManualExposure").map { $0 ? 1 : 0 } ?? -1

        var sdkType: Int? = nil, sdkVersion: Int? = nil
        if let sm = statsigMetadata, t[sm].kind == .object {
            var samplingRate: Int? = nil, samplingMode: Int? = nil, shadowLogged: Int? = nil
            tape.forEachMember(sm) { k, v in
                if tape.rawEquals(b, k, "samplingRate") { samplingRate = v }
                else if tape.rawEquals(b, k, "samplingMode") { samplingMode = v }
                else if tape.rawEquals(b, k, "shadowLogged") { shadowLogged = v }
                else if tape.rawEquals(b, k, "sdkType") { sdkType = v }
                else if tape.rawEquals(b, k, "sdkVersion") { sdkVersion = v }
            }
            x.samplingRate = try Self.int(tape, b, samplingRate, "statsigMetadata.samplingRate") ?? .min
            x.samplingMode = try optionalString(tape, b, samplingMode, "statsigMetadata.samplingMode", &out)
            x.shadowLogged = try optionalString(tape, b, shadowLogged, "statsigMetadata.shadowLogged", &out)
        } else if let sm = statsigMetadata, t[sm].kind != .null {
            throw RecordProblem(field: "statsigMetadata", reason: "is \(tape.kindName(t[sm].kind)), expected an object")
        }
        if let v = sdkType, t[v].kind == .string { x.sdkType = text(tape, b, v, &out) }
        else if let s = context.sdkType { x.sdkType = out.text(s) }
        if let v = sdkVersion, t[v].kind == .string { x.sdkVersion = text(tape, b, v, &out) }
        else if let s = context.sdkVersion { x.sdkVersion = out.text(s) }
        x.line = line ?? .min
        x.record = record ?? .min
        x.dedupeKey = dedupeKey(tape, b, name: eventName, time: eventTime, unitKey: out.users[Int(userIndex)].unitKey, out.arena, metadata: metadata)
        out.exposures.append(x)
    }

    /// The metadata members an exposure reads.
    private struct MetadataMembers {
        var gate: Int?, gateValue: Int?, config: Int?, ruleID: Int?, rulePassed: Int?, parameterName: Int?
        var allocatedExperiment: Int?, isExplicitParameter: Int?, lcut: Int?, configSyncTime: Int?, receivedAt: Int?
        var configVersion: Int?, reason: Int?, isManualExposure: Int?

        mutating func note(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ k: Int, _ v: Int) {
            @inline(__always) func isKey(_ key: StaticString) -> Bool { tape.keyIs(b, k, key) }
            let length = tape.tokens[k].flag ? -1 : Int(tape.tokens[k].end - tape.tokens[k].start)
            if length == -1 {
                // A key written with escapes: compare its decoded text.
                switch tape.string(b, k) {
                case "gate": gate = v
                case "lcut": lcut = v
                case "config": config = v
                case "ruleID": ruleID = v
                case "reason": reason = v
                case "gateValue": gateValue = v
                case "rulePassed": rulePassed = v
                case "receivedAt": receivedAt = v
                case "parameterName": parameterName = v
                case "configVersion": configVersion = v
                case "configSyncTime": configSyncTime = v
                case "isManualExposure": isManualExposure = v
                case "allocatedExperiment": allocatedExperiment = v
                case "isExplicitParameter": isExplicitParameter = v
                default: break
                }
                return
            }
            switch length {
            case 4:
                if isKey("gate") { gate = v } else if isKey("lcut") { lcut = v }
            case 6:
                if isKey("config") { config = v } else if isKey("ruleID") { ruleID = v } else if isKey("reason") { reason = v }
            case 9:
                if isKey("gateValue") { gateValue = v }
            case 10:
                if isKey("rulePassed") { rulePassed = v } else if isKey("receivedAt") { receivedAt = v }
            case 13:
                if isKey("parameterName") { parameterName = v } else if isKey("configVersion") { configVersion = v }
            case 14:
                if isKey("configSyncTime") { configSyncTime = v }
            case 16:
                if isKey("isManualExposure") { isManualExposure = v }
            case 19:
                if isKey("allocatedExperiment") { allocatedExperiment = v } else if isKey("isExplicitParameter") { isExplicitParameter = v }
            default: break
            }
        }
    }

    // MARK: Users

    /// Validates the user object at `u` (as `StatsigUser(json:)` does), computes its unit key and appends it.
    private mutating func mapUser(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ u: Int, time: Int64?, line: Int64?,
                                  into out: inout RowBatch) throws(RecordProblem) -> Int32
    {
        let t = tape.tokens
        guard t[u].kind == .object else {
            throw RecordProblem(field: "user", reason: "a user is a JSON object, found \(tape.kindName(t[u].kind))")
        }
        var userID: Int? = nil
        var customIDs: Int? = nil
        var problem: RecordProblem? = nil
        tape.forEachMember(u) { k, v in
            guard problem == nil else { return }
            guard let field = Self.userField(tape, b, k) else { return }
            let kind = t[v].kind
            if field.isMap {
                if kind != .object && kind != .null {
                    problem = RecordProblem(field: "user.\(field.name)", reason: "is \(tape.kindName(kind)), expected an object")
                }
                if field.name == "customIDs" { customIDs = v }
            } else {
                if kind == .object || kind == .array {
                    problem = RecordProblem(field: "user.\(field.name)", reason: "is \(tape.kindName(kind)), expected a string")
                }
                if field.name == "userID" { userID = v }
            }
        }
        if let problem { throw problem }

        var slots = UserSlots()
        // The object as logged, whitespace between tokens removed.
        scratch.removeAll(keepingCapacity: true)
        tape.appendCompact(b, u, into: &scratch)
        slots.json = out.text(scratch)
        slots.jsonHash = scratch.withUnsafeBytes { RowBatch.keyHash($0) }

        // Custom IDs: sorted by key (a repeated key keeps its last value); null and "" are no ID.
        order.removeAll(keepingCapacity: true)
        if let c = customIDs, t[c].kind == .object {
            tape.forEachMember(c) { k, v in if Self.isID(tape, v) { order.append(k) } }
            if order.count > 1 {
                Self.sortKeys(&order, tape, b)
                var kept: [Int] = []
                for k in order {
                    if let last = kept.last, !Self.keyLess(tape, b, last, k) && !Self.keyLess(tape, b, k, last) {
                        kept[kept.count - 1] = k
                    } else {
                        kept.append(k)
                    }
                }
                order = kept
            }
        }
        let hasUserID = userID.map { Self.isID(tape, $0) } ?? false
        key.removeAll(keepingCapacity: true)
        if !hasUserID && order.isEmpty {
            // No unit ID at all: keyed by the whole object, so distinct anonymous users stay distinct.
            key.append(contentsOf: "{\"anonymous\":\"".utf8)
            key.append(contentsOf: String(UInt64(bitPattern: slots.jsonHash), radix: 16).utf8)
            key.append(contentsOf: "\"}".utf8)
        } else {
            key.append(UInt8(ascii: "{"))
            if !order.isEmpty {
                key.append(contentsOf: "\"customIDs\":{".utf8)
                let start = key.count - 1
                for (n, k) in order.enumerated() {
                    if n > 0 { key.append(UInt8(ascii: ",")) }
                    Self.appendQuoted(tape, b, k, into: &key)
                    key.append(UInt8(ascii: ":"))
                    Self.appendQuoted(tape, b, k + 1, into: &key)
                }
                key.append(UInt8(ascii: "}"))
                slots.customIDs = out.text(key[start...])
                if hasUserID { key.append(UInt8(ascii: ",")) }
            }
            if hasUserID, let userID {
                key.append(contentsOf: "\"userID\":".utf8)
                Self.appendQuoted(tape, b, userID, into: &key)
                // users.user_id holds the ID's text, without quotes or escapes.
                if t[userID].kind == .string {
                    slots.userID = t[userID].flag ? out.text(tape.string(b, userID)) : out.text(tape.raw(b, userID))
                } else {
                    var text = [UInt8]()
                    tape.appendCompact(b, userID, into: &text)
                    slots.userID = out.text(text)
                }
            }
            key.append(UInt8(ascii: "}"))
        }
        slots.unitKey = out.text(key)
        slots.keyHash = key.withUnsafeBytes { RowBatch.keyHash($0) }
        slots.keyHash2 = key.withUnsafeBytes { RowBatch.keyHash2($0) }
        slots.time = time ?? .min
        slots.line = line ?? .min
        out.users.append(slots)
        return Int32(out.users.count - 1)
    }

    /// Which user field a key names: the scalar fields and the object-valued ones of `StatsigUser`.
    private static func userField(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> (name: String, isMap: Bool)? {
        let length = tape.tokens[k].flag ? -1 : Int(tape.tokens[k].end - tape.tokens[k].start)
        @inline(__always) func isKey(_ key: StaticString) -> Bool { tape.rawEquals(b, k, key) }
        switch length {
        case 2: if isKey("ip") { return ("ip", false) }
        case 5: if isKey("email") { return ("email", false) }
        case 6:
            if isKey("userID") { return ("userID", false) }
            if isKey("locale") { return ("locale", false) }
            if isKey("custom") { return ("custom", true) }
        case 7: if isKey("country") { return ("country", false) }
        case 9:
            if isKey("userAgent") { return ("userAgent", false) }
            if isKey("customIDs") { return ("customIDs", true) }
        case 10: if isKey("appVersion") { return ("appVersion", false) }
        case 17: if isKey("privateAttributes") { return ("privateAttributes", true) }
        case 18: if isKey("statsigEnvironment") { return ("statsigEnvironment", true) }
        case -1:
            let s = tape.string(b, k)
            switch s {
            case "userID", "email", "ip", "userAgent", "country", "locale", "appVersion": return (s, false)
            case "custom", "privateAttributes", "customIDs", "statsigEnvironment": return (s, true)
            default: return nil
            }
        default: break
        }
        return nil
    }

    /// A unit ID value: not null, not "".
    private static func isID(_ tape: JSONTape, _ v: Int) -> Bool {
        let k = tape.tokens[v]
        return k.kind != .null && !(k.kind == .string && k.start == k.end)
    }

    /// Appends a token as a JSON string: strings re-quoted (escapes normalized), other values' text quoted.
    private static func appendQuoted(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int, into out: inout [UInt8]) {
        let t = tape.tokens[v]
        if t.kind == .string {
            if !t.flag {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: tape.raw(b, v))
                out.append(UInt8(ascii: "\""))
            } else {
                JSONWriter.writeString(tape.string(b, v), into: &out)
            }
        } else {
            var text = [UInt8]()
            tape.appendCompact(b, v, into: &text)
            JSONWriter.writeString(String(decoding: text, as: UTF8.self), into: &out)
        }
    }

    private static func sortKeys(_ keys: inout [Int], _ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>) {
        // Insertion sort: stable, and there are a handful of keys.
        guard keys.count > 1 else { return }
        for i in 1..<keys.count {
            let k = keys[i]
            var j = i - 1
            while j >= 0 && keyLess(tape, b, k, keys[j]) {
                keys[j + 1] = keys[j]
                j -= 1
            }
            keys[j + 1] = k
        }
    }

    // MARK: Identity

    /// The identity of a logged event: the first 8 bytes of the SHA-256 of its name, time, the user's unit IDs and
    /// every metadata member (sorted by key; strings decoded, other values as written). The same event read twice (from one file or two, as NDJSON
    /// or inside a body) gets the same key.
    private mutating func dedupeKey(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, name: Int, time: Int64?, unitKey: TextRef,
                                    _ arena: [UInt8], metadata: Int) -> Int64
    {
        key.removeAll(keepingCapacity: true)
        tape.appendString(b, name, into: &key)
        key.append(0x1F)
        if let time { key.append(contentsOf: String(time).utf8) }
        key.append(0x1F)
        key.append(contentsOf: arena[Int(unitKey.start)..<(Int(unitKey.start) + Int(unitKey.length))])
        order.removeAll(keepingCapacity: true)
        tape.forEachMember(metadata) { k, _ in order.append(k) }
        Self.sortKeys(&order, tape, b)
        for k in order {
            key.append(0x1E)
            tape.appendString(b, k, into: &key)
            key.append(0x1F)
            let v = k + 1
            if tape.tokens[v].kind == .string { tape.appendString(b, v, into: &key) } else { tape.appendCompact(b, v, into: &key) }
        }
        return key.withUnsafeBytes { Int64(bitPattern: kv_sha256_prefix_u64($0.baseAddress, $0.count)) }
    }

    private static func keyLess(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ x: Int, _ y: Int) -> Bool {
        if tape.tokens[x].flag || tape.tokens[y].flag {
            return tape.string(b, x).utf8.lexicographicallyPrecedes(tape.string(b, y).utf8)
        }
        let a = tape.raw(b, x), c = tape.raw(b, y)
        let n = min(a.count, c.count)
        let r = n == 0 ? 0 : memcmp(a.baseAddress!, c.baseAddress!, n)
        return r < 0 || (r == 0 && a.count < c.count)
    }

    // MARK: Fields

    private func text(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int, _ out: inout RowBatch) -> TextRef {
        if !tape.tokens[v].flag { return out.text(tape.raw(b, v)) }
        return out.text(tape.string(b, v))
    }

    private func requiredString(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int?, _ key: String,
                                _ out: inout RowBatch) throws(RecordProblem) -> TextRef
    {
        guard let v, tape.tokens[v].kind != .null else { throw RecordProblem(field: "metadata.\(key)", reason: "missing field") }
        guard tape.tokens[v].kind == .string else {
            throw RecordProblem(field: "metadata.\(key)", reason: "is \(tape.kindName(tape.tokens[v].kind)), expected a string")
        }
        return text(tape, b, v, &out)
    }

    private func optionalString(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int?, _ field: String,
                                _ out: inout RowBatch) throws(RecordProblem) -> TextRef
    {
        guard let v, tape.tokens[v].kind != .null else { return .null }
        guard tape.tokens[v].kind == .string else {
            throw RecordProblem(field: field, reason: "is \(tape.kindName(tape.tokens[v].kind)), expected a string")
        }
        return text(tape, b, v, &out)
    }

    /// A string or a number, kept as text.
    private func optionalText(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int?, _ field: String,
                              _ out: inout RowBatch) throws(RecordProblem) -> TextRef
    {
        guard let v, tape.tokens[v].kind != .null else { return .null }
        switch tape.tokens[v].kind {
        case .string: return text(tape, b, v, &out)
        case .number: return out.text(tape.raw(b, v))
        default: throw RecordProblem(field: field, reason: "is \(tape.kindName(tape.tokens[v].kind)), expected a string")
        }
    }

    /// The event time: ms since the epoch as a number, or as text (digits or ISO 8601).
    static func time(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int?, required: Bool) throws(RecordProblem) -> Int64? {
        guard let v, tape.tokens[v].kind != .null else {
            if required { throw RecordProblem(field: "time", reason: "missing field") }
            return nil
        }
        switch tape.tokens[v].kind {
        case .number:
            guard let i = tape.integer(b, v) else { throw RecordProblem(field: "time", reason: "is out of range") }
            return i
        case .string:
            let s = tape.string(b, v)
            if let i = Int64(s) { return i }
            if let ms = Timestamps.parse(s) { return ms }
            throw RecordProblem(field: "time", reason: "\"\(s.prefix(40))\" is not a time (ms since the epoch or ISO 8601)")
        default:
            throw RecordProblem(field: "time", reason: "is \(tape.kindName(tape.tokens[v].kind)), expected ms since the epoch")
        }
    }

    /// An integer given as a number or as decimal text (metadata values are strings).
    static func int(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int?, _ field: String) throws(RecordProblem) -> Int64? {
        guard let v, tape.tokens[v].kind != .null else { return nil }
        switch tape.tokens[v].kind {
        case .number:
            guard let i = tape.integer(b, v) else { throw RecordProblem(field: field, reason: "is out of range") }
            return i
        case .string:
            if tape.tokens[v].start == tape.tokens[v].end { return nil }
            if !tape.tokens[v].flag, let i = JSONTape.parseInt(tape.raw(b, v)) { return i }
            let s = tape.string(b, v)
            if let d = Double(s), d.isFinite, abs(d) < 9e18 { return Int64(d.rounded()) }
            throw RecordProblem(field: field, reason: "\"\(s.prefix(40))\" is not a number")
        default:
            throw RecordProblem(field: field, reason: "is \(tape.kindName(tape.tokens[v].kind)), expected a number")
        }
    }

    /// `"true"` / `"false"` (how the SDKs log booleans in metadata) or a JSON boolean.
    static func flag(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ v: Int?, _ key: String) throws(RecordProblem) -> Bool? {
        guard let v else { return nil }
        switch tape.tokens[v].kind {
        case .null: return nil
        case .trueValue: return true
        case .falseValue: return false
        case .string:
            if tape.rawEquals(b, v, "true") { return true }
            if tape.rawEquals(b, v, "false") { return false }
            throw RecordProblem(field: "metadata.\(key)", reason: "\"\(tape.string(b, v).prefix(40))\" is neither \"true\" nor \"false\"")
        default:
            throw RecordProblem(field: "metadata.\(key)", reason: "is \(tape.kindName(tape.tokens[v].kind)), expected \"true\" or \"false\"")
        }
    }
}

/// User identity for rows built from Swift values (warehouse CSV): the same unit key as ``EventDecoder`` computes.
enum UserKeys {
    /// A user object given as a JSON value, validated as `StatsigUser(json:)` does.
    static func observation(_ json: JSONValue, time: Int64?, line: Int64?) throws(RecordProblem) -> UserObservation {
        var text = [UInt8]()
        JSONWriter(style: .serde).write(json, into: &text)
        var tape = JSONTape()
        var batch = RowBatch()
        var decoder = EventDecoder()
        return try text.withUnsafeBufferPointer { b throws(RecordProblem) -> UserObservation in
            do { try tape.parseDocument(b) } catch { throw RecordProblem(field: "user", reason: "not valid JSON (\(error))") }
            let i = try decoder.mapUserPublic(tape, b, 0, time: time, line: line, into: &batch)
            let u = batch.users[Int(i)]
            return UserObservation(unitKey: batch.string(u.unitKey)!, userID: batch.string(u.userID), customIDs: batch.string(u.customIDs),
                                   json: batch.string(u.json)!, time: time, line: line)
        }
    }
}

extension EventDecoder {
    mutating func mapUserPublic(_ tape: JSONTape, _ b: UnsafeBufferPointer<UInt8>, _ u: Int, time: Int64?, line: Int64?,
                                into out: inout RowBatch) throws(RecordProblem) -> Int32
    {
        try mapUser(tape, b, u, time: time, line: line, into: &out)
    }
}
