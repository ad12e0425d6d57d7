/// What statsig-node's `parseUserAgent` gives for an agent string: ua-parser-js 1.0.41's browser and OS, with
/// statsig-node's renames (`Mac OS` → `Mac OS X`; `Chrome`/`Firefox` on a mobile or tablet device → `... Mobile`).
/// See `UserAgent/UAParserJS.swift`.
struct NodeUserAgentFields {
    var osName: String?
    var osVersion: String?
    var browserName: String?
    var browserVersion: String?

    init(_ ua: String) {
        let f = UAParserJS.statsigNodeFields(ua)
        osName = f.osName
        osVersion = f.osVersion
        browserName = f.browserName
        browserVersion = f.browserVersion
    }
}
