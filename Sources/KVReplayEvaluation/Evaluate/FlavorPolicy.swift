import KVReplayModel

/// The places where SDK families differ, and nothing else. The rule walk (`Walk`) is shared; where the legacy SDK's
/// control flow differs, the walk asks the policy (`isLegacy`) and calls a named legacy step (`LegacyWalk.swift`):
///
/// | point | core (statsig-server-core 0.24.2) | legacy (statsig 0.72.1) |
/// |---|---|---|
/// | load | unknown type/operator → `unsupported` at evaluation | spec dropped at load → `unsupported` lookup |
/// | disabled spec | rules evaluated (v2 semantics) | `disabled`, rules skipped |
/// | gate boolean | `returnValue != false` / `defaultValue == true` | pass/fail |
/// | conditions | `CoreComparisons` on `UserValue` | `LegacyComparisons` on `LegacyValue` (Python) |
/// | condition raises | never | spec aborted, rule `error` (nested gates catch it) |
/// | nested gates | memoised; missing → no exposure | re-evaluated; missing → `reset()` + `""` exposure |
/// | `multi_*_gate` | unsupported | separate top-level checks |
/// | `useNewLayerEval` | honoured | ignored |
/// | exposures | experiments raw, others cleaned | all cleaned at the top level |
/// | `id_type` | the top-level spec's | the last finished spec's (a layer reports its experiment's) |
struct FlavorPolicy: Sendable {
    let flavor: SDKFlavor
    let isLegacy: Bool

    init(flavor: SDKFlavor) {
        self.flavor = flavor
        isLegacy = flavor == .legacy
    }

    /// v1 legacy SDKs return `defaultValue` with rule `disabled` for a disabled spec without reading its rules;
    /// the core ignores `enabled` (v2 payloads arrive with those rules already removed).
    var skipsDisabledSpecs: Bool { isLegacy }

    /// The core's `useNewLayerEval`; the legacy SDK does not know the flag.
    var usesNewLayerEval: Bool { !isLegacy }

    /// A gate's boolean when a rule matched: the core derives it from the JSON (`returnValue != false`, or
    /// `defaultValue == true` when the pass percentage failed); legacy SDKs use the pass/fail outcome.
    @inline(__always)
    func gateValue(rulePassed: Bool, rule: CompiledRule, spec: CompiledSpec) -> Bool {
        isLegacy ? rulePassed : (rulePassed ? rule.returnBool : spec.defaultBool)
    }

    /// A gate's boolean when no rule matched: the core's `defaultValue == true`, the legacy `False`.
    @inline(__always)
    func fallThroughValue(spec: CompiledSpec) -> Bool {
        isLegacy ? false : spec.defaultBool
    }

    /// A pass/fail gate condition names a gate the payload does not have (core; see `Walk.legacyReset` for legacy).
    func missingNestedGate(walk: Walk) {
        // Core 0.24.2: the lookup is unrecognized and reports no rule ID, so no exposure follows.
        walk.ctx.ruleID = nil
    }

    /// After a nested gate: record its exposure (never for `segment:` gates).
    func appendNestedExposure(_ condition: CompiledCondition, walk: Walk) {
        let ctx = walk.ctx
        guard !condition.gateIsSegment, let rule = ctx.localRuleID, !rule.isEmpty else { return }
        ctx.secondary.append(SecondaryExposure(gate: ctx.localGateName(condition), gateValue: ctx.bool, ruleID: rule))
    }

    func compare(_ value: UserValue, _ op: Operator, _ target: TargetValue, walk: Walk) -> Bool {
        CoreComparisons.compare(value, op, target, walk: walk)
    }

    /// The result record. Strings and values come from the context's per-thread copies (`LocalCopies`), bound by the
    /// caller, so that building records on many threads touches no shared reference count.
    func makeEvaluation(_ ref: EntityRef, spec: CompiledSpec, ctx: EvaluationContext) -> Evaluation {
        if isLegacy { return makeLegacyEvaluation(ref, spec: spec, ctx: ctx) }
        let isGate = ref.kind == .gate
        let value: JSONValue
        if isGate {
            value = .bool(ctx.bool)
        } else if let json = ctx.localJSON, case .object = json {
            value = json
        } else {
            value = .object(JSONObject())
        }
        let isLayer = ref.kind == .layer
        let name = ctx.locals?.name(ref.name, of: spec) ?? ref.name
        return Evaluation(
            kind: ref.kind, name: name, value: value, ruleID: ctx.localRuleID ?? "", groupName: ctx.localGroupName,
            idType: ctx.idType ?? "", reason: ctx.unsupported ? .unsupported : .ok,
            secondaryExposures: ref.kind == .experiment ? ctx.secondary : ctx.secondary.cleaned(),
            allocatedExperiment: isLayer ? ctx.localConfigDelegate : nil,
            undelegatedSecondaryExposures: isLayer ? (ctx.undelegated ?? []).cleaned() : nil,
            explicitParameters: isLayer ? (ctx.localExplicitParameters ?? []) : nil,
            isExperimentGroup: ctx.isExperimentGroup, isExperimentActive: ctx.isExperimentActive,
            version: spec.version, usedIDList: ctx.usedIDList, missingIDList: ctx.missingIDList)
    }

    /// The legacy result (`_ConfigEvaluation` as the oracle reads it): the value as the SDK holds it (a config's raw
    /// JSON), exposures as they stand (cleaned by the walk when the evaluation finished, raw when it raised), rule ID
    /// `error` and reason `error` when it raised.
    func makeLegacyEvaluation(_ ref: EntityRef, spec: CompiledSpec, ctx: EvaluationContext) -> Evaluation {
        let isLayer = ref.kind == .layer
        let ruleID = ctx.failed ? "error" : (ctx.localRuleID ?? "")
        let name = ctx.locals?.name(ref.name, of: spec) ?? ref.name
        return Evaluation(
            kind: ref.kind, name: name, value: ref.kind == .gate ? .bool(ctx.bool) : (ctx.localJSON ?? .object(JSONObject())),
            ruleID: ruleID, groupName: ctx.localGroupName, idType: ctx.idType ?? "",
            reason: ruleID == "error" ? .error : .ok,
            secondaryExposures: ctx.secondary,
            allocatedExperiment: isLayer ? ctx.localConfigDelegate : nil,
            undelegatedSecondaryExposures: isLayer ? (ctx.undelegated ?? ctx.secondary) : nil,
            explicitParameters: isLayer ? (ctx.localConfigDelegate != nil ? ctx.localExplicitParameters ?? [] : []) : nil,
            isExperimentGroup: ctx.isExperimentGroup, isExperimentActive: ctx.isExperimentActive,
            version: spec.version, usedIDList: ctx.usedIDList, missingIDList: ctx.missingIDList)
    }

    /// Legacy: what a lookup that finds no spec reports (`unsupported_or_unrecognized` after `reset()`).
    static func legacyMissing(_ ref: EntityRef, unsupported: Bool) -> Evaluation {
        Evaluation(
            kind: ref.kind, name: ref.name, value: ref.kind == .gate ? .bool(false) : .object(JSONObject()), ruleID: "",
            groupName: nil, idType: "", reason: unsupported ? .unsupported : .unrecognized, secondaryExposures: [],
            allocatedExperiment: nil, undelegatedSecondaryExposures: ref.kind == .layer ? [] : nil,
            explicitParameters: ref.kind == .layer ? [] : nil, isExperimentGroup: false, isExperimentActive: false,
            version: nil, usedIDList: false)
    }

    /// Legacy: a user the SDK rejects (neither `userID` nor `customIDs`): `StatsigUser` raises before any evaluation.
    /// kvreplay reports every entity with reason `error`, rule `""` and default values.
    static func legacyRejectedUser(_ ref: EntityRef) -> Evaluation {
        var e = legacyMissing(ref, unsupported: false)
        e.reason = .error
        return e
    }
}

extension SDKFlavor {
    var policy: FlavorPolicy { FlavorPolicy(flavor: self) }
}
