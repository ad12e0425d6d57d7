import Foundation
import KVReplayModel
public import KVReplayEvaluation
import KVReplayIO

/// What a run produced, for the CLI to print.
public struct GenerateSummary: Sendable {
    public var snapshots = 0
    public var missingCaptures = 0
    public var versions = 0
    public var uncapturedVersions = 0
    public var events = 0
    public var exposures = 0
    public var gateExposures = 0
    public var configExposures = 0
    public var layerExposures = 0
    public var customEvents = 0
    /// `statsig::diagnostics` events statsig-node servers log (one per isolate start), not counted in `events`.
    public var diagnosticsEvents = 0
    public var sampledOut = 0
    public var stale = 0
    public var noSnapshot = 0
    /// Exposures of configs never captured, audited against the latest captured config before them.
    public var inferred = 0
    public var unevaluable = 0
    /// Exposures a statsig-node Worker set up as the guide says answered otherwise than the config intends.
    public var edgeBlind = 0
    public var wrong = 0
    public var corrupt = 0
    public var snapshotFiles = 0
    public var logFiles = 0
    public var snapshotBytes = 0
    public var logBytes = 0
    public var totalBytes = 0
    public var largestPayload = 0
    public var latestPayload = 0
}

/// `kvreplay generate`: a Statsig project's KV history, its users' logs and the expected audit, deterministically.
public final class Generator {
    public let options: GenerateOptions
    let out: URL
    let threads: Int
    let progress: (@Sendable (String) -> Void)?
    var summary = GenerateSummary()
    var audit: [UInt8] = []
    var corruptList: [JSONValue] = []
    var wrongCounter = 0
    var corruptCounter = 0

    public init(options: GenerateOptions, outputDirectory: String, threads: Int = Parallel.availableCores,
                progress: (@Sendable (String) -> Void)? = nil) {
        self.options = options
        out = URL(fileURLWithPath: outputDirectory)
        self.threads = threads
        self.progress = progress
    }

    func write(_ rel: String, _ bytes: [UInt8]) throws {
        let url = out.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else {
            throw GenerateError(message: "cannot write \(url.path)")
        }
        summary.totalBytes += bytes.count
    }

    public func run() throws -> GenerateSummary {
        let o = options
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        progress?("population: \(o.users) users")
        let population = Population(seed: o.seed, count: o.users, sdkEnvironment: "production")
        var usersText = [UInt8]()
        let writer = JSONWriter(style: .serde)
        for u in population.users {
            writer.write(Population.wireJSON(u), into: &usersText)
            usersText.append(0x0A)
        }
        try write("users.jsonl", usersText)
        usersText = []

        let history = History(options: o, population: population)
        let project = history.project
        let kvKey = "statsig-" + project.companyID
        let (lists, hiddenLists) = makeIDLists(population: population, project: project)
        try writeIDLists(lists, project: project)
        var allLists = lists
        for (k, v) in hiddenLists { allLists[k] = v }
        let idLists = IDLists(unitIDs: allLists)

        var servers: [EdgeServer] = []
        var sr = SplitMix64(o.seed, 0x5E7)
        for s in 0..<o.servers {
            let profile: SDKProfile = s % 4 == 3 ? .legacyNode : (s % 4 == 1 ? .corePython : .coreNode)
            servers.append(EdgeServer(index: s, name: "edge-\(s < 10 ? "0" : "")\(s)", profile: profile, sessionID: sr.uuid(),
                                      ndjson: profile.isCore && s % 3 == 2))
            _ = sr.int(1...48)  // (drawn as before, so that every server keeps its session ID)
        }
        let renderer = EventRenderer(population: population, servers: servers)
        var changesText = [UInt8]()
        var latestCaptured: [UInt8] = []
        var captureIndex = 0
        let schedule = history.schedule

        for day in 0..<o.days {
            let dayStart = o.start + Int64(day) * UTCTime.dayMs
            let dayEnd = dayStart + UTCTime.dayMs
            try history.advance(through: dayEnd)
            // Captures of the day.
            while captureIndex < schedule.captures.count && schedule.captures[captureIndex] < dayEnd {
                let t = schedule.captures[captureIndex]
                defer { captureIndex += 1 }
                if schedule.missing.contains(captureIndex) { summary.missingCaptures += 1; continue }
                let v = history.version(schedule.version(at: t))
                let format = SnapshotFormat.pick(Mix.unit(o.seed, 0x5FA, UInt64(captureIndex)))
                let b64 = format == .backup && Mix.unit(o.seed, 0x5FB, UInt64(captureIndex)) < 0.25
                let bytes = format.render(key: kvKey, value: v.bytes, captured: t, base64: b64)
                let gzip = Mix.unit(o.seed, 0x5FC, UInt64(captureIndex)) < o.gzipShare
                pending.append(("snapshots/" + format.fileName(key: kvKey, captured: t) + (gzip ? ".gz" : ""), bytes, gzip))
                summary.snapshots += 1
                latestCaptured = v.bytes
            }
            try flushPending(log: false)
            // Events of the day.
            let needFrom = max(0, schedule.version(at: dayStart - 2 * UTCTime.hourMs) - 1)
            let versions = history.versions.filter { $0.key >= needFrom }
            let ctx = DayContext(options: o, population: population, schedule: schedule, versions: versions, servers: servers,
                                 idLists: idLists, unevaluable: project.unevaluableEntities, dayStart: dayStart, day: day)
            let parts = Parallel.mapChunks(count: o.users, chunkSize: 1024, threads: threads) { r in ctx.events(users: r) }
            var events: [GenEvent] = []
            events.reserveCapacity(parts.reduce(0) { $0 + $1.events.count })
            for p in parts {
                events.append(contentsOf: p.events)
                summary.sampledOut += p.sampledOut
            }
            events.sort { a, b in
                if a.server != b.server { return a.server < b.server }
                if a.time != b.time { return a.time < b.time }
                if a.user != b.user { return a.user < b.user }
                return a.seq < b.seq
            }
            spoil(&events, day: day, versions: versions, servers: servers)
            try writeLogs(events, day: day, dayStart: dayStart, servers: servers, renderer: renderer)
            history.release(before: needFrom)
            progress?("day \(day + 1)/\(o.days): \(events.count) events, config versions so far \(history.built)")
        }
        try history.advance(through: Int64.max - 1)
        // The version log.
        for v in 0..<schedule.versionCount {
            let lcut = schedule.lcut(v)
            var o = JSONObject()
            o["version"] = .int(Int64(v))
            o["lcut"] = .int(lcut)
            o["published"] = .string(UTCTime.isoMillis(lcut))
            o["captured"] = .bool(schedule.capturedFlags[v])
            o["changes"] = .array((history.changeLog[v] ?? []).map { .string($0) })
            o["payload_bytes"] = .int(Int64(history.sizes[v] ?? 0))
            writer.write(.object(o), into: &changesText)
            changesText.append(0x0A)
            summary.versions += 1
            if !schedule.capturedFlags[v] { summary.uncapturedVersions += 1 }
        }
        try write("changes.jsonl", changesText)
        try write("expected_audit.jsonl", audit)
        try write("payload.json", latestCaptured)
        summary.largestPayload = history.largestPayload
        summary.latestPayload = latestCaptured.count
        try write("manifest.json", manifest(kvKey: kvKey, project: project, schedule: schedule, servers: servers))
        return summary
    }

    // MARK: - ID lists

    func makeIDLists(population: Population, project: Project) -> (exported: [String: [String]], hidden: [String: [String]]) {
        var r = SplitMix64(options.seed, 0x1D1)
        let uids = population.users.compactMap { $0.userID?.stringValue }
        let companies = Array(Set(population.users.compactMap { $0.customIDs?["companyID"]?.stringValue })).sorted()
        func extra(_ prefix: String, _ k: Int) -> [String] { (0..<k).map { _ in "\(prefix)\(r.int(10_000_000..<99_999_999))" } }
        var exported: [String: [String]] = [:]
        exported["beta_testers"] = Array(Set(r.sample(uids, max(1, uids.count / 12)) + Array(Population.overrideUserIDs.prefix(2)) + extra("u_", 20))).sorted()
        exported["trial_abusers"] = Array(Set(r.sample(uids, max(1, uids.count / 40)) + extra("u_", 10))).sorted()
        exported["enterprise_accounts"] = Array(Set(r.sample(companies, max(1, companies.count / 4)) + ["company_9999"])).sorted()
        let hidden = ["fraud_ring": Array(Set(r.sample(uids, max(1, uids.count / 50)))).sorted()]
        return (exported, hidden)
    }

    func writeIDLists(_ lists: [String: [String]], project: Project) throws {
        var o = JSONObject()
        var meta = JSONObject()
        for name in lists.keys.sorted() {
            let ids = lists[name]!
            o[name] = Cond.strings(ids)
            // Statsig's list files: one `+<8-character hash>` line per ID (a `-` line removes one).
            var text = [UInt8]()
            for h in ids.map({ Hashing.idListHash(of: $0) }).sorted() { text.append(contentsOf: "+\(h)\n".utf8) }
            try write("idlists/\(name).txt", text)
            var m = JSONObject()
            m["name"] = .string(name)
            m["size"] = .int(Int64(text.count))
            m["url"] = .string("https://idliststorage.statsig.com/\(project.companyID)/\(name).txt")
            m["creationTime"] = .int(options.start - 40 * UTCTime.dayMs)
            var idr = SplitMix64(options.seed, Mix.hash(name))
            m["fileID"] = .string(idr.base62ID())
            meta[name] = .object(m)
        }
        try write("id_lists.json", Array(JSONWriter(style: .serde).string(.object(o)).utf8) + [0x0A])
        try write("idlists/get_id_lists.json", Array(JSONWriter(style: .serde).string(.object(meta)).utf8))
    }

    // MARK: - deliberate errors

    /// Marks this day's share of wrong-on-purpose exposures and corrupt records.
    func spoil(_ events: inout [GenEvent], day: Int, versions: [Int: ConfigVersion], servers: [EdgeServer]) {
        guard !events.isEmpty else { return }
        let o = options
        let wrongToday = o.wrongExposures * (day + 1) / o.days - o.wrongExposures * day / o.days
        let corruptToday = o.corruptRecords * (day + 1) / o.days - o.corruptRecords * day / o.days
        var r = SplitMix64(o.seed, 0xBAD, UInt64(day))
        var done = 0, attempts = 0
        while done < wrongToday && attempts < 10_000 {
            attempts += 1
            let i = r.int(0..<events.count)
            var e = events[i]
            guard e.isExposure, e.verdict == .match, e.wrongFields == nil, let ev = e.evaluation, ev.reason == .ok else { continue }
            if e.kind == .gate && wrongCounter % 2 == 0 {
                e.loggedGateValue = !ev.boolValue
                e.wrongFields = ["value"]
            } else {
                guard let v = versions.values.first(where: { $0.lcut == e.lcut }),
                      let spec = v.compiled.spec(EntityRef(kind: ev.kind, name: e.name)) else { continue }
                let alternatives = (spec.source.rules.map(\.id) + ["default"]).filter { $0 != ev.ruleID }
                guard !alternatives.isEmpty else { continue }
                e.loggedRuleID = r.pick(alternatives)
                e.wrongFields = ["rule"]
            }
            wrongCounter += 1
            events[i] = e
            done += 1
        }
        done = 0
        attempts = 0
        while done < corruptToday && attempts < 10_000 {
            attempts += 1
            let i = r.int(0..<events.count)
            guard events[i].wrongFields == nil, events[i].corruption == nil else { continue }
            let ndjson = servers[Int(events[i].server)].ndjson
            let kinds: [Corruption] = ndjson ? [.truncated, .missingEventName, .wrongType] : [.missingEventName, .wrongType]
            events[i].corruption = kinds[corruptCounter % kinds.count]
            corruptCounter += 1
            done += 1
        }
    }

    // MARK: - logs

    func writeLogs(_ events: [GenEvent], day: Int, dayStart: Int64, servers: [EdgeServer], renderer: EventRenderer) throws {
        let o = options
        let date = UTCTime.date(dayStart)
        var start = 0
        var fileIndex = 0
        while start < events.count {
            let s = Int(events[start].server)
            var end = start
            while end < events.count && Int(events[end].server) == s { end += 1 }
            let server = servers[s]
            if server.ndjson {
                try writeFile(events[start..<end], rel: "logs/\(date)/\(server.name)_events.ndjson", ndjson: true, server: server,
                              renderer: renderer, gzip: Mix.unit(o.seed, 0x6F1, UInt64(day), UInt64(fileIndex)) < o.gzipShare)
                fileIndex += 1
            } else {
                // The SDK flushes every `flushMinutes`, at most 500 events a request. A statsig-node Worker's config
                // changes only with a new isolate (its own session): a body holds one isolate's events.
                let interval = Int64(o.flushMinutes) * UTCTime.minuteMs
                let node = !server.profile.isCore
                var i = start
                while i < end {
                    let window = (events[i].time - dayStart) / interval
                    var j = i
                    while j < end && j - i < 500 && (events[j].time - dayStart) / interval == window { j += 1 }
                    // One body per isolate of the flush (the first keeps the draws of a flush of its own).
                    var k = i, part: UInt64 = 0
                    while k < j {
                        var m = k
                        while m < j && (!node || events[m].lcut == events[k].lcut) { m += 1 }
                        func draw(_ stream: UInt64) -> Double {
                            part == 0 ? Mix.unit(o.seed, stream, UInt64(day), UInt64(fileIndex))
                                      : Mix.unit(o.seed, stream, UInt64(day), UInt64(fileIndex), part)
                        }
                        let flush = events[m - 1].time + 1_000 + Int64(draw(0x6F2) * 9_000)
                        try writeFile(events[k..<m], rel: "logs/\(date)/\(server.name)_log_event_\(flush).json", ndjson: false,
                                      server: server, renderer: renderer, gzip: draw(0x6F1) < o.gzipShare)
                        part += 1
                        k = m
                    }
                    fileIndex += 1
                    i = j
                }
            }
            start = end
        }
        try flushPending(log: true)
    }

    func writeFile(_ events: ArraySlice<GenEvent>, rel: String, ndjson: Bool, server: EdgeServer, renderer: EventRenderer, gzip: Bool) throws {
        let name = gzip ? rel + ".gz" : rel
        var text = [UInt8]()
        text.reserveCapacity(events.count * 700)
        var offset = 0
        if !ndjson {
            if server.profile.isCore {
                text.append(contentsOf: "{\"events\":[".utf8)
            } else {
                let lcut = events.first!.lcut
                text.append(contentsOf: "{\"statsigMetadata\":".utf8)
                sdkMetadata(server, sessionID: nodeSessionID(server, lcut: lcut), into: &text)
                text.append(contentsOf: ",\"events\":[".utf8)
                if nodeIsolates.insert(IsolateKey(server: server.index, lcut: lcut)).inserted {
                    // The isolate's first request: `initialize` finished just before its first event.
                    let end = events.first!.time - 1 - Int64(Mix.unit(options.seed, 0xD1A, UInt64(server.index), UInt64(bitPattern: lcut)) * 30)
                    let start = end - 2 - Int64(Mix.unit(options.seed, 0xD1B, UInt64(server.index), UInt64(bitPattern: lcut)) * 60)
                    EventRenderer.renderNodeInitialize(start: start, end: end, into: &text)
                    summary.diagnosticsEvents += 1
                    offset = 1
                }
            }
        }
        for (n, e) in events.enumerated() {
            if !ndjson && n + offset > 0 { text.append(UInt8(ascii: ",")) }
            renderer.render(e, into: &text)
            if ndjson { text.append(0x0A) }
            record(e, file: name, position: ndjson ? n + 1 : n + offset, ndjson: ndjson)
        }
        if !ndjson {
            text.append(UInt8(ascii: "]"))
            if server.profile.isCore {
                text.append(contentsOf: ",\"statsigMetadata\":".utf8)
                sdkMetadata(server, into: &text)
            }
            text.append(UInt8(ascii: "}"))
        }
        pending.append((name, text, gzip))
    }

    /// Files rendered but not yet written: compressed on every core, then written in order.
    var pending: [(name: String, bytes: [UInt8], gzip: Bool)] = []

    func flushPending(log: Bool) throws {
        let files = pending
        pending = []
        // One file at a time: compressing on several threads saved ~6 % of the time of a 90-day, 100k-user run but
        // tripled its peak memory (5.4 → 16 GB RSS, allocator arenas of the worker threads).
        let compressed = Parallel.mapChunks(count: files.count, chunkSize: 1, threads: 1) { r -> [UInt8]? in
            let f = files[r.lowerBound]
            return f.gzip ? try? Gzip.compress(f.bytes) : f.bytes
        }
        for (f, bytes) in zip(files, compressed) {
            guard let bytes else { throw GenerateError(message: "gzip failed for \(f.name)") }
            try write(f.name, bytes)
            if log {
                summary.logFiles += 1
                summary.logBytes += bytes.count
            } else {
                summary.snapshotFiles += 1
                summary.snapshotBytes += bytes.count
            }
        }
    }

    /// statsig-node isolates already started (their `initialize` diagnostics event written).
    var nodeIsolates: Set<IsolateKey> = []

    struct IsolateKey: Hashable {
        var server: Int
        var lcut: Int64
    }

    /// The session ID of the statsig-node isolate of `server` that serves the config of `lcut` (one SDK instance, one
    /// `initialize`, one config: the Worker reads KV at `initialize` only).
    func nodeSessionID(_ server: EdgeServer, lcut: Int64) -> String {
        var r = SplitMix64(options.seed, 0x5E8, UInt64(server.index), UInt64(bitPattern: lcut))
        return r.uuid()
    }

    func sdkMetadata(_ server: EdgeServer, sessionID: String? = nil, into out: inout [UInt8]) {
        switch server.profile {
        case .legacyNode:
            // `getStatsigMetadata()` and the session: what the real statsig-node 6.5.1 sends on node 20.20.2.
            out.append(contentsOf: "{\"sdkType\":\"statsig-node\",\"sdkVersion\":\"6.5.1\",\"languageVersion\":\"20.20.2\",\"sessionID\":\"\(sessionID ?? server.sessionID)\"}".utf8)
        case .corePython:
            out.append(contentsOf: "{\"sdkType\":\"statsig-server-core-python\",\"sdkVersion\":\"0.24.2\",\"sessionID\":\"\(server.sessionID)\",\"os\":\"linux\",\"arch\":\"x86_64\",\"languageVersion\":\"3.11.9\",\"flushingIntervalMs\":1000,\"batchSize\":2000,\"maxPendingBatches\":100,\"flushType\":\"scheduled_max_time\"}".utf8)
        case .coreNode:
            out.append(contentsOf: "{\"sdkType\":\"statsig-server-core-node\",\"sdkVersion\":\"0.24.2\",\"sessionID\":\"\(server.sessionID)\",\"os\":\"linux\",\"arch\":\"x86_64\",\"languageVersion\":\"v20.18.1\",\"flushingIntervalMs\":1000,\"batchSize\":2000,\"maxPendingBatches\":100,\"flushType\":\"scheduled_max_time\"}".utf8)
        }
    }

    /// Counts an event and, when an audit should not find it a plain match, records the expected verdict.
    func record(_ e: GenEvent, file: String, position: Int, ndjson: Bool) {
        var where_ = JSONObject()
        where_["file"] = .string(file)
        where_[ndjson ? "line" : "index"] = .int(Int64(position))
        if let c = e.corruption {
            summary.corrupt += 1
            var o = where_
            o["kind"] = .string(c.rawValue)
            o["event"] = .string(e.eventName)
            corruptList.append(.object(o))
            return
        }
        summary.events += 1
        guard e.isExposure, let ev = e.evaluation else { summary.customEvents += 1; return }
        summary.exposures += 1
        switch e.kind {
        case .gate: summary.gateExposures += 1
        case .config: summary.configExposures += 1
        case .layer: summary.layerExposures += 1
        case .custom: break
        }
        var o = where_
        if let f = e.wrongFields {
            summary.wrong += 1
            o["verdict"] = "mismatch"
            o["fields"] = Cond.strings(f)
            o["expected_rule_id"] = .string(ev.ruleID)
            if e.kind == .gate { o["expected_value"] = .bool(ev.boolValue) }
        } else {
            switch e.verdict {
            case .match: return
            case .stale(let newest, let fields):
                summary.stale += 1
                o["verdict"] = "stale"
                o["fields"] = Cond.strings(fields)
                o["newest_lcut"] = .int(newest)
            case .noSnapshot:
                summary.noSnapshot += 1
                o["verdict"] = "no-snapshot"
            case .inferred(let fields):
                summary.inferred += 1
                o["verdict"] = fields.isEmpty ? "match" : "mismatch"
                o["inferred"] = true
                if !fields.isEmpty { o["fields"] = Cond.strings(fields) }
            case .unevaluable(let why, let inferred):
                summary.unevaluable += 1
                o["verdict"] = "unevaluable"
                o["reason"] = .string(why)
                if inferred { o["inferred"] = true }
            case .edgeBlind(let cause, let inferred):
                summary.edgeBlind += 1
                o["verdict"] = "edge-blind"
                o["cause"] = .string("edge:" + cause)
                if inferred { o["inferred"] = true }
            }
        }
        o["event"] = .string(e.eventName)
        o["name"] = .string(e.name)
        if let p = e.parameter { o["parameter"] = .string(p) }
        o["lcut"] = .int(e.lcut)
        o["time"] = .int(e.time)
        JSONWriter(style: .python).write(.object(o), into: &audit)
        audit.append(0x0A)
    }

    // MARK: - manifest

    func manifest(kvKey: String, project: Project, schedule: Schedule, servers: [EdgeServer]) -> [UInt8] {
        let o = options
        var p = JSONObject()
        p["seed"] = .int(Int64(bitPattern: o.seed))
        p["start"] = .string(UTCTime.date(o.start))
        p["days"] = .int(Int64(o.days))
        p["snapshots_per_day"] = .int(Int64(o.snapshotsPerDay))
        p["users"] = .int(Int64(o.users))
        p["gates"] = .int(Int64(o.gates))
        p["experiments"] = .int(Int64(o.experiments))
        p["layers"] = .int(Int64(o.layers))
        p["active_share"] = .double(o.activeShare)
        p["growth_kib_per_day"] = .int(Int64(o.growthKiBPerDay))
        p["servers"] = .int(Int64(o.servers))
        p["lagging_share"] = .double(o.laggingShare)
        p["max_lag_minutes"] = .int(Int64(o.maxLagMinutes))
        p["missing_captures"] = .int(Int64(o.missingCaptures))
        p["wrong_exposures"] = .int(Int64(o.wrongExposures))
        p["corrupt_records"] = .int(Int64(o.corruptRecords))
        p["flush_minutes"] = .int(Int64(o.flushMinutes))
        p["gzip_share"] = .double(o.gzipShare)
        p["legacy_server_flavor"] = .string(o.legacyServerFlavor.rawValue)

        let s = summary
        var c = JSONObject()
        c["captures_scheduled"] = .int(Int64(schedule.captures.count))
        c["snapshots"] = .int(Int64(s.snapshots))
        c["captures_missing"] = .int(Int64(s.missingCaptures))
        c["config_versions"] = .int(Int64(s.versions))
        c["config_versions_never_captured"] = .int(Int64(s.uncapturedVersions))
        c["events"] = .int(Int64(s.events))
        c["exposures"] = .int(Int64(s.exposures))
        c["gate_exposures"] = .int(Int64(s.gateExposures))
        c["config_exposures"] = .int(Int64(s.configExposures))
        c["layer_exposures"] = .int(Int64(s.layerExposures))
        c["custom_events"] = .int(Int64(s.customEvents))
        c["diagnostics_events"] = .int(Int64(s.diagnosticsEvents))
        c["sampled_out"] = .int(Int64(s.sampledOut))
        c["stale"] = .int(Int64(s.stale))
        c["no_snapshot"] = .int(Int64(s.noSnapshot))
        c["inferred"] = .int(Int64(s.inferred))
        c["unevaluable"] = .int(Int64(s.unevaluable))
        c["edge_blind"] = .int(Int64(s.edgeBlind))
        c["wrong_on_purpose"] = .int(Int64(s.wrong))
        c["corrupt_records"] = .int(Int64(s.corrupt))

        var sizes = JSONObject()
        sizes["snapshot_files"] = .int(Int64(s.snapshotFiles))
        sizes["snapshot_bytes"] = .int(Int64(s.snapshotBytes))
        sizes["log_files"] = .int(Int64(s.logFiles))
        sizes["log_bytes"] = .int(Int64(s.logBytes))
        sizes["largest_payload_bytes"] = .int(Int64(s.largestPayload))
        sizes["latest_payload_bytes"] = .int(Int64(s.latestPayload))
        sizes["kv_value_limit_bytes"] = .int(25 * 1024 * 1024)

        var m = JSONObject()
        m["generator"] = "kvreplay generate"
        m["format_version"] = 1
        m["parameters"] = .object(p)
        m["kv_key"] = .string(kvKey)
        m["company_id"] = .string(project.companyID)
        m["app_id"] = .string(project.appID)
        m["history"] = ["from": .string(UTCTime.iso(o.start)), "to": .string(UTCTime.iso(o.start + Int64(o.days) * UTCTime.dayMs))]
        m["counts"] = .object(c)
        m["sizes"] = .object(sizes)
        m["missing_captures"] = .array(schedule.missing.sorted().map { i in
            ["scheduled": .string(UTCTime.iso(schedule.captures[i])), "time": .int(schedule.captures[i])]
        })
        m["never_captured_lcuts"] = .array((0..<schedule.versionCount).filter { !schedule.capturedFlags[$0] }.map { .int(schedule.lcut($0)) })
        m["id_lists"] = ["exported": Cond.strings(project.exportedIDLists),
                         "not_exported": Cond.strings(project.idListNames.filter { !project.exportedIDLists.contains($0) })]
        m["servers"] = .array(servers.map { sv in
            ["name": .string(sv.name), "sdk_type": .string(sv.profile.sdkType), "output": .string(sv.ndjson ? "ndjson" : "log_event"),
             "flavor": .string(sv.profile.isCore ? "core" : o.legacyServerFlavor.rawValue)]
        })
        m["corrupt_records"] = .array(corruptList)
        var text = [UInt8]()
        PrettyJSON.write(.object(m), indent: 0, into: &text)
        text.append(0x0A)
        return text
    }
}

public struct GenerateError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Two-space indented JSON (members in insertion order), for files people read.
enum PrettyJSON {
    static func write(_ v: JSONValue, indent: Int, into out: inout [UInt8]) {
        let pad = { (n: Int) in [UInt8](repeating: 0x20, count: n) }
        switch v {
        case .array(let a) where !a.isEmpty:
            out.append(contentsOf: "[\n".utf8)
            for (i, e) in a.enumerated() {
                out.append(contentsOf: pad(indent + 2))
                write(e, indent: indent + 2, into: &out)
                out.append(contentsOf: (i + 1 < a.count ? ",\n" : "\n").utf8)
            }
            out.append(contentsOf: pad(indent))
            out.append(UInt8(ascii: "]"))
        case .object(let o) where o.count > 0:
            out.append(contentsOf: "{\n".utf8)
            for (i, (k, e)) in o.members.enumerated() {
                out.append(contentsOf: pad(indent + 2))
                JSONWriter.writeString(k, into: &out)
                out.append(contentsOf: ": ".utf8)
                write(e, indent: indent + 2, into: &out)
                out.append(contentsOf: (i + 1 < o.count ? ",\n" : "\n").utf8)
            }
            out.append(contentsOf: pad(indent))
            out.append(UInt8(ascii: "}"))
        default:
            JSONWriter(style: .serde).write(v, into: &out)
        }
    }
}
