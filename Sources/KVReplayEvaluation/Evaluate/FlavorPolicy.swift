import KVReplayModel

/// The places where SDK families differ, and nothing else. The rule walk (`Walk`) is shared.
struct FlavorPolicy: Sendable {
    let flavor: SDKFlavor

    /// v1 legacy SDKs return `defaultValue` with rule `disabled` for a disabled spec without reading its rules;
    /// the core ignores `enabled` (v2 payloads arrive with those rules already removed).
    var skipsDisabledSpecs: Bool { flavor == .legacy }

    /// A gate's boolean when a rule matched: the core derives it from the JSON (`returnValue != false`, or
    /// `defaultValue == true` when the pass percentage failed); legacy SDKs use the pass/fail outcome.
    @inline(__always)
    func gateValue(rulePassed: Bool, rule: CompiledRule, spec: CompiledSpec) -> Bool {
        switch flavor {
        case .core: rulePassed ? rule.returnBool : spec.defaultBool
        case .legacy: rulePassed
        }
    }

    /// A pass/fail gate condition names a gate the payload does not have.
    func missingNestedGate(walk: Walk) {
        // Core 0.24.2: the lookup is unrecognized and reports no rule ID, so no exposure follows.
        walk.ctx.ruleID = nil
    }

    /// After a nested gate: record its exposure (never for `segment:` gates).
    func appendNestedExposure(name: String, found: Bool, walk: Walk) {
        let ctx = walk.ctx
        guard !name.hasPrefix("segment:"), let rule = ctx.ruleID, !rule.isEmpty else { return }
        ctx.secondary.append(SecondaryExposure(gate: name, gateValue: ctx.bool, ruleID: rule))
    }

    func compare(_ value: UserValue, _ op: Operator, _ target: TargetValue, walk: Walk) -> Bool {
        CoreComparisons.compare(value, op, target, walk: walk)
    }

    func makeEvaluation(_ ref: EntityRef, spec: CompiledSpec, ctx: EvaluationContext) -> Evaluation {
        let isGate = ref.kind == .gate
        let value: JSONValue
        if isGate {
            value = .bool(ctx.bool)
        } else if case .object? = ctx.json {
            value = ctx.json!
        } else {
            value = .object(JSONObject())
        }
        let isLayer = ref.kind == .layer
        return Evaluation(
            kind: ref.kind, name: ref.name, value: value, ruleID: ctx.ruleID ?? "", groupName: ctx.groupName,
            idType: ctx.idType ?? "", reason: ctx.unsupported ? .unsupported : .ok,
            secondaryExposures: ref.kind == .experiment ? ctx.secondary : ctx.secondary.cleaned(),
            allocatedExperiment: isLayer ? ctx.configDelegate : nil,
            undelegatedSecondaryExposures: isLayer ? (ctx.undelegated ?? []).cleaned() : nil,
            explicitParameters: isLayer ? (ctx.explicitParameters ?? []) : nil,
            isExperimentGroup: ctx.isExperimentGroup, isExperimentActive: ctx.isExperimentActive,
            version: spec.version, usedIDList: ctx.usedIDList, missingIDList: ctx.missingIDList)
    }
}

extension SDKFlavor {
    var policy: FlavorPolicy { FlavorPolicy(flavor: self) }
}
