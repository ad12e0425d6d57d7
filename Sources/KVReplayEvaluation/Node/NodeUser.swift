import KVReplayModel

/// A user as statsig-node's evaluator reads it: the wire object's members by exact name (what a Worker hands the
/// SDK), `statsigEnvironment` replaced as `StatsigServer._normalizeUser` replaces it.
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
