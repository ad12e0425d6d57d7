import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel
import KVReplayTestSupport
import Testing

/// Two configs (lcut 1,000,000 then 2,000,000) whose differences give every structural cause.
enum CauseFixture {
    static let lcutA: Int64 = 1_700_000_000_000
    static let lcutB: Int64 = 1_700_100_000_000

    static func payload(_ time: Int64, newer: Bool) -> ConfigSpecs {
        var disabled = History.gate("g_disabled", rules: [History.rule("d-rule", conditions: [History.publicCondition])]).objectValue!
        disabled["enabled"] = false
        var gates: [JSONValue] = [
            History.gate("g_cond", rules: [History.rule("r_email", conditions: [History.condition("user_field", "str_ends_with_any", ["@a.com"], field: "email")])]),
            .object(disabled),
            History.gate("g_pct", rules: [History.rule("pct-rule", pass: newer ? 100 : 50, conditions: [History.publicCondition])]),
            History.gate("g_rules", rules: [History.rule(newer ? "new-rule" : "old-rule", conditions: [History.publicCondition])]),
            History.gate("listed", rules: [History.rule("list-rule", conditions: [History.condition("unit_id", "in_segment_list", "missing_list")])]),
            History.gate("g_ramp", rules: [History.rule("ramp-rule", pass: newer ? 100 : 0, conditions: [History.publicCondition])]),
            History.gate("seg", rules: [History.rule("seg-rule", conditions: [History.condition("user_field", "str_ends_with_any", ["@a.com"], field: "email")])]),
            History.gate("g_outer", rules: [History.rule("outer", conditions: [History.condition("pass_gate", nil, "seg")])]),
            History.gate("g_order", rules: [
                History.rule("r_b", conditions: [History.condition("user_field", "str_ends_with_any", ["@b.com"], field: "email")]),
                History.rule("r_public", conditions: [History.publicCondition]),
            ]),
        ]
        if newer { gates.append(History.gate("g_new", rules: [History.rule("n-rule", conditions: [History.publicCondition])])) }
        return try! ConfigSpecs(json: ["has_updates": true, "time": .int(time), "feature_gates": .array(gates), "dynamic_configs": [], "layer_configs": []],
                                source: "test")
    }

    static let snapshots = [
        ReplaySnapshot(id: 1, sha256: "a", lcut: lcutA, capturedAt: lcutA, specs: payload(lcutA, newer: false)),
        ReplaySnapshot(id: 2, sha256: "b", lcut: lcutB, capturedAt: lcutB, specs: payload(lcutB, newer: true)),
    ]

    /// user-0 … user-49; every third has an @a.com email, the others @b.com.
    static let users = History.users(50)

    static func audit(_ entity: String, user: Int?, value: String, rule: String, at time: Int64 = lcutA + 1_000, lcut: Int64? = lcutA,
                      sdkType: String? = nil) -> AuditResult {
        let auditor = Auditor(snapshots: snapshots, defaultFlavor: .core, idLists: IDLists())
        let x = LoggedExposure(id: 1, kind: .gate, entity: entity, userID: user.map { Int64($0 + 1) }, value: value, ruleID: rule,
                               eventTime: time, lcut: lcut, sdkType: sdkType)
        return auditor.audit(x, user: user.map { users[$0].user }, evaluators: auditor.makeEvaluators())
    }

    /// The bucket (0–9999) the pass percentage of `pct-rule` gives a user.
    static func passes50(_ u: Int) -> Bool {
        let e = Evaluator(payload: CompiledPayload(snapshots[0].specs), options: EvaluationOptions(now: lcutA))
        return e.evaluate(EntityRef(kind: .gate, name: "g_pct"), for: e.prepare(users[u].user), in: EvaluationContext()).boolValue
    }
}

@Suite struct CauseTests {
    typealias F = CauseFixture

    @Test func matchesHaveNoCause() {
        let r = F.audit("g_cond", user: 0, value: "true", rule: "r_email")  // user-0: u0@a.com
        #expect(r.verdict == .match)
        #expect(r.cause == nil)
    }

    @Test func aConditionTheLoggedRuleFailsHere() throws {
        // user-1 has an @b.com email: the logged rule r_email cannot pass for them.
        let r = F.audit("g_cond", user: 1, value: "true", rule: "r_email")
        #expect(r.verdict == .mismatch)
        let c = try #require(r.cause)
        #expect(c.code == "condition:user_field/str_ends_with_any/email")
        #expect(c.detail["rule"] == "r_email")
        #expect(c.detail["user_value"] == "u1@b.com")
        #expect(c.detail["target"] == ["@a.com"])
        #expect(c.detail["replay"] == "pass" || c.detail["replay"] == "fail")
        #expect(c.detail["replay"] == "fail" && c.detail["edge"] == "pass")
    }

    @Test func anEarlierRuleMatchesHereThatTheEdgeWentPast() throws {
        // user-1 (@b.com) matches r_b first; the edge logged the later r_public.
        let r = F.audit("g_order", user: 1, value: "true", rule: "r_public")
        #expect(r.verdict == .mismatch)
        let c = try #require(r.cause)
        #expect(c.code == "condition:user_field/str_ends_with_any/email")
        #expect(c.detail["rule"] == "r_b")
        #expect(c.detail["replay"] == "pass" && c.detail["edge"] == "fail")
    }

    @Test func throughANestedGateTheDecidingConditionIsNamed() throws {
        // user-1 (@b.com) fails `seg`, so `outer` fails here; the edge logged it: the cause is seg's email condition.
        let r = F.audit("g_outer", user: 1, value: "true", rule: "outer")
        #expect(r.verdict == .mismatch)
        let c = try #require(r.cause)
        #expect(c.code == "condition:user_field/str_ends_with_any/email")
        #expect(c.detail["via"] == ["seg"])
        #expect(c.detail["rule"] == "outer" && c.detail["replay"] == "fail" && c.detail["edge"] == "pass")
        #expect(c.summary.contains("inside seg"))
        // The legacy walk (statsig-node) records nested gates differently; the same condition is found.
        let legacy = try #require(F.audit("g_outer", user: 1, value: "true", rule: "outer", sdkType: "statsig-node").cause)
        #expect(legacy.code == "condition:user_field/str_ends_with_any/email" && legacy.detail["via"] == ["seg"])
    }

    @Test func structuralReasons() throws {
        // The served config has the spec disabled: a legacy SDK (statsig-node) answers it without reading its rules.
        #expect(F.audit("g_disabled", user: 0, value: "true", rule: "d-rule", sdkType: "statsig-node").cause?.code == "disabled")
        // The core evaluates a disabled spec's rules; an edge that answered "disabled" parts from it there.
        #expect(F.audit("g_disabled", user: 0, value: "false", rule: "disabled").cause?.code == "disabled:edge")
        // The edge did not know the spec at all.
        #expect(F.audit("g_cond", user: 0, value: "false", rule: "").cause?.code == "unrecognized")
        // The spec exists only in the newer config.
        let missing = try #require(F.audit("g_new", user: 0, value: "true", rule: "n-rule").cause)
        #expect(missing.code == "spec-missing")
        #expect(missing.detail["spec_lcut"] == .int(F.lcutB))
        // A rule of a newer config logged under the older lcut, and a rule of an older config under the newer lcut.
        let ahead = try #require(F.audit("g_rules", user: 0, value: "true", rule: "new-rule").cause)
        #expect(ahead.code == "rule-from-newer-config")
        let removed = try #require(F.audit("g_rules", user: 0, value: "true", rule: "old-rule", at: F.lcutB + 1_000, lcut: F.lcutB).cause)
        #expect(removed.code == "rule-removed")
        #expect(removed.detail["rule_lcut"] == .int(F.lcutA))
        #expect(F.audit("g_rules", user: 0, value: "true", rule: "made-up", at: F.lcutB + 1_000, lcut: F.lcutB).cause?.code == "rule-unknown")
    }

    @Test func passPercentageAndItsChange() throws {
        let u = try #require((0..<F.users.count).first { !F.passes50($0) })
        let r = F.audit("g_pct", user: u, value: "true", rule: "pct-rule")
        #expect(r.verdict == .mismatch)
        let c = try #require(r.cause)
        #expect(c.code == "pass-percentage")
        #expect(c.detail["percentage"] == .double(50))
        #expect(c.detail["passed"] == false)
        // The newer config has the rule at 100%: the edge's answer is the newer percentage's.
        #expect(c.detail["other_percentage"] == .double(100))
        #expect(c.detail["other_lcut"] == .int(F.lcutB))
    }

    @Test func unevaluableUserUnknownAndListMissing() throws {
        let anonymous = F.audit("g_cond", user: nil, value: "true", rule: "r_email")
        #expect(anonymous.verdict == .unevaluable)
        #expect(anonymous.cause?.code == "user-unknown")
        let listed = F.audit("listed", user: 0, value: "false", rule: "default")
        #expect(listed.verdict == .unevaluable)
        let c = try #require(listed.cause)
        #expect(c.code == "list-missing:missing_list")
        #expect(c.detail["list"] == "missing_list")
    }

    @Test func noSnapshotBeforeTheFirstCapture() throws {
        let r = F.audit("g_cond", user: 0, value: "true", rule: "r_email", at: F.lcutA - 5_000, lcut: nil)
        #expect(r.verdict == .noSnapshot)
        let c = try #require(r.cause)
        #expect(c.code == "no-snapshot")
        #expect(c.detail["first_lcut"] == .int(F.lcutA))
    }

    @Test func staleIsCostedWithWhatTheNewerConfigChanges() throws {
        // g_ramp: 0% under the served config, 100% under the newer one, published 90 s before the event.
        let r = F.audit("g_ramp", user: 3, value: "false", rule: "ramp-rule", at: F.lcutB + 90_000, lcut: F.lcutA)
        #expect(r.verdict == .stale)
        #expect(r.newerSnapshot == 1)
        #expect(r.newerValue == "true" && r.newerRuleID == "ramp-rule")
        #expect(r.staleLagMs == 90_000)
        let c = try #require(r.cause)
        #expect(c.code == "newer-config:pass-percentage")
        #expect(c.detail["percentage"] == .double(0) && c.detail["newer_percentage"] == .double(100))
        #expect(c.detail["lag_ms"] == .int(90_000))
        // A newer config that adds the logged spec's successor rule: rule-added / rule-removed.
        let rules = F.audit("g_rules", user: 3, value: "true", rule: "old-rule", at: F.lcutB + 1_000, lcut: F.lcutA)
        #expect(rules.verdict == .stale)
        #expect(rules.cause?.code == "newer-config:rule-added")
    }

    @Test func everyNonMatchHasACause() {
        for entity in ["g_outer", "g_cond", "g_disabled", "g_pct", "g_rules", "listed", "g_ramp", "g_order", "g_new", "nowhere"] {
            for u in [nil, 0, 1, 2] as [Int?] {
                for value in ["true", "false"] {
                    for rule in ["default", "outer", "r_email", "pct-rule", "old-rule", "new-rule", "r_public", ""] {
                        for (t, l) in [(F.lcutA + 10, F.lcutA), (F.lcutB + 10, F.lcutA), (F.lcutA - 10, nil as Int64?)] {
                            let r = F.audit(entity, user: u, value: value, rule: rule, at: t, lcut: l)
                            #expect((r.verdict == .match) == (r.cause == nil), "\(entity) \(String(describing: u)) \(value) \(rule): \(r.verdict)")
                            #expect(r.cause?.kind != .unexplained, "\(entity) \(String(describing: u)) \(value) \(rule): \(r.cause?.summary ?? "")")
                        }
                    }
                }
            }
        }
    }

    @Test func causeCodesFilterByPrefix() {
        #expect(Cause.matches(code: "condition:ip_based/eq/country", filter: "condition"))
        #expect(Cause.matches(code: "condition:ip_based/eq/country", filter: "condition:ip_based"))
        #expect(!Cause.matches(code: "condition:ip_based/eq/country", filter: "condition:ip"))
        #expect(Cause.matches(code: "rule-removed", filter: "rule-removed"))
        #expect(!Cause.matches(code: "rule-removed", filter: "rule"))
        let c = Cause(code: "list-missing:fraud_ring", detail: JSONObject())
        #expect(c.kind == .listMissing && c.qualifier == "fraud_ring" && c.code == "list-missing:fraud_ring")
    }
}
