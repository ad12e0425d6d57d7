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
    }

    /// Converts a user once for this evaluator's flavour.
    public func prepare(_ user: StatsigUser) -> PreparedUser {
        if policy.isLegacy {
            return PreparedUser(legacy: user, sdkEnvironment: legacyEnvironment, defaultEnvironment: payload.specs.defaultEnvironment,
                                fieldCount: payload.legacyFieldCount, idTypeCount: payload.legacyIDTypeCount)
        }
        return PreparedUser(user)
    }

    static let unpreparedUser = "a legacy evaluation needs a user prepared by this evaluator (Evaluator.prepare)"

    /// Evaluates one entity. Entities the payload does not have are `unrecognized`. `user` comes from `prepare`
    /// of an evaluator of the same flavour and payload.
    public func evaluate(_ ref: EntityRef, for user: PreparedUser, in ctx: EvaluationContext) -> Evaluation {
        ctx.reset()
        let spec = payload.spec(ref)
        if policy.isLegacy {
            guard let legacyUser = user.legacy else { preconditionFailure(Self.unpreparedUser) }
            guard legacyUser.valid else { return FlavorPolicy.legacyRejectedUser(ref) }
            if spec == nil || spec!.legacyDropped {
                return FlavorPolicy.legacyMissing(ref, unsupported: payload.legacyUnsupportedNames.contains(ref.name))
            }
        }
        let walk = Walk(evaluator: self, user: user, ctx: ctx)
        var errored = false
        if let spec {
            do {
                try walk.evaluateSpec(spec, kind: ref.kind)
            } catch {
                errored = true
                ctx.trace?.record(.error("\(error)", depth: ctx.nested))
            }
        }
        return makeEvaluation(ref, spec: spec, ctx: ctx, errored: errored)
    }

    /// Fast path for throughput: the boolean of a gate, with no result record.
    public func checkGate(_ name: String, for user: PreparedUser, in ctx: EvaluationContext) -> Bool {
        ctx.reset()
        guard let i = payload.gateIndex[name] else { return false }
        if policy.isLegacy {
            guard let legacyUser = user.legacy else { preconditionFailure(Self.unpreparedUser) }
            if !legacyUser.valid || payload.gates[i].legacyDropped { return false }
            ctx.collectsExposures = false
        }
        let walk = Walk(evaluator: self, user: user, ctx: ctx)
        do { try walk.evaluateSpec(payload.gates[i], kind: .gate) } catch { return false }
        return ctx.bool
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

    init(evaluator: Evaluator, user: PreparedUser, ctx: EvaluationContext) {
        self.evaluator = evaluator
        self.user = user
        self.ctx = ctx
        policy = evaluator.policy
    }

    static let maxDepth = 300

    func evaluateSpec(_ spec: CompiledSpec, kind: EntityKind) throws(EvaluationAbort) {
        ctx.trace?.record(.enterSpec(kind: kind, name: spec.name, depth: ctx.nested))
        let legacy = policy.isLegacy
        if ctx.idType == nil && !legacy { ctx.idType = spec.idType }
        if ctx.version == nil, let v = spec.version { ctx.version = v }
        if let a = spec.isActive { ctx.isExperimentActive = a }
        if let h = spec.hasSharedParams { ctx.isInLayer = h }
        if let e = spec.explicitParameters { ctx.explicitParameters = e }
        if kind == .layer && spec.useNewLayerEval && policy.usesNewLayerEval {
            try evaluateNewLayer(spec)
            return
        }
        if policy.skipsDisabledSpecs && !spec.enabled {
            ctx.trace?.record(.disabled(name: spec.name))
            ctx.bool = false
            ctx.json = spec.defaultValue
            ctx.ruleID = "disabled"
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
            let rule = spec.rules[matched]
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
                ctx.json = rule.returnValue
            } else {
                ctx.bool = policy.gateValue(rulePassed: false, rule: rule, spec: spec)
                ctx.json = spec.defaultValue
            }
            ctx.ruleID = rule.id
            ctx.groupName = rule.groupName
            ctx.isExperimentGroup = rule.isExperimentGroup ?? false
            ctx.isExperimentActive = spec.isActive ?? false
            if legacy { ctx.idType = spec.idType }
            finalize(rule: rule)
            return
        }
        ctx.bool = policy.fallThroughValue(spec: spec)
        ctx.json = spec.defaultValue
        ctx.ruleID = spec.enabled ? "default" : "disabled"
        if legacy { legacyFinishedWithoutRule(spec) }
        ctx.trace?.record(.fellThrough(ruleID: ctx.ruleID!, depth: ctx.nested))
        finalize(rule: nil)
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
            ctx.json = nil
        }
        if ctx.nested + ctx.depthOffset > Walk.maxDepth { throw EvaluationAbort(description: "gates nested more than \(Walk.maxDepth) deep") }
    }

    func evaluateRule(_ rule: CompiledRule) throws(EvaluationAbort) {
        if policy.isLegacy {
            try evaluateLegacyRule(rule)
            return
        }
        var all = true
        for condition in rule.conditions {
            try evaluateCondition(condition)
            if ctx.unsupported || ctx.failed { return }
            if !ctx.bool { all = false }
        }
        ctx.bool = all
    }

    func evaluateCondition(_ condition: CompiledCondition) throws(EvaluationAbort) {
        switch condition.kind {
        case .pass:
            ctx.bool = true
            ctx.trace.map { recordCondition($0, condition, value: nil, result: true) }
        case .unsupported(let reason):
            ctx.unsupported = true
            ctx.unsupportedReason = reason
            ctx.trace?.record(.unsupported(reason: reason, depth: ctx.nested))
        case .nestedGate(let name, let index, let negate):
            try evaluateNestedGate(name: name, index: index, negate: negate)
        case .compare(let source, let op, let target):
            let value = try readValue(source)
            if ctx.unsupported { return }
            let result = policy.compare(value ?? .empty, op, target, walk: self)
            ctx.bool = result
            ctx.trace.map { recordCondition($0, condition, value: value, result: result) }
        }
    }

    private func recordCondition(_ trace: EvaluationTrace, _ condition: CompiledCondition, value: UserValue?, result: Bool) {
        let c = condition.source
        trace.record(.condition(id: ObjectIdentifier(condition), type: c?.type ?? "", operator: c?.operator, field: c?.field, target: c?.targetValue ?? .null,
                                userValue: value.map { $0.json.isNull && $0.integer != nil ? .int($0.integer!) : $0.json },
                                userString: value?.string, result: result, depth: ctx.nested))
    }

    func readValue(_ source: ValueSource) throws(EvaluationAbort) -> UserValue? {
        switch source {
        case .userField(let field):
            return user.value(of: field)
        case .userAgent(let field):
            if let v = user.value(of: field) { return v }
            guard let field else { return nil }
            return user.userAgent?.value(forField: field.lowercased).map(UserValue.coreString)
        case .ipCountry(let field):
            if let v = user.value(of: field) { return v }
            guard let field, field.name == "country" else { return nil }
            return user.countryFromIP
        case .environment(let field):
            guard let field else { return nil }
            if let user = user.user.statsigEnvironment?[field.name] { return UserValue.core(user) }
            return evaluator.sdkEnvironment[field.name] ?? evaluator.sdkEnvironment[field.lowercased]
        case .currentTime:
            return UserValue.coreTimestamp(evaluator.options.now)
        case .userBucket(let saltPrefix, let idType):
            let unit = user.unitIDString(idType)
            let bucket = Hashing.evaluationHash(prefix: saltPrefix, unit: unit) % 1000
            ctx.trace?.record(.userBucket(salt: String(decoding: saltPrefix.dropLast(), as: UTF8.self), unitID: unit, bucket: bucket, depth: ctx.nested))
            return Walk.bucketValues[Int(bucket)]
        case .targetApp:
            return payload.appID
        case .unitID(let idType):
            return user.unitID(idType)
        case .experimentGroup(let name):
            guard let name, let i = payload.configIndex[name] else { return nil }
            // A separate top-level evaluation, as the SDK calls get_experiment.
            let inner = EvaluationContext()
            let innerWalk = Walk(evaluator: evaluator, user: user, ctx: inner)
            try innerWalk.evaluateSpec(payload.configs[i], kind: .experiment)
            return inner.groupName.map(UserValue.coreString)
        }
    }

    static let bucketValues: [UserValue] = (0..<1000).map { UserValue.coreUnsigned(UInt64($0)) }

    func evaluateNestedGate(name: String, index: Int?, negate: Bool) throws(EvaluationAbort) {
        var memoized = false
        if let m = ctx.memo.first(where: { $0.index == index && $0.name.utf8.elementsEqual(name.utf8) }) {
            memoized = true
            ctx.bool = m.bool
            ctx.ruleID = m.ruleID
            if !m.exposures.isEmpty { ctx.secondary.append(contentsOf: m.exposures) }
        } else {
            let (outerBool, outerJSON) = (ctx.bool, ctx.json)
            try prepareNested()
            ctx.trace?.record(.nestedGateStart(name: name, depth: ctx.nested))
            // The nested gate's exposures are appended after the outer ones, as the core's swap-and-extend does.
            let mark = ctx.secondary.count
            if let index {
                try evaluateSpec(payload.gates[index], kind: .gate)
            } else {
                policy.missingNestedGate(walk: self)
                // An unrecognized gate is not finalized: the nesting level is given back here.
                ctx.nested -= 1
            }
            if ctx.unsupported || ctx.failed {
                // Observed with 0.24.2 (gen_legacy_edges_v1 `lx_dropped_nested`): the result keeps the outer
                // exposures and the boolean it had before the nested gate.
                ctx.bool = outerBool
                ctx.json = outerJSON
                if mark <= ctx.secondary.count { ctx.secondary.removeSubrange(mark...) }
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

    func evaluateConfigDelegate(_ rule: CompiledRule) throws(EvaluationAbort) -> Bool {
        guard let delegate = rule.configDelegate, let index = rule.configDelegateIndex else { return false }
        if policy.isLegacy && payload.configs[index].legacyDropped { return false }
        ctx.undelegated = ctx.secondary
        try prepareNested()
        ctx.trace?.record(.delegate(experiment: delegate, depth: ctx.nested))
        let spec = payload.configs[index]
        try evaluateSpec(spec, kind: .experiment)
        // Legacy: an exception in the experiment propagates before the layer records the delegation.
        if ctx.failed { return true }
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
