public import KVReplayModel

/// The SDK migration audit (`kvreplay sdk-diff`): a population evaluated under both flavours on one compiled payload,
/// and, per entity, the users whose value, rule ID or group name differ, with the cause of each difference.
///
/// The cause of a difference is found by evaluating that user and entity again under both flavours with a trace and
/// comparing the traces: the first condition (in evaluation order) whose verdict differs, or a condition on which the
/// legacy SDK raised; failing that, the steps only one flavour takes (a disabled spec the legacy SDK skips, an
/// unsupported condition, a dropped spec, a rejected user, the core's `useNewLayerEval`) or the core's gate boolean
/// (`returnValue != false`, `defaultValue == true`) against the legacy pass/fail.
///
/// Deterministic: users are split into chunks evaluated in parallel and merged in user order.
public enum SDKDiff {
    /// One side of an example.
    public struct Outcome: Sendable, Equatable {
        public var value: JSONValue
        public var ruleID: String
        public var groupName: String?
        public var reason: EvaluationReason
    }

    public struct Example: Sendable, Equatable {
        /// Index of the user among the users file's non-blank lines.
        public var u: Int
        /// The entity's unit ID for this user (its `idType`, as the core reads it; "" when the user has none).
        public var unitID: String
        public var cause: String
        public var core: Outcome
        public var legacy: Outcome
    }

    public struct EntityReport: Sendable, Equatable {
        public var entity: EntityRef
        public var idType: String
        public var users = 0
        /// Users whose value, rule ID or group name differ.
        public var differing = 0
        public var valueDiffers = 0
        public var ruleDiffers = 0
        public var groupDiffers = 0
        /// Differing users per cause.
        public var causes: [String: Int] = [:]
        public var examples: [Example] = []

        /// Causes by user count (descending), then name.
        public var sortedCauses: [(cause: String, users: Int)] {
            causes.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : JSONWriter.codePointLess($0.0, $1.0) }
        }

        mutating func merge(_ o: EntityReport, maxExamples: Int) {
            users += o.users
            differing += o.differing
            valueDiffers += o.valueDiffers
            ruleDiffers += o.ruleDiffers
            groupDiffers += o.groupDiffers
            for (c, n) in o.causes { causes[c, default: 0] += n }
            for e in o.examples where examples.count < maxExamples { examples.append(e) }
        }
    }

    public struct Report: Sendable {
        public var entities: [EntityReport]
        public var users: Int
        /// Users the legacy SDK rejects (neither `userID` nor `customIDs`).
        public var rejectedByLegacy: Int
        public var now: Int64

        public var recordsCompared: Int { entities.reduce(0) { $0 + $1.users } }
        public var recordsDiffering: Int { entities.reduce(0) { $0 + $1.differing } }
        public var entitiesDiffering: Int { entities.filter { $0.differing > 0 }.count }
    }

    public static let rejectedCause = "user rejected by the legacy SDK (neither userID nor customIDs)"

    /// Evaluates `users` under both flavours (same options otherwise) and compares every entity.
    public static func run(payload: CompiledPayload, users: [StatsigUser], indices: [Int]? = nil, options: EvaluationOptions,
                           threads: Int = Parallel.availableCores, maxExamples: Int = 5) -> Report
    {
        var coreOptions = options
        coreOptions.flavor = .core
        var legacyOptions = options
        legacyOptions.flavor = .legacy
        let core = Evaluator(payload: payload, options: coreOptions)
        let legacy = Evaluator(payload: payload, options: legacyOptions)
        let entities = payload.entities
        let indices = indices ?? Array(users.indices)
        let chunk = max(1, min(64, users.count / max(1, threads * 4)))
        let parts = Parallel.mapChunks(count: users.count, chunkSize: chunk, threads: threads) { range in
            compare(core: core, legacy: legacy, entities: entities, users: users, indices: indices, range: range, maxExamples: maxExamples)
        }
        var reports = entities.map { e in EntityReport(entity: e, idType: payload.spec(e)?.idType ?? "") }
        var rejected = 0
        for p in parts {
            for i in reports.indices { reports[i].merge(p.reports[i], maxExamples: maxExamples) }
            rejected += p.rejected
        }
        return Report(entities: reports, users: users.count, rejectedByLegacy: rejected, now: options.now)
    }

    struct Part: Sendable {
        var reports: [EntityReport]
        var rejected: Int
    }

    static func compare(core: Evaluator, legacy: Evaluator, entities: [EntityRef], users: [StatsigUser], indices: [Int],
                        range: Range<Int>, maxExamples: Int) -> Part
    {
        var reports = entities.map { e in EntityReport(entity: e, idType: core.payload.spec(e)?.idType ?? "") }
        var rejected = 0
        let coreCtx = EvaluationContext()
        let legacyCtx = EvaluationContext()
        for i in range {
            let cu = core.prepare(users[i])
            let lu = legacy.prepare(users[i])
            let isRejected = !(lu.legacy?.valid ?? true)
            if isRejected { rejected += 1 }
            for (k, ref) in entities.enumerated() {
                let a = core.evaluate(ref, for: cu, in: coreCtx)
                let b = legacy.evaluate(ref, for: lu, in: legacyCtx)
                reports[k].users += 1
                let value = a.value != b.value
                let rule = a.ruleID != b.ruleID
                let group = a.groupName != b.groupName
                guard value || rule || group else { continue }
                reports[k].differing += 1
                if value { reports[k].valueDiffers += 1 }
                if rule { reports[k].ruleDiffers += 1 }
                if group { reports[k].groupDiffers += 1 }
                let cause = isRejected ? rejectedCause : Self.cause(ref, core: core, coreUser: cu, legacy: legacy, legacyUser: lu, a, b)
                reports[k].causes[cause, default: 0] += 1
                if reports[k].examples.count < maxExamples {
                    let spec = core.payload.spec(ref)
                    let unit = spec.map { cu.unitIDString(IDType($0.idType)) } ?? ""
                    reports[k].examples.append(Example(
                        u: indices[i], unitID: unit, cause: cause,
                        core: Outcome(value: a.value, ruleID: a.ruleID, groupName: a.groupName, reason: a.reason),
                        legacy: Outcome(value: b.value, ruleID: b.ruleID, groupName: b.groupName, reason: b.reason)))
                }
            }
        }
        return Part(reports: reports, rejected: rejected)
    }

    // MARK: causes

    /// What one flavour's trace says, reduced to what cause-finding needs.
    struct TraceSummary {
        /// First verdict of each condition, in the order first evaluated.
        var order: [ObjectIdentifier] = []
        var verdicts: [ObjectIdentifier: (label: String, result: Bool)] = [:]
        /// The first condition that raised (legacy).
        var raised: (id: ObjectIdentifier, label: String, reason: String)?
        var raisedOther: String?
        var disabled: [String] = []
        var unsupported: String?
        var lastRule: String?

        init(_ steps: [EvaluationTrace.Step]) {
            for s in steps {
                switch s {
                case .condition(let id, let type, let op, let field, _, _, _, let result, _):
                    if verdicts[id] == nil {
                        order.append(id)
                        verdicts[id] = (SDKDiff.label(type, op, field), result)
                    }
                case .conditionRaised(let id, let type, let op, let field, let reason, _):
                    if raised == nil { raised = (id, SDKDiff.label(type, op, field), reason) }
                case .error(let text, _):
                    if raisedOther == nil { raisedOther = text }
                case .disabled(let name):
                    disabled.append(name)
                case .unsupported(let reason, _):
                    if unsupported == nil { unsupported = reason }
                case .ruleMatched(let id, let passed, let depth) where depth == 0:
                    lastRule = "\(id):\(passed)"
                case .fellThrough(let id, let depth) where depth == 0:
                    lastRule = id
                default:
                    break
                }
            }
        }
    }

    /// `type/operator (field)`.
    static func label(_ type: String, _ op: String?, _ field: String?) -> String {
        var s = type
        if let op { s += "/" + op }
        if let field, !field.isEmpty { s += " (" + field + ")" }
        return s
    }

    static func cause(_ ref: EntityRef, core: Evaluator, coreUser: PreparedUser, legacy: Evaluator, legacyUser: PreparedUser,
                      _ a: Evaluation, _ b: Evaluation) -> String
    {
        if b.reason == .unsupported {
            return "spec dropped by the legacy SDK at load (a condition type or operator it does not support)"
        }
        if a.reason == .unrecognized || b.reason == .unrecognized { return "entity unknown to one SDK" }
        let ct = EvaluationTrace(), lt = EvaluationTrace()
        let cc = EvaluationContext(), lc = EvaluationContext()
        cc.trace = ct
        lc.trace = lt
        _ = core.evaluate(ref, for: coreUser, in: cc)
        _ = legacy.evaluate(ref, for: legacyUser, in: lc)
        let c = TraceSummary(ct.steps), l = TraceSummary(lt.steps)

        // The first condition, in the core's evaluation order, that the legacy SDK judged otherwise or raised on.
        for id in c.order {
            if let r = l.raised, r.id == id { return "condition raised in legacy (rule `error`): \(r.label)" }
            if let v = l.verdicts[id], v.result != c.verdicts[id]!.result { return "condition \(v.label)" }
        }
        if let r = l.raised { return "condition raised in legacy (rule `error`): \(r.label)" }
        if let d = l.disabled.first, !c.disabled.contains(d) { return "disabled spec: legacy skips its rules (\(d))" }
        if let u = c.unsupported { return "unsupported in core: \(u)" }
        if let e = l.raisedOther { return "legacy raised: \(e)" }
        if core.payload.spec(ref)?.useNewLayerEval == true && ref.kind == .layer { return "useNewLayerEval (core only)" }
        if ref.kind == .gate && c.lastRule == l.lastRule { return "gate boolean: core returnValue/defaultValue, legacy pass/fail" }
        for id in l.order where c.verdicts[id] == nil { return "condition only legacy evaluates: \(l.verdicts[id]!.label)" }
        return "other"
    }
}
