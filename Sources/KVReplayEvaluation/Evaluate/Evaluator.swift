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
    /// What `current_time` reads.
    let nowValue: UserValue

    public init(payload: CompiledPayload, options: EvaluationOptions) {
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
        nowValue = UserValue.coreTimestamp(options.now)
    }

    public func prepare(_ user: StatsigUser) -> PreparedUser { PreparedUser(user) }

    /// Evaluates one entity. Entities the payload does not have are `unrecognized`.
    public func evaluate(_ ref: EntityRef, for user: PreparedUser, in ctx: EvaluationContext) -> Evaluation {
        ctx.reset()
        let spec = payload.spec(ref)
        let walk = Walk(evaluator: self, user: user, ctx: ctx)
        if let spec {
            walk.evaluateSpec(spec, kind: ref.kind)
            if let abort = ctx.abort { ctx.trace?.record(.error(abort, depth: ctx.nested)) }
        }
        return makeEvaluation(ref, spec: spec, ctx: ctx, errored: ctx.abort != nil)
    }

    /// Fast path for throughput: the boolean of a gate, with no result record.
    public func checkGate(_ name: String, for user: PreparedUser, in ctx: EvaluationContext) -> Bool {
        ctx.reset()
        guard let i = payload.gateIndex[name] else { return false }
        let walk = Walk(evaluator: self, user: user, ctx: ctx)
        walk.evaluateSpec(payload.gates[i], kind: .gate)
        return ctx.abort == nil && ctx.bool
    }

    func makeEvaluation(_ ref: EntityRef, spec: CompiledSpec?, ctx: EvaluationContext, errored: Bool) -> Evaluation {
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

/// One top-level evaluation in progress.
struct Walk {
    let evaluator: Evaluator
    let user: PreparedUser
    let ctx: EvaluationContext
    var payload: CompiledPayload { evaluator.payload }
    let policy: FlavorPolicy

    init(evaluator: Evaluator, user: PreparedUser, ctx: EvaluationContext) {
        self.evaluator = evaluator
        self.user = user
        self.ctx = ctx
        policy = evaluator.policy
        user.use(evaluator.payload)
    }

    static let maxDepth = 300

    func evaluateSpec(_ spec: CompiledSpec, kind: EntityKind) {
        ctx.trace?.record(.enterSpec(kind: kind, name: spec.name, depth: ctx.nested))
        if ctx.idType == nil { ctx.idType = spec.idType }
        if ctx.version == nil, let v = spec.version { ctx.version = v }
        if let a = spec.isActive { ctx.isExperimentActive = a }
        if let h = spec.hasSharedParams { ctx.isInLayer = h }
        if let e = spec.explicitParameters { ctx.explicitParameters = e }
        if kind == .layer && spec.useNewLayerEval {
            evaluateNewLayer(spec)
            return
        }
        if policy.skipsDisabledSpecs && !spec.enabled {
            ctx.trace?.record(.disabled(name: spec.name))
            ctx.bool = false
            ctx.json = spec.defaultValue
            ctx.ruleID = "disabled"
            finalize(rule: nil)
            return
        }
        for (i, rule) in spec.rules.enumerated() {
            ctx.trace?.record(.rule(index: i, id: rule.id, depth: ctx.nested))
            evaluateRule(rule)
            if ctx.unsupported || ctx.failed || ctx.abort != nil { return }
            if !ctx.bool { continue }
            if evaluateConfigDelegate(rule) {
                if ctx.abort != nil { return }
                finalize(rule: nil)
                return
            }
            let passed = passes(rule)
            ctx.trace?.record(.ruleMatched(id: rule.id, passed: passed, depth: ctx.nested))
            if passed {
                ctx.bool = policy.gateValue(rulePassed: true, rule: rule, spec: spec)
                ctx.json = rule.returnValue
            } else {
                ctx.bool = policy.gateValue(rulePassed: false, rule: rule, spec: spec)
                ctx.json = spec.defaultValue
            }
            ctx.ruleID = rule.id
            ctx.groupName = rule.groupName
            ctx.isExperimentGroup = rule.isExperimentGroup ?? false
            ctx.isExperimentActive = spec.isActive ?? false
            finalize(rule: rule)
            return
        }
        ctx.bool = spec.defaultBool
        ctx.json = spec.defaultValue
        ctx.ruleID = spec.enabled ? "default" : "disabled"
        ctx.trace?.record(.fellThrough(ruleID: ctx.ruleID!, depth: ctx.nested))
        finalize(rule: nil)
    }

    func finalize(rule: CompiledRule?) {
        ctx.samplingRate = rule?.samplingRate
        if ctx.nested > 0 {
            ctx.nested -= 1
            return
        }
        if ctx.secondary.isEmpty || ctx.undelegated != nil { return }
        ctx.undelegated = ctx.secondary
    }

    /// False when nesting is too deep: the evaluation is aborted (`ctx.abort`), as the core's StackOverflowError.
    func prepareNested() -> Bool {
        ctx.nested += 1
        ctx.bool = false
        ctx.json = nil
        if ctx.nested > Walk.maxDepth {
            ctx.abort = "gates nested more than \(Walk.maxDepth) deep"
            return false
        }
        return true
    }

    func evaluateRule(_ rule: CompiledRule) {
        var all = true
        let conditions = rule.conditions
        var i = 0
        let n = conditions.count
        while i < n {
            // The compiled payload outlives the walk: borrow the condition without retaining it.
            let condition = Unmanaged.passUnretained(conditions[i])
            condition._withUnsafeGuaranteedRef { evaluateCondition($0) }
            if ctx.unsupported || ctx.failed || ctx.abort != nil { return }
            if !ctx.bool { all = false }
            i += 1
        }
        ctx.bool = all
    }

    @inline(__always)
    func evaluateCondition(_ condition: CompiledCondition) {
        switch condition.tag {
        case .pass:
            ctx.bool = true
            if let trace = ctx.trace { recordCondition(trace, condition, value: nil, result: true) }
        case .unsupported:
            ctx.unsupported = true
            ctx.unsupportedReason = condition.unsupportedReason
            ctx.trace?.record(.unsupported(reason: condition.unsupportedReason, depth: ctx.nested))
        case .nestedGate:
            evaluateNestedGate(name: condition.name, index: condition.index, negate: condition.negate)
        case .compare:
            let value = readValue(condition)
            if ctx.unsupported { return }
            let result = policy.compare(value ?? UserValue.empty, condition.op, condition.target.unsafelyUnwrapped, walk: self)
            ctx.bool = result
            if let trace = ctx.trace { recordCondition(trace, condition, value: value, result: result) }
        }
    }

    private func recordCondition(_ trace: EvaluationTrace, _ condition: CompiledCondition, value: UserValue?, result: Bool) {
        let c = condition.source
        trace.record(.condition(type: c?.type ?? "", operator: c?.operator, field: c?.field, target: c?.targetValue ?? .null,
                                userValue: value.map { $0.json.isNull && $0.integer != nil ? .int($0.integer!) : $0.json },
                                userString: value?.string, result: result, depth: ctx.nested))
    }

    @inline(__always)
    func readValue(_ condition: CompiledCondition) -> UserValue? {
        switch condition.valueSource {
        case .userField:
            return user.value(of: condition.field)
        case .userAgent:
            if let v = user.value(of: condition.field) { return v }
            guard let field = condition.field else { return nil }
            return user.userAgentValue(field)
        case .ipCountry:
            if let v = user.value(of: condition.field) { return v }
            guard let field = condition.field, field.name == "country" else { return nil }
            return user.countryFromIP
        case .environment:
            guard let field = condition.field else { return nil }
            if let user = user.user.statsigEnvironment?[field.name] { return UserValue.core(user) }
            return evaluator.sdkEnvironment[field.name] ?? evaluator.sdkEnvironment[field.lowercased]
        case .currentTime:
            return evaluator.nowValue
        case .userBucket:
            let unit = user.unitIDString(condition.idType.unsafelyUnwrapped)
            let bucket = Hashing.evaluationHash(prefix: condition.saltPrefix, unit: unit) % 1000
            if let trace = ctx.trace {
                trace.record(.userBucket(salt: String(decoding: condition.saltPrefix.dropLast(), as: UTF8.self), unitID: unit, bucket: bucket, depth: ctx.nested))
            }
            return Walk.bucketValues[Int(bucket)]
        case .targetApp:
            return payload.appID
        case .unitID:
            return user.unitID(condition.idType.unsafelyUnwrapped)
        case .experimentGroup:
            guard let i = condition.index else { return nil }
            // A separate top-level evaluation, as the SDK calls get_experiment.
            let inner = EvaluationContext()
            let innerWalk = Walk(evaluator: evaluator, user: user, ctx: inner)
            innerWalk.evaluateSpec(payload.configs[i], kind: .experiment)
            return inner.groupName.map(UserValue.coreString)
        case .none:
            return nil
        }
    }

    static let bucketValues: [UserValue] = (0..<1000).map { UserValue.coreUnsigned(UInt64($0)) }

    func evaluateNestedGate(name: String, index: Int?, negate: Bool) {
        var memoized = false
        if let m = ctx.memo.first(where: { $0.index == index && $0.name.utf8.elementsEqual(name.utf8) }) {
            memoized = true
            ctx.bool = m.bool
            ctx.ruleID = m.ruleID
            if !m.exposures.isEmpty { ctx.secondary.append(contentsOf: m.exposures) }
        } else {
            guard prepareNested() else { return }
            ctx.trace?.record(.nestedGateStart(name: name, depth: ctx.nested))
            // The nested gate's exposures are appended after the outer ones, as the core's swap-and-extend does.
            let mark = ctx.secondary.count
            if let index {
                evaluateSpec(payload.gates[index], kind: .gate)
            } else {
                policy.missingNestedGate(walk: self)
            }
            if ctx.unsupported || ctx.failed || ctx.abort != nil {
                // The core returns before restoring the outer list: only the nested gate's exposures remain.
                if mark > 0 && mark <= ctx.secondary.count { ctx.secondary.removeFirst(mark) }
                return
            }
            if !name.isEmpty {
                let own = mark == ctx.secondary.count ? [] : Array(ctx.secondary[mark...])
                ctx.memo.append((name: name, index: index, bool: ctx.bool, ruleID: ctx.ruleID, exposures: own))
            }
        }
        policy.appendNestedExposure(name: name, found: index != nil, walk: self)
        ctx.trace?.record(.nestedGate(name: name, negate: negate, result: ctx.bool, ruleID: ctx.ruleID, memoized: memoized, depth: ctx.nested))
        if negate { ctx.bool.toggle() }
    }

    func evaluateConfigDelegate(_ rule: CompiledRule) -> Bool {
        guard let delegate = rule.configDelegate, let index = rule.configDelegateIndex else { return false }
        ctx.undelegated = ctx.secondary
        guard prepareNested() else { return true }
        ctx.trace?.record(.delegate(experiment: delegate, depth: ctx.nested))
        let spec = payload.configs[index]
        evaluateSpec(spec, kind: .experiment)
        ctx.explicitParameters = spec.explicitParameters
        ctx.configDelegate = delegate
        return true
    }

    func passes(_ rule: CompiledRule) -> Bool {
        if rule.passPercentage == 100 { return true }
        if rule.passPercentage == 0 { return false }
        let unit = user.unitIDString(rule.unitID)
        let bucket = Hashing.evaluationHash(prefix: rule.hashPrefix, unit: unit) % 10_000
        let passed = Double(bucket) < rule.passPercentage * 100.0
        ctx.trace?.record(.passPercentage(ruleID: rule.id, unitID: unit, bucket: bucket, percentage: rule.passPercentage, passed: passed, depth: ctx.nested))
        return passed
    }

    /// `useNewLayerEval` (core only): every rule evaluated, parameters merged from the first rule to set each.
    func evaluateNewLayer(_ spec: CompiledSpec) {
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
            evaluateRule(rule)
            secondary.append(contentsOf: ctx.secondary)
            ctx.secondary.removeAll(keepingCapacity: true)
            if ctx.unsupported { return }
            if !ctx.bool { continue }
            if !passes(rule) { continue }
            if evaluateConfigDelegate(rule) {
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
