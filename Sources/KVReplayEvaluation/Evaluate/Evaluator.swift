public import KVReplayModel

/// Evaluates the entities of one compiled payload for prepared users, as the chosen SDK family does.
///
/// The walk mirrors statsig-server-core's `Evaluator::evaluate`: rules in order, every condition of a rule
/// evaluated (no short-circuit, so secondary exposures are complete), nested gates memoised per top-level
/// evaluation, layer rules delegating to experiments before their pass percentage. Flavour differences are
/// confined to `FlavorPolicy`.
///
/// An `Evaluator` is immutable and `Sendable`; give each thread its own `EvaluationContext`.
public final class Evaluator: Sendable {
    public let payload: CompiledPayload
    public let options: EvaluationOptions
    let sdkEnvironment: [String: UserValue]
    let policy: FlavorPolicy
    /// Legacy: the SDK's `environment` option as it overrides the user's, and `current_time`'s value.
    let legacyEnvironment: JSONObject?
    let legacyNow: LegacyValue
    /// `current_time`'s value in the core flavour.
    let nowValue: UserValue
    /// `nowValue`, `legacyNow` and the payload's `app_id` views unretained (shared by every thread).
    let nowRef: Unmanaged<UserValue>
    let legacyNowRef: Unmanaged<LegacyValue>
    let appIDRef: Unmanaged<UserValue>?
    let legacyAppIDRef: Unmanaged<LegacyValue>?
    /// Node: the `statsigEnvironment` `_normalizeUser` gives every user (the SDK's `environment`, else the payload's
    /// `{tier: default_environment}`); nil keeps the user's own.
    let nodeEnvironment: JSONObject?

    public init(payload: CompiledPayload, options: EvaluationOptions) {
        precondition(options.flavor != .legacy || payload.includesLegacy, "a legacy evaluator needs a payload compiled with legacy: true")
        self.payload = payload
        self.options = options
        var env: [String: UserValue] = [:]
        if let e = options.environment {
            for (k, v) in e { env[k] = UserValue.coreString(v) }
        } else if let tier = payload.specs.defaultEnvironment {
            env["tier"] = UserValue.coreString(tier)
        }
        sdkEnvironment = env
        policy = options.flavor.policy
        legacyEnvironment = options.environment.map { e in JSONObject(e.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }) }
        legacyNow = LegacyValue(.int(options.now))
        nowValue = UserValue.coreTimestamp(options.now)
        nowRef = Unmanaged.passUnretained(nowValue)
        legacyNowRef = Unmanaged.passUnretained(legacyNow)
        appIDRef = payload.appID.map { Unmanaged.passUnretained($0) }
        legacyAppIDRef = payload.legacyAppID.flatMap { $0.isNone ? nil : Unmanaged.passUnretained($0) }
        if let e = options.environment {
            nodeEnvironment = JSONObject(e.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        } else if let tier = payload.specs.defaultEnvironment {
            nodeEnvironment = JSONObject([("tier", JSONValue.string(tier))])
        } else {
            nodeEnvironment = nil
        }
    }

    /// An evaluator equal to this one (same payload and options, users prepared by either serve both), for one
    /// thread. Evaluations retain their evaluator; threads that share one write the same reference count, and the
    /// cache line holding it (and the evaluator's fields) bounces between cores. Give each worker its own.
    public func replica() -> Evaluator {
        Evaluator(payload: payload, options: options)
    }

    /// Converts a user once for this evaluator's flavour.
    public func prepare(_ user: StatsigUser) -> PreparedUser {
        if options.flavor == .node { return PreparedUser(node: user) }
        if policy.isLegacy {
            return PreparedUser(legacy: user, sdkEnvironment: legacyEnvironment, defaultEnvironment: payload.specs.defaultEnvironment,
                                fieldCount: payload.legacyFieldCount, idTypeCount: payload.legacyIDTypeCount)
        }
        return PreparedUser(user)
    }

    static let unpreparedUser = "a legacy evaluation needs a user prepared by this evaluator (Evaluator.prepare)"

    /// Binds a user and a context for a series of evaluations (cheaper than a call to `evaluate` each: the three are
    /// bound once). `user` comes from `prepare` of an evaluator of the same flavour and payload.
    public func session(for user: PreparedUser, in ctx: EvaluationContext) -> UserSession {
        if options.flavor == .node { return UserSession(walk: Walk(evaluator: self, user: user, ctx: ctx)) }
        if !policy.isLegacy { user.bind(payload.fields) }
        return UserSession(walk: Walk(evaluator: self, user: user, ctx: ctx))
    }

    /// Evaluates one entity. Entities the payload does not have are `unrecognized`. `user` comes from `prepare`
    /// of an evaluator of the same flavour and payload.
    public func evaluate(_ ref: EntityRef, for user: PreparedUser, in ctx: EvaluationContext) -> Evaluation {
        session(for: user, in: ctx).evaluate(ref)
    }

    /// Fast path for throughput: the boolean of a gate, with no result record.
    public func checkGate(_ name: String, for user: PreparedUser, in ctx: EvaluationContext) -> Bool {
        session(for: user, in: ctx).checkGate(name)
    }

    func makeEvaluation(_ ref: EntityRef, spec: CompiledSpec?, ctx: EvaluationContext, errored: Bool) -> Evaluation {
        ctx.bindLocals(payload)
        let isGate = ref.kind == .gate
        guard spec != nil, !errored else {
            return Evaluation(
                kind: ref.kind, name: ref.name, value: isGate ? .bool(false) : .object(JSONObject()), ruleID: "",
                groupName: nil, idType: spec != nil ? (ctx.idType ?? "") : "", reason: spec == nil ? .unrecognized : .error,
                secondaryExposures: [], allocatedExperiment: nil,
                undelegatedSecondaryExposures: ref.kind == .layer ? [] : nil,
                explicitParameters: ref.kind == .layer ? [] : nil, isExperimentGroup: false, isExperimentActive: false,
                version: spec?.version, usedIDList: ctx.usedIDList)
        }
        return policy.makeEvaluation(ref, spec: spec!, ctx: ctx)
    }
}

/// One user's evaluations under one evaluator, in one context (see `Evaluator.session`). Evaluate any number of
/// entities with it, on the thread that owns the context.
public struct UserSession {
    let walk: Walk

    /// Evaluates one entity. Entities the payload does not have are `unrecognized`.
    public func evaluate(_ ref: EntityRef) -> Evaluation {
        if walk.isNode { return nodeEvaluate(ref) }
        return evaluate(ref, spec: walk.payload.spec(ref))
    }

    /// Evaluates an entity looked up once (`CompiledPayload.resolve`) in this session's payload.
    public func evaluate(_ entity: ResolvedEntity) -> Evaluation {
        if walk.isNode { return nodeEvaluate(entity.ref) }
        guard let ref = entity.specRef else { return evaluate(entity.ref, spec: nil) }
        return ref._withUnsafeGuaranteedRef { evaluate(entity.ref, spec: $0) }
    }

    /// Evaluates entity `index` of `entities`, read in place (see `evaluateOutcome`).
    public func evaluate(_ entities: [ResolvedEntity], at index: Int) -> Evaluation {
        if walk.isNode { return nodeEvaluate(entities[index].ref) }
        guard let ref = entities[index].specRef else { return evaluate(entities[index].ref, spec: nil) }
        return ref._withUnsafeGuaranteedRef { evaluate(entities[index].ref, spec: $0) }
    }

    private func evaluate(_ ref: EntityRef, spec: CompiledSpec?) -> Evaluation {
        if let done = perform(ref, spec: spec) { return done }
        return walk.evaluator.makeEvaluation(ref, spec: spec, ctx: walk.ctx, errored: false)
    }

    /// Runs an evaluation. Returns its result when it ended before or outside the walk (no spec, a user or spec the
    /// legacy SDK rejects, an error); nil when the result is in the context.
    private func perform(_ ref: EntityRef, spec: CompiledSpec?) -> Evaluation? {
        let ctx = walk.ctx
        let evaluator = walk.evaluator
        let payload = evaluator.payload
        ctx.reset()
        ctx.bindLocals(payload)
        if walk.policy.isLegacy {
            guard let legacyUser = walk.user.legacy else { preconditionFailure(Evaluator.unpreparedUser) }
            guard legacyUser.valid else { return FlavorPolicy.legacyRejectedUser(ref) }
            if spec == nil || spec!.legacyDropped {
                return FlavorPolicy.legacyMissing(ref, unsupported: payload.legacyUnsupportedNames.contains(ref.name))
            }
        }
        guard let spec else { return evaluator.makeEvaluation(ref, spec: nil, ctx: ctx, errored: false) }
        do {
            try walk.evaluateSpec(spec, kind: ref.kind)
        } catch {
            ctx.trace?.record(.error("\(error)", depth: ctx.nested))
            return evaluator.makeEvaluation(ref, spec: spec, ctx: ctx, errored: true)
        }
        return nil
    }

    /// Evaluates entity `index` of `entities` for its outcome only: the value, rule ID and group name a replay tables
    /// (the core flavour gathers no secondary exposures for it; they never change the outcome). Returns the outcome's
    /// identity when it has one (within one payload and entity, equal keys mean equal outcomes), so that a caller can
    /// recognise a repeated outcome without copying anything out of the payload; `outcomeFields` reads the outcome.
    /// (The entity is read in place in the array: copying it would touch reference counts that every thread shares.)
    public func evaluateOutcome(_ entities: [ResolvedEntity], at index: Int) -> OutcomeKey? {
        let ctx = walk.ctx
        if walk.isNode {
            ctx.finished = nodeEvaluate(entities[index].ref)
            return nil
        }
        if let specRef = entities[index].specRef {
            let kind = entities[index].ref.kind
            let walked = specRef._withUnsafeGuaranteedRef { spec in walkOnly(kind, spec: spec) }
            if walked { return ctx.outcomeKey }
        }
        // No spec, a legacy rejection or an error: the full result.
        ctx.finished = evaluate(entities[index])
        return nil
    }

    /// The walk alone; false when the evaluation has no result in the context (the legacy SDK rejects the user or the
    /// spec, or the walk aborted).
    private func walkOnly(_ kind: EntityKind, spec: CompiledSpec) -> Bool {
        let ctx = walk.ctx
        ctx.reset()
        if walk.policy.isLegacy {
            guard let legacyUser = walk.user.legacy else { preconditionFailure(Evaluator.unpreparedUser) }
            if !legacyUser.valid || spec.legacyDropped { return false }
            ctx.bindLocals(walk.payload)
        } else {
            ctx.collectsExposures = false
        }
        do { try walk.evaluateSpec(spec, kind: kind) } catch { return false }
        return true
    }

    /// The value, rule ID and group name of the last `evaluateOutcome` of entity `index` of `entities` in this session.
    public func outcomeFields(_ entities: [ResolvedEntity], at index: Int) -> (value: JSONValue, ruleID: String, groupName: String?) {
        let ctx = walk.ctx
        let e = ctx.finished ?? walk.evaluator.makeEvaluation(entities[index].ref, spec: entities[index].spec, ctx: ctx, errored: false)
        return (e.value, e.ruleID, e.groupName)
    }

    /// The boolean of a gate, with no result record.
    public func checkGate(_ name: String) -> Bool {
        if walk.isNode { return nodeCheckGate(name) }
        guard let i = walk.payload.gateIndex[name] else { return false }
        return checkGate(index: i)
    }

    /// The boolean of gate number `index` (payload order). Exposures are not gathered: they never change the boolean.
    func checkGate(index: Int) -> Bool {
        if walk.isNode { return nodeCheckGate(index: index) }
        let ctx = walk.ctx
        ctx.reset()
        ctx.collectsExposures = false
        let payload = walk.payload
        do {
            return try withGuaranteed(payload.gateRefs[index]) { (spec) throws(EvaluationAbort) -> Bool in
                if walk.policy.isLegacy {
                    guard let legacyUser = walk.user.legacy else { preconditionFailure(Evaluator.unpreparedUser) }
                    if !legacyUser.valid || spec.legacyDropped { return false }
                }
                try walk.evaluateSpec(spec, kind: .gate)
                return ctx.bool
            }
        } catch {
            return false
        }
    }
}

/// What a nested gate's evaluation may overwrite in the result, kept to be put back when the nested gate turns out
/// unsupported.
struct OuterResult {
    let bool: Bool
    let value: ResultValue
    let ruleRef: Unmanaged<CompiledRule>?
    let ruleText: String?
    let groupRef: Unmanaged<CompiledRule>?
    let groupText: String?
    let isExperimentGroup: Bool
    let isExperimentActive: Bool
    let nested: Int
    let unsupported: Bool
    let unsupportedReason: String?

    init(_ ctx: EvaluationContext) {
        bool = ctx.bool
        value = ctx.value
        ruleRef = ctx.ruleRef
        ruleText = ctx.ruleText
        groupRef = ctx.groupRef
        groupText = ctx.groupText
        isExperimentGroup = ctx.isExperimentGroup
        isExperimentActive = ctx.isExperimentActive
        nested = ctx.nested
        unsupported = ctx.unsupported
        unsupportedReason = ctx.unsupportedReason
    }

    /// Puts the result back as it was (the exposures excepted) and leaves it unsupported, with the outer reason when
    /// `keepingUnsupportedReason` (the first unsupported condition names the cause).
    func restore(_ ctx: EvaluationContext, keepingUnsupportedReason: Bool) {
        ctx.bool = bool
        ctx.value = value
        ctx.ruleRef = ruleRef
        ctx.ruleText = ruleText
        ctx.groupRef = groupRef
        ctx.groupText = groupText
        ctx.isExperimentGroup = isExperimentGroup
        ctx.isExperimentActive = isExperimentActive
        // An unsupported evaluation is not finalized: the nesting level is given back here.
        ctx.nested = nested
        ctx.unsupported = true
        if keepingUnsupportedReason { ctx.unsupportedReason = unsupportedReason }
    }
}

extension CompiledCondition {
    /// A rule's condition ID that the payload's `condition_map` lacks (compiled as an unsupported condition with no
    /// source): the core ends the rule there, where any other unsupported condition lets the rule go on.
    var isMissingFromConditionMap: Bool { tag == .unsupported && source == nil }
}

struct EvaluationAbort: Error, CustomStringConvertible {
    var description: String
}

/// Calls `body` with an object an unmanaged reference points to, without retaining it: the caller guarantees that
/// something else keeps the object alive (the compiled payload its rules and conditions, a user its values).
@inline(__always)
func withGuaranteed<T: AnyObject, R>(_ ref: Unmanaged<T>, _ body: (T) throws(EvaluationAbort) -> R) throws(EvaluationAbort) -> R {
    do {
        return try ref._withUnsafeGuaranteedRef { try body($0) }
    } catch let abort as EvaluationAbort {
        throw abort
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
}

/// One top-level evaluation in progress.
struct Walk {
    let evaluator: Evaluator
    let user: PreparedUser
    let ctx: EvaluationContext
    var payload: CompiledPayload { evaluator.payload }
    let policy: FlavorPolicy
    /// The node flavour's walk (`NodeWalk`), which shares nothing else with this one.
    let isNode: Bool

    init(evaluator: Evaluator, user: PreparedUser, ctx: EvaluationContext) {
        self.evaluator = evaluator
        self.user = user
        self.ctx = ctx
        policy = evaluator.policy
        isNode = evaluator.options.flavor == .node
    }

    static let maxDepth = 300

    func evaluateSpec(_ spec: CompiledSpec, kind: EntityKind) throws(EvaluationAbort) {
        ctx.trace?.record(.enterSpec(kind: kind, name: spec.name, depth: ctx.nested))
        let legacy = policy.isLegacy
        if ctx.idType == nil && !legacy { ctx.idType = spec.idType }
        if ctx.version == nil, let v = spec.version { ctx.version = v }
        if let a = spec.isActive { ctx.isExperimentActive = a }
        if let h = spec.hasSharedParams { ctx.isInLayer = h }
        if spec.explicitParameters != nil { ctx.setExplicitParameters(of: spec) }
        if kind == .layer && spec.useNewLayerEval && policy.usesNewLayerEval {
            try evaluateNewLayer(spec)
            return
        }
        if policy.skipsDisabledSpecs && !spec.enabled {
            ctx.trace?.record(.disabled(name: spec.name))
            ctx.bool = false
            ctx.value = .specDefault(Unmanaged.passUnretained(spec))
            ctx.setRuleID(literal: "disabled")
            if legacy { legacyFinishedWithoutRule(spec) }
            finalize(rule: nil)
            return
        }
        // The first rule whose conditions pass. The spec keeps its rules alive: they are walked unretained.
        var matched = -1
        for i in spec.ruleRefs.indices {
            let stop = try withGuaranteed(spec.ruleRefs[i]) { (rule) throws(EvaluationAbort) -> Bool in
                ctx.trace?.record(.rule(index: i, id: rule.id, depth: ctx.nested))
                try evaluateRule(rule)
                return ctx.unsupported || ctx.failed || ctx.bool
            }
            if stop {
                if ctx.unsupported || ctx.failed { return }
                matched = i
                break
            }
        }
        if matched >= 0 {
            try withGuaranteed(spec.ruleRefs[matched]) { (rule) throws(EvaluationAbort) in try finishMatched(rule, spec) }
            return
        }
        ctx.bool = policy.fallThroughValue(spec: spec)
        ctx.value = .specDefault(Unmanaged.passUnretained(spec))
        ctx.setRuleID(literal: spec.enabled ? "default" : "disabled")
        if legacy { legacyFinishedWithoutRule(spec) }
        ctx.trace?.record(.fellThrough(ruleID: ctx.ruleID!, depth: ctx.nested))
        finalize(rule: nil)
    }

    /// The rule whose conditions passed: its delegate, or its pass percentage and value.
    private func finishMatched(_ rule: CompiledRule, _ spec: CompiledSpec) throws(EvaluationAbort) {
        let legacy = policy.isLegacy
        if try evaluateConfigDelegate(rule) {
            if legacy && ctx.collectsExposures {
                // `__finalize_exposures` right after the delegate, at whatever depth.
                legacyCleanExposures()
                if ctx.failed { return }
            }
            finalize(rule: nil)
            return
        }
        let passed = legacy ? legacyPasses(rule) : passes(rule)
        if ctx.failed { return }
        ctx.trace?.record(.ruleMatched(id: rule.id, passed: passed, depth: ctx.nested))
        if passed {
            ctx.bool = policy.gateValue(rulePassed: true, rule: rule, spec: spec)
            ctx.value = .ruleReturn(Unmanaged.passUnretained(rule))
        } else {
            ctx.bool = policy.gateValue(rulePassed: false, rule: rule, spec: spec)
            ctx.value = .specDefault(Unmanaged.passUnretained(spec))
        }
        ctx.setRule(rule)
        ctx.isExperimentGroup = rule.isExperimentGroup ?? false
        ctx.isExperimentActive = spec.isActive ?? false
        if legacy { ctx.idType = spec.idType }
        finalize(rule: rule)
    }

    func finalize(rule: CompiledRule?) {
        ctx.samplingRate = rule?.samplingRate
        if ctx.nested > 0 {
            ctx.nested -= 1
            return
        }
        if policy.isLegacy && ctx.collectsExposures {
            // `__finalize_exposures` of a top-level evaluation.
            legacyCleanExposures()
            if ctx.failed { return }
        }
        if ctx.secondary.isEmpty || ctx.undelegated != nil { return }
        ctx.undelegated = ctx.secondary
    }

    func prepareNested() throws(EvaluationAbort) {
        ctx.nested += 1
        if !policy.isLegacy {
            ctx.bool = false
            ctx.value = .none
        }
        if ctx.nested + ctx.depthOffset > Walk.maxDepth { throw EvaluationAbort(description: "gates nested more than \(Walk.maxDepth) deep") }
    }

    func evaluateRule(_ rule: CompiledRule) throws(EvaluationAbort) {
        if policy.isLegacy {
            try evaluateLegacyRule(rule)
            return
        }
        var all = true
        // Unmanaged references: the rule keeps its conditions alive, so the loop needs no retain per condition.
        // An unsupported condition leaves the boolean as it was and the rule goes on: the conditions after it are
        // evaluated (nested gates too, whose rule ID and exposures the result keeps), and the spec stops after the
        // rule (statsig-python-core 0.24.2, gen_unsupported_v1). Only a condition missing from `condition_map` ends
        // the rule at once.
        for ref in rule.conditionRefs {
            let stop = try withGuaranteed(ref) { (c) throws(EvaluationAbort) -> Bool in
                try evaluateCondition(c)
                return c.isMissingFromConditionMap
            }
            if stop || ctx.failed { return }
            if !ctx.bool { all = false }
        }
        ctx.bool = all
    }

    func evaluateCondition(_ condition: CompiledCondition) throws(EvaluationAbort) {
        switch condition.tag {
        case .pass:
            ctx.bool = true
            ctx.trace.map { recordCondition($0, condition, value: nil, result: true) }
        case .unsupported:
            ctx.unsupported = true
            ctx.unsupportedReason = condition.unsupportedReason
            ctx.trace?.record(.unsupported(reason: condition.unsupportedReason, depth: ctx.nested))
        case .nestedGate:
            try evaluateNestedGate(condition)
        case .compare:
            if condition.sourceKind == .experimentGroup {
                let value = try experimentGroupValue(condition)
                compare(value.map { Unmanaged.passUnretained($0) }, condition)
                withExtendedLifetime(value) {}
                return
            }
            compare(readValue(condition), condition)
        }
    }

    /// A comparison of the user-side value (unretained: its owner outlives the evaluation) with the target.
    @inline(__always)
    private func compare(_ value: Unmanaged<UserValue>?, _ condition: CompiledCondition) {
        let op = condition.op
        let result = condition.targetRef!._withUnsafeGuaranteedRef { t in
            (value ?? Walk.emptyValue)._withUnsafeGuaranteedRef { v in CoreComparisons.compare(v, op, t, walk: self) }
        }
        ctx.bool = result
        if let trace = ctx.trace { recordCondition(trace, condition, value: value?.takeUnretainedValue(), result: result) }
    }

    static let emptyValue = Unmanaged.passUnretained(UserValue.empty)

    private func recordCondition(_ trace: EvaluationTrace, _ condition: CompiledCondition, value: UserValue?, result: Bool) {
        let c = condition.source
        trace.record(.condition(id: ObjectIdentifier(condition), type: c?.type ?? "", operator: c?.operator, field: c?.field, target: c?.targetValue ?? .null,
                                userValue: value.map { $0.json.isNull && $0.integer != nil ? .int($0.integer!) : $0.json },
                                userString: value?.string, result: result, depth: ctx.nested))
    }

    /// The user-side value of a comparison, unretained: the user, the evaluator, the payload or the bucket table owns it.
    func readValue(_ c: CompiledCondition) -> Unmanaged<UserValue>? {
        switch c.sourceKind {
        case .userField:
            guard let field = c.fieldRef else { return nil }
            return user.valueRef(field)
        case .userAgent:
            guard let field = c.fieldRef else { return nil }
            return user.userAgentValueRef(field)
        case .ipCountry:
            guard let field = c.fieldRef else { return nil }
            return user.ipCountryValueRef(field)
        case .environment:
            guard let field = c.field else { return nil }
            if let v = user.member(.environment, field.name) { return Unmanaged.passUnretained(v) }
            return (evaluator.sdkEnvironment[field.name] ?? evaluator.sdkEnvironment[field.lowercased]).map { Unmanaged.passUnretained($0) }
        case .currentTime:
            return evaluator.nowRef
        case .userBucket:
            let bucket = user.unitHash(prefix: c.saltPrefixBytes, c.idTypeRef!) % 1000
            if let trace = ctx.trace {
                trace.record(.userBucket(salt: String(decoding: c.saltPrefixBytes.dropLast(), as: UTF8.self), unitID: user.unitIDString(c.idType!),
                                         bucket: bucket, depth: ctx.nested))
            }
            return Walk.bucketRefs[Int(bucket)]
        case .targetApp:
            return evaluator.appIDRef
        case .unitID:
            return user.unitIDRef(c.idTypeRef!)
        case .experimentGroup, .none:
            return nil
        }
    }

    /// `experiment_group`: the group the user gets in the named experiment, in a separate top-level evaluation (as the
    /// SDK calls `get_experiment`).
    func experimentGroupValue(_ c: CompiledCondition) throws(EvaluationAbort) -> UserValue? {
        guard let i = c.experimentIndex else { return nil }
        let inner = EvaluationContext()
        try withExtendedLifetime(inner) { () throws(EvaluationAbort) in
            try Walk(evaluator: evaluator, user: user, ctx: inner).evaluateSpec(payload.configs[i], kind: .experiment)
        }
        return inner.groupName.map(UserValue.coreString)
    }

    static let bucketValues: [UserValue] = (0..<1000).map { UserValue.coreUnsigned(UInt64($0)) }
    static let bucketRefs: [Unmanaged<UserValue>] = bucketValues.map { Unmanaged.passUnretained($0) }

    /// A `pass_gate` / `fail_gate`. The gate's name is read only for exposures and traces (copying it would touch its
    /// reference count, shared by every thread).
    func evaluateNestedGate(_ condition: CompiledCondition) throws(EvaluationAbort) {
        let gateIndex = condition.gateIndex
        var memoized = false
        // A gate found in the payload is identified by its index; a missing one by its name.
        var hit = -1
        for i in ctx.memo.indices where ctx.memo[i].index == gateIndex {
            if gateIndex >= 0 || ctx.memo[i].condition._withUnsafeGuaranteedRef({ utf8Equal($0.gateName, condition.gateName) }) {
                hit = i
                break
            }
        }
        if hit >= 0 {
            memoized = true
            ctx.bool = ctx.memo[hit].bool
            ctx.ruleRef = ctx.memo[hit].ruleRef
            ctx.ruleText = ctx.memo[hit].ruleText
            if !ctx.memo[hit].exposures.isEmpty { ctx.secondary.append(contentsOf: ctx.memo[hit].exposures) }
        } else {
            let outer = OuterResult(ctx)
            // Core: the nested gate is evaluated on its own, whether or not a condition before it was unsupported.
            if !policy.isLegacy { ctx.unsupported = false }
            try prepareNested()
            if let trace = ctx.trace { trace.record(.nestedGateStart(name: condition.gateName, depth: ctx.nested)) }
            // The nested gate's exposures are appended after the outer ones, as the core's swap-and-extend does.
            let mark = ctx.secondary.count
            if gateIndex >= 0 {
                try withGuaranteed(payload.gateRefs[gateIndex]) { (spec) throws(EvaluationAbort) in try evaluateSpec(spec, kind: .gate) }
            } else {
                policy.missingNestedGate(walk: self)
                // An unrecognized gate is not finalized: the nesting level is given back here.
                ctx.nested -= 1
            }
            if ctx.failed || (ctx.unsupported && policy.isLegacy) {
                ctx.bool = outer.bool
                ctx.value = outer.value
                if mark <= ctx.secondary.count { ctx.secondary.removeSubrange(mark...) }
                return
            }
            if ctx.unsupported {
                // Observed with 0.24.2 (gen_legacy_edges_v1 `lx_dropped_nested`, gen_unsupported_v1): the result has
                // the boolean, value, rule and group it had before the nested gate, the outer exposures followed by
                // those the nested evaluation gathered, and no exposure, memo entry or negation for the nested gate.
                outer.restore(ctx, keepingUnsupportedReason: outer.unsupported)
                return
            }
            if outer.unsupported {
                ctx.unsupported = true
                ctx.unsupportedReason = outer.unsupportedReason
            }
            if condition.gateNamed {
                // (Without exposures to gather, `own` is empty and costs nothing.)
                let own = mark == ctx.secondary.count ? [] : Array(ctx.secondary[mark...])
                ctx.memo.append(NestedGateMemo(index: gateIndex, condition: Unmanaged.passUnretained(condition), bool: ctx.bool,
                                               ruleRef: ctx.ruleRef, ruleText: ctx.ruleText, exposures: own))
            }
        }
        if ctx.collectsExposures { policy.appendNestedExposure(condition, walk: self) }
        let negate = condition.negate
        if let trace = ctx.trace {
            trace.record(.nestedGate(name: condition.gateName, negate: negate, result: ctx.bool, ruleID: ctx.ruleID, memoized: memoized, depth: ctx.nested))
        }
        if negate { ctx.bool.toggle() }
    }

    func evaluateConfigDelegate(_ rule: CompiledRule) throws(EvaluationAbort) -> Bool {
        guard rule.configDelegate != nil, let index = rule.configDelegateIndex else { return false }
        return try withGuaranteed(payload.configRefs[index]) { (spec) throws(EvaluationAbort) -> Bool in
            if policy.isLegacy && spec.legacyDropped { return false }
            ctx.undelegated = ctx.secondary
            try prepareNested()
            if let trace = ctx.trace { trace.record(.delegate(experiment: rule.configDelegate!, depth: ctx.nested)) }
            try evaluateSpec(spec, kind: .experiment)
            // Legacy: an exception in the experiment propagates before the layer records the delegation.
            if ctx.failed { return true }
            ctx.setExplicitParameters(of: spec)
            ctx.delegateRef = Unmanaged.passUnretained(rule)
            if ctx.delegateOwned != nil { ctx.delegateOwned = nil }
            return true
        }
    }

    func passes(_ rule: CompiledRule) -> Bool {
        if rule.passPercentage == 100 { return true }
        if rule.passPercentage == 0 { return false }
        let bucket = user.unitHash(prefix: rule.hashPrefixBytes, rule.unitIDRef) % 10_000
        let passed = Double(bucket) < rule.passPercentage * 100.0
        if let trace = ctx.trace {
            trace.record(.passPercentage(ruleID: rule.id, unitID: user.unitIDString(rule.unitID), bucket: bucket, percentage: rule.passPercentage,
                                         passed: passed, depth: ctx.nested))
        }
        return passed
    }

    /// `useNewLayerEval` (core only): every rule evaluated, parameters merged from the first rule to set each.
    func evaluateNewLayer(_ spec: CompiledSpec) throws(EvaluationAbort) {
        var hasPassedRule = false
        var passed = false
        var ruleID = "default"
        var delegateName: String? = nil
        var value = JSONObject()
        var groupName: String? = nil
        var isExperimentGroup = false
        var explicitParameters: [String]? = nil
        var secondary: [SecondaryExposure] = []

        func merge(_ source: JSONValue?) {
            guard let o = source?.objectValue else { return }
            for (k, v) in o.members where value[k] == nil { value[k] = v }
        }

        for rule in spec.rules {
            try evaluateRule(rule)
            secondary.append(contentsOf: ctx.secondary)
            ctx.secondary.removeAll(keepingCapacity: true)
            if ctx.unsupported { return }
            if !ctx.bool { continue }
            if !passes(rule) { continue }
            if try evaluateConfigDelegate(rule) {
                if hasPassedRule { continue }
                guard let delegateValue = ctx.json else { continue }
                if let o = delegateValue.objectValue, o.keys.contains(where: { value[$0] != nil }) { continue }
                merge(delegateValue)
                secondary.append(contentsOf: ctx.secondary)
                ctx.secondary.removeAll(keepingCapacity: true)
                passed = ctx.bool
                delegateName = ctx.configDelegate
                groupName = ctx.groupName
                ruleID = rule.id
                isExperimentGroup = rule.isExperimentGroup ?? false
                explicitParameters = ctx.explicitParameters
            } else {
                passed = ctx.bool
                merge(rule.returnValue)
            }
            hasPassedRule = true
        }
        merge(spec.defaultValue)
        ctx.bool = passed
        ctx.configDelegate = delegateName
        ctx.groupName = groupName
        ctx.ruleID = ruleID
        ctx.json = .object(value)
        ctx.isExperimentGroup = isExperimentGroup
        ctx.isExperimentActive = spec.isActive ?? false
        ctx.explicitParameters = explicitParameters
        ctx.secondary = secondary
        // The core drains the list into `secondary` before copying it, so this stays empty.
        ctx.undelegated = []
        finalize(rule: nil)
    }
}
