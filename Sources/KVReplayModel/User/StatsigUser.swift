/// A Statsig user object in its wire shape (camelCase keys, any JSON values, as the SDKs accept them).
public struct StatsigUser: Sendable, Equatable {
    public var userID: JSONValue?
    public var email: JSONValue?
    public var ip: JSONValue?
    public var userAgent: JSONValue?
    public var country: JSONValue?
    public var locale: JSONValue?
    public var appVersion: JSONValue?
    public var custom: JSONObject?
    public var privateAttributes: JSONObject?
    public var customIDs: JSONObject?
    public var statsigEnvironment: JSONObject?
    /// Members with other names, in wire order (`null` ones included). The server-core and Python SDKs ignore them;
    /// statsig-node reads any member of the object it is handed (`user[field]`).
    public var otherMembers: JSONObject? = nil

    public init(userID: JSONValue? = nil, email: JSONValue? = nil, ip: JSONValue? = nil, userAgent: JSONValue? = nil,
                country: JSONValue? = nil, locale: JSONValue? = nil, appVersion: JSONValue? = nil,
                custom: JSONObject? = nil, privateAttributes: JSONObject? = nil, customIDs: JSONObject? = nil,
                statsigEnvironment: JSONObject? = nil)
    {
        self.userID = userID
        self.email = email
        self.ip = ip
        self.userAgent = userAgent
        self.country = country
        self.locale = locale
        self.appVersion = appVersion
        self.custom = custom
        self.privateAttributes = privateAttributes
        self.customIDs = customIDs
        self.statsigEnvironment = statsigEnvironment
    }
}

/// Why a user object was rejected, naming the field.
public struct UserError: Error, Sendable, CustomStringConvertible, Equatable {
    public var field: String?
    public var problem: String

    public init(field: String?, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { field.map { "field \"\($0)\": \(problem)" } ?? problem }
}

extension StatsigUser {
    static let scalarKeys = ["userID", "email", "ip", "userAgent", "country", "locale", "appVersion"]
    static let mapKeys = ["custom", "privateAttributes", "customIDs", "statsigEnvironment"]

    /// Reads a user object. Null members count as absent; the map members must be objects.
    /// Unknown members are ignored, as the SDKs ignore them.
    public init(json: JSONValue) throws(UserError) {
        guard case .object(let o) = json else {
            throw UserError(field: nil, problem: "a user is a JSON object, found \(json.kindName)")
        }
        func scalar(_ key: String) throws(UserError) -> JSONValue? {
            guard let v = o[key], !v.isNull else { return nil }
            switch v {
            case .object, .array: throw UserError(field: key, problem: "is \(v.kindName), expected a string")
            default: return v
            }
        }
        func map(_ key: String) throws(UserError) -> JSONObject? {
            guard let v = o[key], !v.isNull else { return nil }
            guard let m = v.objectValue else { throw UserError(field: key, problem: "is \(v.kindName), expected an object") }
            return m
        }
        self.init(
            userID: try scalar("userID"), email: try scalar("email"), ip: try scalar("ip"),
            userAgent: try scalar("userAgent"), country: try scalar("country"), locale: try scalar("locale"),
            appVersion: try scalar("appVersion"), custom: try map("custom"),
            privateAttributes: try map("privateAttributes"), customIDs: try map("customIDs"),
            statsigEnvironment: try map("statsigEnvironment"))
        let known = Set(Self.scalarKeys + Self.mapKeys)
        var other = JSONObject()
        for (k, v) in o.members where !known.contains(k) { other[k] = v }
        if !other.keys.isEmpty { otherMembers = other }
    }

    /// The user as a JSON object (members in wire order, absent members omitted).
    public var json: JSONValue {
        var o = JSONObject()
        let scalars: [(String, JSONValue?)] = [("userID", userID), ("email", email), ("ip", ip), ("userAgent", userAgent),
                                               ("country", country), ("locale", locale), ("appVersion", appVersion)]
        for (k, v) in scalars { if let v { o[k] = v } }
        let maps: [(String, JSONObject?)] = [("custom", custom), ("privateAttributes", privateAttributes),
                                             ("customIDs", customIDs), ("statsigEnvironment", statsigEnvironment)]
        for (k, v) in maps { if let v { o[k] = .object(v) } }
        if let other = otherMembers {
            for (k, v) in other.members where o[k] == nil { o[k] = v }
        }
        return .object(o)
    }
}
