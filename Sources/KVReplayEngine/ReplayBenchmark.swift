public import KVReplayEvaluation
public import KVReplayModel
import Foundation

/// The replay benchmark: a synthetic history made from one payload (each later snapshot changes the pass
/// percentage of at most `changesPerSnapshot` gates) and a population made from a users file.
public enum ReplayBenchmark {
    public struct Figures: Sendable, Codable {
        public var users: Int
        public var entities: Int
        public var snapshots: Int
        public var changesPerSnapshot: Int
        public var threads: Int
        /// One snapshot, one thread: user-entity evaluations per second of the replay (the snapshot compiled
        /// beforehand; `secondsCompileOneSnapshot`).
        public var evalsPerSecondOneThread: Double
        /// One snapshot, all threads.
        public var evalsPerSecondAllThreads: Double
        public var speedup: Double
        /// Compiling the one snapshot (once, on one thread, whatever the population).
        public var secondsCompileOneSnapshot: Double
        /// One snapshot on all threads, compilation included.
        public var secondsOneSnapshot: Double
        /// The whole history on all threads, compilation included.
        public var secondsAllSnapshots: Double
        /// Cost of the whole history relative to one snapshot (compilation included in both).
        public var historyCostRatio: Double
        public var evaluationsHistory: Int
        public var carriedOverHistory: Int
        public var peakRSSMiB: Double

        enum CodingKeys: String, CodingKey {
            case users, entities, snapshots, threads, speedup
            case changesPerSnapshot = "changes_per_snapshot"
            case evalsPerSecondOneThread = "evals_per_s_1_thread"
            case evalsPerSecondAllThreads = "evals_per_s_all_threads"
            case secondsCompileOneSnapshot = "seconds_compile_one_snapshot"
            case secondsOneSnapshot = "seconds_one_snapshot"
            case secondsAllSnapshots = "seconds_all_snapshots"
            case historyCostRatio = "history_cost_ratio"
            case evaluationsHistory = "evaluations_history"
            case carriedOverHistory = "carried_over_history"
            case peakRSSMiB = "peak_rss_mib"
        }
    }

    /// A population of `count` users cycling through `base`, each copy with its own userID and custom IDs.
    public static func population(_ base: [StatsigUser], count: Int) -> [ReplayUser] {
        guard !base.isEmpty else { return [] }
        return (0..<count).map { i in
            var u = base[i % base.count]
            let copy = i / base.count
            if copy > 0 {
                if let id = u.userID, let s = UserValue.core(id).string { u.userID = .string("\(s)-\(copy)") }
                if var ids = u.customIDs {
                    for (k, v) in ids.members { if let s = UserValue.core(v).string { ids[k] = .string("\(s)-\(copy)") } }
                    u.customIDs = ids
                }
            }
            return ReplayUser(id: Int64(i + 1), user: u)
        }
    }

    /// `count` snapshots: the base, then each changing the pass percentage of up to `changes` partial-rollout gates.
    public static func history(_ base: ConfigSpecs, count: Int, changes: Int) -> [ReplaySnapshot] {
        let lcut0 = base.time ?? 1_700_000_000_000
        var specs = base
        let referenced = Set(base.allSpecs.flatMap { $0.rules.flatMap { r in r.conditions.compactMap { c -> String? in
            if case .condition(let cond) = c, cond.type == "pass_gate" || cond.type == "fail_gate" { return cond.targetValue.stringValue }
            return nil
        } } })
        // Leaf gates with a partial rollout: what release owners ramp every day.
        let candidates = specs.featureGates.indices.filter { i in
            !referenced.contains(specs.featureGates[i].name) && specs.featureGates[i].rules.contains { $0.passPercentage > 0 && $0.passPercentage < 100 }
        }
        var out: [ReplaySnapshot] = []
        for s in 0..<count {
            if s > 0, !candidates.isEmpty {
                for c in 0..<changes {
                    let g = candidates[(s * changes + c) % candidates.count]
                    if let r = specs.featureGates[g].rules.firstIndex(where: { $0.passPercentage > 0 && $0.passPercentage < 100 }) {
                        let p = specs.featureGates[g].rules[r].passPercentage
                        specs.featureGates[g].rules[r].passPercentage = p >= 98 ? 1 : p + 1
                    }
                }
            }
            let lcut = lcut0 + Int64(s) * 3_600_000
            specs.time = lcut
            out.append(ReplaySnapshot(id: Int64(s + 1), sha256: String(format: "%064d", s), lcut: lcut, capturedAt: lcut + 60_000, specs: specs))
        }
        return out
    }

    final class CountingSink: ReplaySink {
        var flips = 0
        func flips(from: Int, to: Int, entity: EntityRef, flips: [Flip]) { self.flips += flips.count }
    }

    public static func run(payload: ConfigSpecs, users base: [StatsigUser], userCount: Int, snapshots: Int, changes: Int,
                           threads: Int, idLists: IDLists = IDLists()) throws -> Figures {
        let users = population(base, count: userCount)
        let history = history(payload, count: snapshots, changes: changes)
        /// Seconds to compile the snapshots, seconds to replay them, and the replay's summary.
        func time(_ snaps: [ReplaySnapshot], threads: Int) throws -> (compile: Double, run: Double, ReplaySummary) {
            let replayer = Replayer(snapshots: snaps, options: ReplayOptions(threads: threads, idLists: idLists))
            // The first snapshot compiled ahead (the others compile when the replay reaches them).
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try replayer.cache.payload(0)
            let compiled = DispatchTime.now().uptimeNanoseconds
            let s = try replayer.run(users: users, sink: CountingSink())
            let end = DispatchTime.now().uptimeNanoseconds
            return (Double(compiled - start) / 1e9, Double(end - compiled) / 1e9, s)
        }
        let (c1, t1, one) = try time([history[0]], threads: 1)
        let (cn, tn, _) = try time([history[0]], threads: threads)
        let (ch, th, all) = try time(history, threads: threads)
        let evals = Double(one.evaluations)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Figures(users: users.count, entities: CompiledPayload(payload).entities.count, snapshots: history.count, changesPerSnapshot: changes,
                       threads: threads, evalsPerSecondOneThread: evals / t1, evalsPerSecondAllThreads: evals / tn, speedup: t1 / tn,
                       secondsCompileOneSnapshot: min(c1, cn), secondsOneSnapshot: cn + tn, secondsAllSnapshots: ch + th,
                       historyCostRatio: (ch + th) / (cn + tn), evaluationsHistory: all.evaluations,
                       carriedOverHistory: all.carriedOver, peakRSSMiB: Double(usage.ru_maxrss) / 1024)
    }
}
