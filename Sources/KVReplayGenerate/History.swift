import KVReplayModel
public import KVReplayEvaluation

/// One version of the project's config: what KV held from `lcut` until the next change.
public final class ConfigVersion: Sendable {
    public let index: Int
    /// The payload's `time`: when this config was published.
    public let lcut: Int64
    /// The compact DCS v1 text KV holds.
    public let bytes: [UInt8]
    public let compiled: CompiledPayload
    let catalog: TrafficCatalog
    public let changes: [String]
    /// Whether some capture holds this version (false: its lcut appears in no snapshot).
    public let captured: Bool
    /// `name \0 ruleID` → the rule's `samplingRate`, for rules that have one.
    let samplingRates: [String: Int64]

    init(index: Int, lcut: Int64, bytes: [UInt8], compiled: CompiledPayload, catalog: TrafficCatalog, changes: [String], captured: Bool) {
        self.index = index
        self.lcut = lcut
        self.bytes = bytes
        self.compiled = compiled
        self.catalog = catalog
        self.changes = changes
        self.captured = captured
        var rates: [String: Int64] = [:]
        for spec in compiled.specs.allSpecs {
            for rule in spec.rules { if let r = rule.samplingRate { rates[spec.name + "\u{0}" + rule.id] = r } }
        }
        samplingRates = rates
    }
}

/// When things happen: captures (some missing) and change batches, fixed before any content is generated.
struct Schedule: Sendable {
    var captures: [Int64] = []
    var missing: Set<Int> = []
    /// Change times, increasing; version `i + 1` is published at `changes[i]`.
    var changes: [Int64] = []
    var initialLcut: Int64 = 0

    init(options o: GenerateOptions) {
        var r = SplitMix64(o.seed, 0x5C4E)
        let k = Int64(o.snapshotsPerDay)
        for d in 0..<Int64(o.days) {
            for j in 0..<k {
                let nominal = o.start + d * UTCTime.dayMs + (j * UTCTime.dayMs + UTCTime.dayMs / 2) / k
                let jitter = Int64(r.int(-300...300)) * 1000
                captures.append(nominal / 1000 * 1000 + jitter)
            }
        }
        let n = captures.count
        if n >= 6 {
            for m in 0..<o.missingCaptures {
                let i = n * (m + 1) / (o.missingCaptures + 1)
                if i >= 2 && i <= n - 3 { missing.insert(i) }
            }
        }
        for i in 0..<(n - 1) {
            let forced = missing.contains(i) || missing.contains(i + 1)
            guard forced || r.chance(0.65) else { continue }
            let lo = captures[i] + 20 * UTCTime.minuteMs, hi = captures[i + 1] - 20 * UTCTime.minuteMs
            guard hi > lo else { continue }
            changes.append(r.int64(lo..<hi) / 1000 * 1000 + Int64(r.int(0..<1000)))
        }
        initialLcut = o.start - 26 * UTCTime.hourMs + Int64(r.int(0..<3_600_000))
    }

    /// The lcut of version `v`.
    func lcut(_ v: Int) -> Int64 { v == 0 ? initialLcut : changes[v - 1] }

    var versionCount: Int { changes.count + 1 }

    /// The version KV holds at `time`.
    func version(at time: Int64) -> Int {
        var lo = 0, hi = changes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if changes[mid] <= time { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Whether a written capture holds version `v`.
    func isCaptured(_ v: Int) -> Bool {
        let from = lcut(v)
        let to = v < changes.count ? changes[v] : Int64.max
        for (i, c) in captures.enumerated() where c >= from && c < to && !missing.contains(i) { return true }
        return false
    }

    /// The newest captured version published by `time`, if any.
    func newestCaptured(at time: Int64) -> Int? {
        var v = version(at: time)
        while v >= 0 {
            if isCapturedCache(v) { return v }
            v -= 1
        }
        return nil
    }

    private func isCapturedCache(_ v: Int) -> Bool { capturedFlags.isEmpty ? isCaptured(v) : capturedFlags[v] }

    var capturedFlags: [Bool] = []

    mutating func computeCapturedFlags() { capturedFlags = (0..<versionCount).map { isCaptured($0) } }
}

/// Generates config versions in time order, keeping only those still needed.
final class History {
    var project: Project
    let schedule: Schedule
    let options: GenerateOptions
    private(set) var versions: [Int: ConfigVersion] = [:]
    private(set) var built = 0
    var largestPayload = 0
    var changeLog: [Int: [String]] = [:]
    var sizes: [Int: Int] = [:]

    init(options: GenerateOptions, population: Population) {
        self.options = options
        var s = Schedule(options: options)
        s.computeCapturedFlags()
        schedule = s
        project = Project(options: options, population: population)
        project.addPopulationIDs(population)
        _ = project.applyDue(s.initialLcut)
        _ = project.grow(days: 10, currentSize: 0)
        project.lastGrowthDay = UTCTime.floorDiv(s.initialLcut, UTCTime.dayMs)
    }

    /// Builds every version published by `time`.
    func advance(through time: Int64) throws {
        while built < schedule.versionCount && schedule.lcut(built) <= time {
            try buildNext()
        }
    }

    private func buildNext() throws {
        let v = built
        let lcut = schedule.lcut(v)
        var changes: [String] = []
        if v == 0 {
            changes = ["state at the start of the history"]
        } else {
            changes = project.applyDue(lcut)
            let day = UTCTime.floorDiv(lcut, UTCTime.dayMs)
            if day > project.lastGrowthDay {
                let size = versions[v - 1]?.bytes.count ?? 0
                if let g = project.grow(days: day - project.lastGrowthDay, currentSize: size) { changes.append(g) }
                project.lastGrowthDay = day
            }
            if changes.isEmpty || project.rng.chance(0.35) {
                if let e = project.randomEdit() { changes.append(e) }
            }
            if changes.isEmpty { changes.append("no-op publish") }
        }
        let (json, bytes) = project.payload(lcut: lcut)
        let specs = try ConfigSpecs(json: json, source: "generated version \(v)")
        let version = ConfigVersion(index: v, lcut: lcut, bytes: bytes, compiled: CompiledPayload(specs),
                                    catalog: project.catalog(at: lcut), changes: changes, captured: schedule.capturedFlags[v])
        versions[v] = version
        largestPayload = max(largestPayload, bytes.count)
        changeLog[v] = changes
        sizes[v] = bytes.count
        built += 1
    }

    func version(_ v: Int) -> ConfigVersion { versions[v]! }

    /// Drops versions older than `v` (they are no longer needed).
    func release(before v: Int) {
        for k in versions.keys where k < v { versions[k] = nil }
    }
}
