public import KVReplayModel
import Foundation

/// Throughput of the evaluator, measured the way `../shared/oracle/bench_sdks.py` measures the SDKs:
/// users prepared once outside the timing, then every gate × user (`check_gate`) and every experiment × user
/// (`get_experiment`, a full result) evaluated; the best of several passes.
public enum EvaluationBenchmark {
    public struct Figure: Sendable, Codable, Equatable {
        public var evaluations: Int
        public var seconds: Double
        public var evalsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case evaluations, seconds
            case evalsPerSecond = "evals_per_s"
        }
    }

    public struct Result: Sendable, Codable {
        public var threads: Int
        public var gates: Figure
        public var experiments: Figure
    }

    public static func run(evaluator: Evaluator, users: [StatsigUser], threads: Int, passes: Int = 3) -> Result {
        let prepared = UncheckedSendable(users.map { evaluator.prepare($0) })
        let payload = evaluator.payload
        let gateCount = payload.gates.count
        let experiments = payload.entities.filter { $0.kind == .experiment }.map(payload.resolve)
        let chunk = max(1, min(256, users.count / max(1, threads * 8)))

        // On a shared machine, `KVREPLAY_BENCH_CLOCK=cpu` times a one-thread run by the thread's CPU time instead of
        // the wall clock (A/B comparisons that other processes' load does not skew).
        let cpuClock = threads == 1 && ProcessInfo.processInfo.environment["KVREPLAY_BENCH_CLOCK"] == "cpu"
        func now() -> UInt64 {
            if cpuClock {
                var ts = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
                return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
            }
            return DispatchTime.now().uptimeNanoseconds
        }

        /// Best of `passes` timed passes; each pass repeats the whole workload enough times to last about half a second.
        func measure(_ body: @escaping @Sendable (Range<Int>) -> Int) -> Figure {
            func once() -> (Int, Double) {
                let start = now()
                let counts = Parallel.mapChunks(count: users.count, chunkSize: chunk, threads: threads, body)
                return (counts.reduce(0, +), Double(now() - start) / 1e9)
            }
            // The first pass also fills the users' lazy views (user agent, country); time the second.
            _ = once()
            let (_, warm) = once()
            let rounds = max(1, Int((0.5 / max(warm, 1e-6)).rounded(.up)))
            var best = Double.infinity
            var total = 0
            for _ in 0..<passes {
                var n = 0
                var elapsed = 0.0
                for _ in 0..<rounds {
                    let (c, t) = once()
                    n += c
                    elapsed += t
                }
                if elapsed < best { best = elapsed; total = n }
            }
            return Figure(evaluations: total, seconds: best, evalsPerSecond: best > 0 ? Double(total) / best : 0)
        }

        let gates = measure { range in
            let evaluator = evaluator.replica()
            let ctx = EvaluationContext()
            var n = 0
            var trues = 0
            for u in range {
                let session = evaluator.session(for: prepared.value[u], in: ctx)
                for g in 0..<gateCount {
                    if session.checkGate(index: g) { trues += 1 }
                    n += 1
                }
            }
            blackHole(trues)
            return n
        }
        let exps = measure { range in
            let evaluator = evaluator.replica()
            let ctx = EvaluationContext()
            var n = 0
            var rules = 0
            for u in range {
                let session = evaluator.session(for: prepared.value[u], in: ctx)
                for e in experiments.indices {
                    rules &+= session.evaluate(experiments, at: e).ruleID.utf8.count
                    n += 1
                }
            }
            blackHole(rules)
            return n
        }
        return Result(threads: threads, gates: gates, experiments: exps)
    }
}

@inline(never)
func blackHole(_ x: Int) {
    if x == Int.min { print("") }
}

/// Lets prepared users cross into worker threads; each worker touches a disjoint range of them.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
