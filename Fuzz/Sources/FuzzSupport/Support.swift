import KVReplayEvaluation
import KVReplayModel

/// Shared by the fuzz targets: evaluating every entity of a payload for a few fixed users must not crash.
public enum FuzzSupport {
    public static let users: [StatsigUser] = [
        #"{"userID":"u1","email":"a@corp.com","ip":"1.2.3.4","country":"US","locale":"en_US","appVersion":"1.2.3","userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1","custom":{"level":3,"plan":"pro","ts":1767225600000},"customIDs":{"companyID":"c1","stableID":"s1"},"statsigEnvironment":{"tier":"production"}}"#,
        #"{"userID":123,"custom":{"n":9.0,"b":true,"arr":[1,"x"]},"privateAttributes":{"email":"x@y.z"}}"#,
        #"{}"#,
    ].map { text in try! StatsigUser(json: try! JSONParser.parse(text)) }

    /// Evaluates up to `limit` entities for each fixed user (and for `extra` users), both flavours.
    /// Users are prepared by each flavour's evaluator (a legacy evaluation needs the legacy view of the user).
    public static func evaluateAll(_ payload: CompiledPayload, extra: [StatsigUser] = [], limit: Int = 64) {
        let ctx = EvaluationContext()
        for flavor in [SDKFlavor.core, .legacy] {
            let evaluator = Evaluator(payload: payload, options: EvaluationOptions(flavor: flavor, now: 1_767_225_600_000))
            let prepared = (users + extra).map(evaluator.prepare)
            for ref in payload.entities.prefix(limit) {
                for u in prepared { _ = evaluator.evaluate(ref, for: u, in: ctx) }
            }
            for ref in [EntityRef(kind: .gate, name: "missing"), EntityRef(kind: .layer, name: "missing")] {
                _ = evaluator.evaluate(ref, for: prepared[0], in: ctx)
            }
        }
    }
}
