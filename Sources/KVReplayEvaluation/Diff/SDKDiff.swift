public import KVReplayModel

/// The SDK migration audit (`kvreplay sdk-diff`): a population evaluated under two flavours on one compiled payload
/// (`from`, the SDK a team runs, and `to`, the one it moves to; by default statsig-node → the server core), and, per
/// entity, the users whose value, rule ID or group name differ, with the cause of each difference.
///
/// The cause of a difference is found by evaluating that user and entity again under both flavours with a trace and
/// comparing the traces: the first condition (in the `to` flavour's evaluation order; conditions are matched by spec,
/// rule and position) whose verdict differs, or a condition on which the legacy SDK raised; failing that, the steps
/// only one flavour takes (a disabled spec the legacy SDK skips, an unsupported condition, a dropped spec, a rejected
/// user, the core's `useNewLayerEval`) or the gate boolean (the core's `returnValue != false` / `defaultValue == true`
/// against the legacy SDKs' pass/fail).
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
        /// The entity's unit ID for this user (its `idType`, as the server core reads it; "" when the user has none).
        public var unitID: String
        public var cause: String
        /// The `from` flavour's answer, then the `to` flavour's.
        public var from: Outcome
        public var to: Outcome
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
        public var from: SDKFlavor
        public var to: SDKFlavor
        public var entities: [EntityReport]
        public var users: Int
        /// Users one of the two SDKs rejects (the legacy SDKs: neither `userID` nor `customIDs`).
        public var rejected: Int
        public var now: Int64

        public var recordsCompared: Int { entities.reduce(0) { $0 + $1.users } }
        public var recordsDiffering: Int { entities.reduce(0) { $0 + $1.differing } }
        public var entitiesDiffering: Int { entities.filter { $0.differing > 0 }.count }
    }

    public static func rejectedCause(_ flavor: SDKFlavor) -> String {
        "user rejected by \(flavor.sdkName) (neither userID nor customIDs)"
    }

    /// Evaluates `users` under both flavours (same options otherwise) and compares every entity.
    public static func run(payload: CompiledPayload, users: [StatsigUser], indices: [Int]? = nil, options: EvaluationOptions,
                           from: SDKFlavor = .node, to: SDKFlavor = .core, threads: Int = Parallel.availableCores, maxExamples: Int = 5) -> Report
    {
        var fromOptions = options
        fromOptions.flavor = from
        var toOptions = options
        toOptions.flavor = to
        let a = Evaluator(payload: payload, options: fromOptions)
        let b = Evaluator(payload: payload, options: toOptions)
        let core = Evaluator(payload: payload, options: EvaluationOptions(flavor: .core, now: options.now))
        let entities = payload.entities
        let indices = indices ?? Array(users.indices)
        let chunk = max(1, min(64, users.count / max(1, threads * 4)))
        let parts = Parallel.mapChunks(count: users.count, chunkSize: chunk, threads: threads) { range in
            compare(from: a, to: b, core: core, entities: entities, users: users, indices: indices, range: range, maxExamples: maxExamples)
        }
        var reports = entities.map { e in EntityReport(entity: e, idType: payload.spec(e)?.idType ?? "") }
        var rejected = 0
        for p in parts {
            for i in reports.indices { reports[i].merge(p.reports[i], maxExamples: maxExamples) }
            rejected += p.rejected
        }
        return Report(from: from, to: to, entities: reports, users: users.count, rejected: rejected, now: options.now)
    }

    struct Part: Sendable {
        var reports: [EntityReport]
        var rejected: Int
    }

    /// Whether the flavour's SDK refuses this prepared user (every entity is an error there).
    static func rejects(_ u: PreparedUser) -> Bool {
        if let l = u.legacy { return !l.valid }
        if let n = u.node { return !n.identifiable }
        return false
    }

    static func compare(from: Evaluator, to: Evaluator, core: Evaluator, entities: [EntityRef], users: [StatsigUser], indices: [Int],
                        range: Range<Int>, maxExamples: Int) -> Part
    {
        var reports = entities.map { e in EntityReport(entity: e, idType: from.payload.spec(e)?.idType ?? "") }
        var rejected = 0
        let fromCtx = EvaluationContext()
        let toCtx = EvaluationContext()
        for i in range {
            let fu = from.prepare(users[i])
            let tu = to.prepare(users[i])
            let rejectedBy: SDKFlavor? = rejects(fu) ? from.options.flavor : rejects(tu) ? to.options.flavor : nil
            if rejectedBy != nil { rejected += 1 }
            var unitUser: PreparedUser? = nil
            for (k, ref) in entities.enumerated() {
                let a = from.evaluate(ref, for: fu, in: fromCtx)
                let b = to.evaluate(ref, for: tu, in: toCtx)
                reports[k].users += 1
                let value = a.value != b.value
                let rule = a.ruleID != b.ruleID
                let group = a.groupName != b.groupName
                guard value || rule || group else { continue }
                reports[k].differing += 1
                if value { reports[k].valueDiffers += 1 }
                if rule { reports[k].ruleDiffers += 1 }
                if group { reports[k].groupDiffers += 1 }
                let cause = rejectedBy.map(rejectedCause) ?? Self.cause(ref, from: from, fromUser: fu, to: to, toUser: tu, a, b)
                reports[k].causes[cause, default: 0] += 1
                if reports[k].examples.count < maxExamples {
                    let spec = core.payload.spec(ref)
                    if unitUser == nil { unitUser = core.prepare(users[i]) }
                    let unit = spec.map { unitUser!.unitIDString(IDType($0.idType)) } ?? ""
                    reports[k].examples.append(Example(
                        u: indices[i], unitID: unit, cause: cause,
                        from: Outcome(value: a.value, ruleID: a.ruleID, groupName: a.groupName, reason: a.reason),
                        to: Outcome(value: b.value, ruleID: b.ruleID, groupName: b.groupName, reason: b.reason)))
                }
            }
        }
        return Part(reports: reports, rejected: rejected)
    }

    // MARK: causes

    /// What one flavour's trace says, reduced to what cause-finding needs. Conditions are identified by position
    /// (spec, rule, index in the rule), so that traces of different flavours can be compared.
    struct TraceSummary {
        /// First verdict of each condition, in the order first evaluated.
        var order: [String] = []
        var verdicts: [String: (label: String, result: Bool)] = [:]
        /// The first condition that raised (legacy).
        var raised: (id: String, label: String, reason: String)?
        var raisedOther: String?
        var disabled: [String] = []
        var unsupported: String?
        var lastRule: String?

        init(_ steps: [EvaluationTrace.Step]) {
            var spec: [Int: String] = [:], rule: [Int: String] = [:], ordinal: [Int: Int] = [:]
            func position(_ depth: Int) -> String {
                let n = ordinal[depth, default: 0]
                ordinal[depth] = n + 1
                return "\(spec[depth] ?? "?")\u{0}\(rule[depth] ?? "?")\u{0}\(n)"
            }
            for s in steps {
                switch s {
                case .enterSpec(_, let name, let depth):
                    spec[depth] = name
                    rule[depth] = nil
                    ordinal[depth] = 0
                case .rule(_, let id, let depth):
                    rule[depth] = id
                    ordinal[depth] = 0
                case .condition(_, let type, let op, let field, _, _, _, let result, let depth):
                    let id = position(depth)
                    if verdicts[id] == nil {
                        order.append(id)
                        verdicts[id] = (SDKDiff.label(type, op, field), result)
                    }
                case .conditionRaised(_, let type, let op, let field, let reason, let depth):
                    let id = position(depth)
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

    static func cause(_ ref: EntityRef, from: Evaluator, fromUser: PreparedUser, to: Evaluator, toUser: PreparedUser,
                      _ a: Evaluation, _ b: Evaluation) -> String
    {
        let fromName = from.options.flavor.rawValue, toName = to.options.flavor.rawValue
        for (e, f) in [(a, from.options.flavor), (b, to.options.flavor)] where e.reason == .unsupported && f == .legacy {
            return "spec dropped by the legacy SDK at load (a condition type or operator it does not support)"
        }
        if a.reason == .unrecognized || b.reason == .unrecognized { return "entity unknown to one SDK" }
        let ft = EvaluationTrace(), tt = EvaluationTrace()
        let fc = EvaluationContext(), tc = EvaluationContext()
        fc.trace = ft
        tc.trace = tt
        _ = from.evaluate(ref, for: fromUser, in: fc)
        _ = to.evaluate(ref, for: toUser, in: tc)
        let f = TraceSummary(ft.steps), t = TraceSummary(tt.steps)

        // The first condition, in the `to` flavour's evaluation order, that the other judged otherwise or raised on.
        for id in t.order {
            if let r = f.raised, r.id == id { return "condition raised in \(fromName) (rule `error`): \(r.label)" }
            if let v = f.verdicts[id], v.result != t.verdicts[id]!.result { return "condition \(v.label)" }
        }
        for id in f.order {
            if let r = t.raised, r.id == id { return "condition raised in \(toName) (rule `error`): \(r.label)" }
        }
        if let r = f.raised { return "condition raised in \(fromName) (rule `error`): \(r.label)" }
        if let r = t.raised { return "condition raised in \(toName) (rule `error`): \(r.label)" }
        if let d = f.disabled.first, !t.disabled.contains(d) { return "disabled spec: \(fromName) skips its rules (\(d))" }
        if let d = t.disabled.first, !f.disabled.contains(d) { return "disabled spec: \(toName) skips its rules (\(d))" }
        if let u = t.unsupported { return "unsupported in \(toName): \(u)" }
        if let u = f.unsupported { return "unsupported in \(fromName): \(u)" }
        if a.reason == .unsupported { return "unsupported in \(fromName) (an unknown condition type or operator reached)" }
        if b.reason == .unsupported { return "unsupported in \(toName) (an unknown condition type or operator reached)" }
        if let e = f.raisedOther { return "\(fromName) raised: \(e)" }
        if let e = t.raisedOther { return "\(toName) raised: \(e)" }
        if ref.kind == .layer, from.payload.spec(ref)?.useNewLayerEval == true, (from.options.flavor == .core) != (to.options.flavor == .core) {
            return "useNewLayerEval (core only)"
        }
        if ref.kind == .gate && f.lastRule == t.lastRule && (from.options.flavor == .core) != (to.options.flavor == .core) {
            return "gate boolean: core returnValue/defaultValue, legacy SDKs pass/fail"
        }
        if a.secondaryExposures != b.secondaryExposures && a.ruleID != b.ruleID { return "nested gate evaluation (rule IDs of nested gates)" }
        for id in f.order where t.verdicts[id] == nil { return "condition only \(fromName) evaluates: \(f.verdicts[id]!.label)" }
        for id in t.order where f.verdicts[id] == nil { return "condition only \(toName) evaluates: \(t.verdicts[id]!.label)" }
        return "other"
    }
}

extension SDKFlavor {
    /// The SDK and version the flavour reproduces.
    public var sdkName: String {
        switch self {
        case .core: "statsig-server-core 0.24.2"
        case .legacy: "statsig 0.72.1 (Python)"
        case .node: "statsig-node 6.5.1"
        }
    }
}
