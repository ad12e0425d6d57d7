import KVReplayEvaluation
import KVReplayModel

/// The causes of non-matches: each found by evaluating again with the trace (`Evaluator.explain`, the same walk as
/// the audit's evaluation) and comparing the logged rule, value and group with its steps.
extension Auditor {
    func noSnapshotCause(_ x: LoggedExposure) -> Cause {
        guard let first = byLcutOrderFirst else {
            return Cause(.noSnapshot, summary: "no config was captured at all", [("event_time", .int(x.eventTime))])
        }
        let lcut = snapshots[first].lcut
        return Cause(.noSnapshot, summary: "the event (\(x.eventTime)) comes before the first captured config (lcut \(lcut)): capture KV earlier to audit it",
                     [("event_time", .int(x.eventTime)), ("first_lcut", .int(lcut))])
    }

    func userUnknownCause(_ x: LoggedExposure) -> Cause {
        if x.userID == nil {
            return Cause(.userUnknown, summary: "the event's user has no unit ID the population knows (ingest the users, or log the unit ID)")
        }
        return Cause(.userUnknown, "unreadable", summary: "the event's stored user object no longer reads as a Statsig user",
                     [("user_row", .int(x.userID!))])
    }

    func listMissingCause(_ served: Int, _ x: LoggedExposure, _ user: StatsigUser, _ flavor: SDKFlavor, _ evaluators: Evaluators) -> Cause {
        var missing: [String] = []
        if let ex = explain(served, x, user, flavor, evaluators) {
            for step in ex.steps {
                guard case .condition(_, _, let op, _, let target, _, _, _, _) = step,
                      let op, op.lowercased().hasSuffix("in_segment_list") else { continue }
                let names = target.arrayValue?.compactMap(\.stringValue) ?? [target.stringValue].compactMap { $0 }
                for n in names where !idLists.contains(list: n) && !missing.contains(n) { missing.append(n) }
            }
        }
        let name = missing.first ?? "?"
        return Cause(.listMissing, name, summary: "the answer reads ID list \(name), which the database lacks (ingest it with `kvreplay ingest idlists`)",
                     [("list", .string(name))])
    }

    /// A mismatch: the first step where the served config, evaluated for the user, parts from what the edge logged.
    func mismatchCause(_ served: Int, _ x: LoggedExposure, _ user: StatsigUser, _ flavor: SDKFlavor, _ evaluators: Evaluators,
                       answer: Answer, fields: [String]) -> Cause
    {
        let lcut = snapshots[served].lcut
        guard entityRef(x, in: evaluators.payload(served)) != nil else {
            var summary = "the config served (lcut \(lcut)) has no \(x.kind.rawValue) named \(x.entity): the SDK answers it as unrecognized, the edge did not"
            var detail: [(String, JSONValue)] = [("lcut", .int(lcut))]
            let having = snapshots.indices.filter { $0 != served && facts[$0].entity(x.kind, x.entity) != nil }
            if let other = having.min(by: { (abs(snapshots[$0].lcut - lcut), $0) < (abs(snapshots[$1].lcut - lcut), $1) }) {
                let o = snapshots[other].lcut
                summary += "; config lcut \(o) has it (\(o > lcut ? "published later: the edge ran a newer config than the lcut it logged" : "an older config"))"
                detail.append(("spec_lcut", .int(o)))
            }
            return Cause(.specMissing, summary: summary, detail)
        }
        guard let ex = explain(served, x, user, flavor, evaluators) else {
            return Cause(.unexplained, summary: "the entity could not be evaluated again")
        }
        let steps = ex.steps
        let logged = x.ruleID
        if steps.contains(where: { if case .disabled = $0 { return true } else { return false } }), logged != "disabled" {
            return Cause(.disabled, summary: "the config served (lcut \(lcut)) has \(x.entity) disabled; the edge logged rule \(logged ?? "-")",
                         [("lcut", .int(lcut)), ("logged_rule", Self.json(logged))])
        }
        for step in steps {
            switch step {
            case .conditionRaised(_, let type, let op, let field, let reason, _):
                return Cause(.conditionError, Self.qualifier(type, op, field, target: .null), summary: "a \(type) condition raised (\(reason))",
                             [("condition_type", .string(type)), ("operator", Self.json(op)), ("field", Self.json(field)), ("reason", .string(reason))])
            case .unsupported(let reason, _):
                return Cause(.conditionError, "unsupported", summary: "the evaluator does not support a condition: \(reason)", [("reason", .string(reason))])
            default: continue
            }
        }
        let replayed = answer.ruleID
        if let logged, !logged.utf8.elementsEqual(replayed.utf8) {
            // The logged rule was walked here and failed: its first failing condition.
            if let failing = Self.conditions(ofRule: logged, in: steps).first(where: { !$0.passed }) {
                return failing.cause(summary: "rule \(logged), logged by the edge, fails here: \(failing.text)", rule: logged, edge: "pass")
            }
            if logged.isEmpty {
                return Cause(.unrecognized, summary: "the edge answered \(x.entity) as unrecognized (rule \"\"): its config did not have the spec; the config served (lcut \(lcut)) has it",
                             [("lcut", .int(lcut)), ("expected_rule", .string(replayed))])
            }
            if logged == "disabled" {
                return Cause(.disabled, "edge", summary: "the edge answered \(x.entity) as disabled (rule disabled); the replay (\(flavor.rawValue)) evaluates its rules and matches \(replayed)",
                             [("lcut", .int(lcut)), ("expected_rule", .string(replayed))])
            }
            let literal = logged == "default" || logged.hasPrefix("layerAssignment")
            let inServed = facts[served].entityHasRule(x.kind, x.entity, logged)
            // The logged rule comes after the one matched here (or the edge matched none): the matched rule's conditions pass here.
            if literal || inServed {
                let conds = Self.conditions(ofRule: replayed, in: steps)
                if let c = conds.first(where: { $0.type.lowercased() != "public" }) ?? conds.first {
                    return c.cause(summary: "rule \(replayed) matches here (\(c.text)); the edge went past it and logged \(logged)",
                                   rule: replayed, edge: "fail")
                }
            }
            if !literal && !inServed {
                if let other = snapshotWithRule(logged, of: x, near: served) {
                    let o = snapshots[other].lcut
                    let detail: [(String, JSONValue)] = [("logged_rule", .string(logged)), ("lcut", .int(lcut)), ("rule_lcut", .int(o))]
                    if o > lcut {
                        return Cause(.ruleFromNewerConfig, summary: "the edge logged rule \(logged), which the config served (lcut \(lcut)) does not have yet; config lcut \(o), published later, has it: the edge ran a newer config than the lcut it logged", detail)
                    }
                    return Cause(.ruleRemoved, summary: "the edge logged rule \(logged), which the config served (lcut \(lcut)) no longer has; config lcut \(o) had it", detail)
                }
                return Cause(.ruleUnknown, summary: "the edge logged rule \(logged), which no captured config of \(x.entity) has", [("logged_rule", .string(logged)), ("lcut", .int(lcut))])
            }
        }
        if fields.contains("value") {
            // The same rule: its pass percentage (the user's bucket) decides the value.
            for step in steps {
                guard case .passPercentage(let ruleID, _, let bucket, let percentage, let passed, _) = step, ruleID == replayed else { continue }
                var detail: [(String, JSONValue)] = [("rule", .string(ruleID)), ("percentage", .double(percentage)), ("bucket", .int(Int64(bucket))),
                                                     ("passed", .bool(passed)), ("lcut", .int(lcut))]
                var summary = "rule \(ruleID) passes \(NumberFormatting.rustDisplay(percentage))% of users; this user's bucket \(bucket) of 10000 \(passed ? "passes" : "fails") here"
                if let (other, p) = otherPercentage(ruleID, percentage, near: served) {
                    detail.append(("other_percentage", .double(p)))
                    detail.append(("other_lcut", .int(snapshots[other].lcut)))
                    summary += "; config lcut \(snapshots[other].lcut) has it at \(NumberFormatting.rustDisplay(p))%"
                }
                return Cause(.passPercentage, summary: summary, detail)
            }
        }
        if fields.contains("group") {
            return Cause(.group, summary: "rule \(replayed) gives group \(answer.groupName ?? "none"); the edge logged \(x.groupName ?? "none")",
                         [("rule", .string(replayed)), ("expected_group", Self.json(answer.groupName)), ("logged_group", Self.json(x.groupName))])
        }
        if fields.contains("allocated_experiment") {
            return Cause(.allocation, summary: "the layer allocates \(answer.allocatedExperiment ?? "none") here; the edge logged \(x.allocatedExperiment ?? "none")",
                         [("expected", Self.json(answer.allocatedExperiment)), ("logged", Self.json(x.allocatedExperiment))])
        }
        if fields.contains("value"), x.kind == .gate, let v = x.value {
            // The same rule, another value, and no pass percentage in between: the edge's answer contradicts its own rule.
            let expected = answer.value.boolValue == true ? "true" : "false"
            return Cause(.ruleValue, summary: "rule \(replayed.isEmpty ? "\"\"" : replayed) gives \(expected) in the config served (lcut \(lcut)); the edge logged \(v) with that same rule",
                         [("rule", .string(replayed)), ("expected_value", .string(expected)), ("logged_value", .string(v)), ("lcut", .int(lcut))])
        }
        return Cause(.unexplained, summary: "the evaluation matches rule \(replayed); the edge logged \(logged ?? "-") (fields: \(fields.joined(separator: ",")))")
    }

    /// A stale exposure: what the newer config changes for the user.
    func staleCause(_ served: Int, _ newest: Int, _ x: LoggedExposure, _ user: StatsigUser, _ flavor: SDKFlavor, _ evaluators: Evaluators,
                    old: Answer, new: Answer) -> Cause
    {
        let newLcut = snapshots[newest].lcut
        var detail: [(String, JSONValue)] = [("served_lcut", .int(snapshots[served].lcut)), ("newer_lcut", .int(newLcut)),
                                             ("served_rule", .string(old.ruleID)), ("newer_rule", .string(new.ruleID)),
                                             ("lag_ms", .int(x.eventTime - newLcut))]
        let lag = "the config of lcut \(newLcut) was published \(Self.duration(x.eventTime - newLcut)) before the event"
        func cause(_ change: String, _ what: String) -> Cause { Cause(.newerConfig, change, summary: "\(what); \(lag)", detail) }
        let a = spec(x, evaluators.payload(served)), b = spec(x, evaluators.payload(newest))
        guard let a else { return cause("spec-added", "the newer config adds \(x.entity)") }
        guard let b else { return cause("spec-removed", "the newer config deletes \(x.entity)") }
        if a.enabled && !b.enabled { return cause("disabled", "the newer config disables \(x.entity)") }
        if !a.enabled && b.enabled { return cause("enabled", "the newer config enables \(x.entity)") }
        if old.ruleID.utf8.elementsEqual(new.ruleID.utf8) {
            let ra = a.rules.first { $0.id == old.ruleID }, rb = b.rules.first { $0.id == new.ruleID }
            if let ra, let rb, ra.passPercentage != rb.passPercentage {
                detail.append(("percentage", .double(ra.passPercentage)))
                detail.append(("newer_percentage", .double(rb.passPercentage)))
                return cause("pass-percentage", "the newer config moves rule \(new.ruleID) from \(NumberFormatting.rustDisplay(ra.passPercentage))% to \(NumberFormatting.rustDisplay(rb.passPercentage))%")
            }
            if old.groupName != new.groupName { return cause("group", "the newer config renames rule \(new.ruleID)'s group") }
            return cause("return-value", "the newer config changes what rule \(new.ruleID) returns")
        }
        if !a.rules.contains(where: { $0.id == new.ruleID }), b.rules.contains(where: { $0.id == new.ruleID }) {
            return cause("rule-added", "the newer config adds rule \(new.ruleID), which the user matches")
        }
        if a.rules.contains(where: { $0.id == old.ruleID }), !b.rules.contains(where: { $0.id == old.ruleID }) {
            return cause("rule-removed", "the newer config removes rule \(old.ruleID), which the user matched")
        }
        if let ex = explain(newest, x, user, flavor, evaluators), let c = Self.conditions(ofRule: old.ruleID, in: ex.steps).first(where: { !$0.passed }) {
            detail.append(contentsOf: c.detail)
            return cause("rules-edited", "under the newer config rule \(old.ruleID) fails (\(c.text))")
        }
        return cause("rules-edited", "the newer config edits or reorders the rules: \(old.ruleID) -> \(new.ruleID)")
    }

    // MARK: Helpers

    private var byLcutOrderFirst: Int? { snapshots.indices.min { (snapshots[$0].lcut, $0) < (snapshots[$1].lcut, $1) } }

    func explain(_ snapshot: Int, _ x: LoggedExposure, _ user: StatsigUser, _ flavor: SDKFlavor, _ evaluators: Evaluators) -> Explanation? {
        guard let ref = entityRef(x, in: evaluators.payload(snapshot)) else { return nil }
        let evaluator = evaluators.evaluator(snapshot, flavor, now: x.eventTime)
        return evaluator.explain(ref, for: evaluator.prepare(user))
    }

    /// The exposure's spec in a payload: the first of its collection with that name.
    func spec(_ x: LoggedExposure, _ payload: CompiledPayload) -> Spec? {
        let collection: SpecCollection = x.kind == .gate ? .featureGates : x.kind == .layer ? .layerConfigs : .dynamicConfigs
        return payload.specs.allSpecs.first { $0.collection == collection && $0.name == x.entity }
    }

    /// The captured snapshot nearest in lcut to `served` whose spec of the exposure's entity (or an experiment it
    /// delegates to) has the rule.
    func snapshotWithRule(_ id: String, of x: LoggedExposure, near served: Int) -> Int? {
        snapshots.indices.filter { $0 != served && facts[$0].entityHasRule(x.kind, x.entity, id) }
            .min { (abs(snapshots[$0].lcut - snapshots[served].lcut), $0) < (abs(snapshots[$1].lcut - snapshots[served].lcut), $1) }
    }

    /// The nearest captured snapshot where the rule has another pass percentage.
    func otherPercentage(_ id: String, _ percentage: Double, near served: Int) -> (Int, Double)? {
        let candidates = snapshots.indices.compactMap { i -> (Int, Double)? in
            guard i != served, let p = facts[i].rulePercentage(id), p != percentage else { return nil }
            return (i, p)
        }
        return candidates.min { (abs(snapshots[$0.0].lcut - snapshots[served].lcut), $0.0) < (abs(snapshots[$1.0].lcut - snapshots[served].lcut), $1.0) }
    }

    static func json(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

    static func qualifier(_ type: String, _ op: String?, _ field: String?, target: JSONValue) -> String {
        var parts = [type.lowercased()]
        if let op, !op.isEmpty { parts.append(op.lowercased()) }
        if let field, !field.isEmpty { parts.append(field) }
        let t = type.lowercased()
        if (t == "pass_gate" || t == "fail_gate"), let g = target.stringValue { parts.append(g) }
        return parts.joined(separator: "/")
    }

    static func duration(_ ms: Int64) -> String {
        let s = ms / 1000
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        return "\(s / 3600) h \((s % 3600) / 60) min"
    }

    /// One condition of a rule as the trace recorded it.
    struct TracedCondition {
        var type: String
        var op: String?
        var field: String?
        var target: JSONValue
        var userValue: JSONValue?
        var userString: String?
        var passed: Bool
        /// A nested gate: its value and the steps of its evaluation.
        var gateValue: Bool? = nil
        var nested: ArraySlice<EvaluationTrace.Step>? = nil

        /// Through nested gates, the condition that decided: a passing gate's matched rule's first non-`public`
        /// condition; a failing single-rule gate's first failing condition. With the gates passed through.
        func drilled() -> (condition: TracedCondition, via: [String]) {
            guard let nested, let value = gateValue, let name = target.stringValue else { return (self, []) }
            let steps = Array(nested)
            var depth: Int? = nil
            for step in steps { if case .enterSpec(_, _, let d) = step { depth = d; break } }
            guard let depth else { return (self, []) }
            var inner: TracedCondition? = nil
            if value {
                for step in steps {
                    if case .ruleMatched(let rid, _, let d) = step, d == depth {
                        let conds = Auditor.conditions(ofRule: rid, in: steps)
                        inner = conds.first { $0.type.lowercased() != "public" }
                        break
                    }
                }
            } else {
                var rules: [String] = []
                for step in steps { if case .rule(_, let rid, let d) = step, d == depth { rules.append(rid) } }
                if rules.count == 1 { inner = Auditor.conditions(ofRule: rules[0], in: steps).first { !$0.passed } }
            }
            guard let inner else { return (self, []) }
            let (deep, via) = inner.drilled()
            return (deep, [name] + via)
        }

        var userText: String {
            if let v = userValue, !v.isNull { return JSONWriter(style: .python).string(v) }
            if let s = userString { return "\"\(s)\"" }
            return "(no value)"
        }

        var text: String {
            let w = JSONWriter(style: .python)
            var t = type
            if let field { t += " \(field)" }
            if let op { t += " \(op)" }
            if !target.isNull {
                let text = w.string(target)
                t += " " + (text.count > 60 ? String(text.prefix(57)) + "...]" : text)
            }
            return "\(t): user value \(userText) -> \(passed ? "pass" : "fail")"
        }

        var detail: [(String, JSONValue)] {
            [("condition_type", .string(type)), ("operator", Auditor.json(op)), ("field", Auditor.json(field)), ("target", target),
             ("user_value", userValue.map { $0.isNull ? Auditor.json(userString) : $0 } ?? Auditor.json(userString))]
        }

        /// The cause, named after the innermost condition that decided (through nested gates: `via`).
        func cause(summary: String, rule: String, edge: String) -> Cause {
            let (c, via) = drilled()
            var text = summary
            var extra: [(String, JSONValue)] = []
            if !via.isEmpty {
                text += "; inside \(via.joined(separator: " > ")): \(c.text)"
                extra.append(("via", .array(via.map { .string($0) })))
            }
            return Cause(.condition, Auditor.qualifier(c.type, c.op, c.field, target: c.target), summary: text,
                         [("rule", .string(rule))] + c.detail + extra + [("replay", .string(passed ? "pass" : "fail")), ("edge", .string(edge))])
        }
    }

    static func depth(of step: EvaluationTrace.Step) -> Int? {
        switch step {
        case .enterSpec(_, _, let d), .rule(_, _, let d), .conditionRaised(_, _, _, _, _, let d), .unsupported(_, let d), .nestedGateStart(_, let d),
             .nestedGate(_, _, _, _, _, let d), .userBucket(_, _, _, let d), .passPercentage(_, _, _, _, _, let d), .delegate(_, let d),
             .ruleMatched(_, _, let d), .fellThrough(_, let d), .error(_, let d):
            return d
        case .condition(_, _, _, _, _, _, _, _, let d): return d
        case .disabled: return nil
        }
    }

    /// The conditions the trace walked for the first rule with `id`, at that rule's depth (nested gates as one condition).
    static func conditions(ofRule id: String, in steps: [EvaluationTrace.Step]) -> [TracedCondition] {
        var out: [TracedCondition] = []
        var depth: Int? = nil
        // Where the steps of a nested gate begin: after the last step at the rule's depth (both flavours record the
        // gate's own steps deeper, then the gate's verdict at the rule's depth).
        var nestedStart = 0
        for (i, step) in steps.enumerated() {
            if depth == nil {
                if case .rule(_, let rid, let d) = step, rid == id { depth = d; nestedStart = i + 1 }
                continue
            }
            defer { if Self.depth(of: step) == depth { nestedStart = i + 1 } }
            switch step {
            case .rule(_, _, let d) where d == depth: return out
            case .ruleMatched(_, _, let d) where d == depth: return out
            case .fellThrough(_, let d) where d == depth: return out
            case .condition(_, let type, let op, let field, let target, let value, let string, let result, let d) where d == depth:
                out.append(TracedCondition(type: type, op: op, field: field, target: target, userValue: value, userString: string, passed: result))
            case .nestedGate(let name, let negate, let result, _, let memoized, let d) where d == depth:
                let nested = memoized || nestedStart >= i ? nil : steps[nestedStart..<i]
                out.append(TracedCondition(type: negate ? "fail_gate" : "pass_gate", op: nil, field: nil, target: .string(name),
                                           userValue: .bool(result), userString: nil, passed: negate ? !result : result,
                                           gateValue: result, nested: nested))
            default: continue
            }
        }
        return out
    }
}
