public import KVReplayModel

/// A step-by-step account of one evaluation, recorded by the evaluator itself while it evaluates (the same walk
/// as `evaluate`, with a recorder attached), so an explanation can never disagree with an evaluation.
public struct Explanation: Sendable {
    public let evaluation: Evaluation
    public let steps: [EvaluationTrace.Step]
}


extension Evaluator {
    public func explain(_ ref: EntityRef, for user: PreparedUser) -> Explanation {
        let ctx = EvaluationContext()
        let trace = EvaluationTrace()
        ctx.trace = trace
        let e = evaluate(ref, for: user, in: ctx)
        return Explanation(evaluation: e, steps: trace.steps)
    }
}

extension Explanation {
    /// Readable text: one line per step, indented by nesting depth.
    public func text() -> String {
        var lines: [String] = []
        let w = JSONWriter(style: .python)
        func pad(_ depth: Int) -> String { String(repeating: "  ", count: depth) }
        for step in steps {
            switch step {
            case .enterSpec(let kind, let name, let depth):
                lines.append(pad(depth) + "\(kind.rawValue) \(name)")
            case .disabled(let name):
                lines.append("  \(name) is disabled: its rules are not evaluated")
            case .rule(let index, let id, let depth):
                lines.append(pad(depth) + "  rule \(index + 1) \(id)")
            case .conditionRaised(_, let type, let op, let field, let reason, let depth):
                lines.append(pad(depth) + "    - \(type)\(field.map { " \($0)" } ?? "")\(op.map { " \($0)" } ?? ""): raised (\(reason)); the SDK aborts the spec with rule ID error")
            case .condition(_, let type, let op, let field, let target, let userValue, let userString, let result, let depth):
                var text = "\(type)"
                if let field { text += " \(field)" }
                if let op { text += " \(op)" }
                if !target.isNull { text += " \(w.string(target))" }
                let read = userValue.map { $0.isNull ? (userString.map { "\"\($0)\"" } ?? "(no value)") : w.string($0) } ?? "(no value)"
                lines.append(pad(depth) + "    - \(text): user value \(read) -> \(result ? "pass" : "fail")")
            case .unsupported(let reason, let depth):
                lines.append(pad(depth) + "    - unsupported: \(reason); evaluation stops")
            case .nestedGateStart(let name, let depth):
                lines.append(pad(depth) + "    - nested gate \(name):")
            case .nestedGate(let name, let negate, let result, let ruleID, let memoized, let depth):
                let verdict = negate ? "fail_gate \(name): gate is \(result), condition \(!result ? "passes" : "fails")"
                    : "pass_gate \(name): gate is \(result), condition \(result ? "passes" : "fails")"
                lines.append(pad(depth) + "    - \(verdict) (rule \(ruleID.map { "\"\($0)\"" } ?? "none")\(memoized ? ", evaluated earlier" : ""))")
            case .userBucket(let salt, let unitID, let bucket, let depth):
                lines.append(pad(depth) + "      user bucket: sha256(\"\(salt).\(unitID)\") % 1000 = \(bucket)")
            case .passPercentage(let ruleID, let unitID, let bucket, let percentage, let passed, let depth):
                lines.append(pad(depth) + "    pass percentage \(NumberFormatting.rustDisplay(percentage))% for rule \(ruleID): bucket \(bucket) of 10000 (unit \"\(unitID)\") -> \(passed ? "passes" : "fails")")
            case .delegate(let experiment, let depth):
                lines.append(pad(depth) + "    delegates to experiment \(experiment)")
            case .ruleMatched(let id, let passed, let depth):
                lines.append(pad(depth) + "  => rule \(id) matched; \(passed ? "return value" : "pass percentage failed: default value")")
            case .fellThrough(let ruleID, let depth):
                lines.append(pad(depth) + "  => no rule matched: \(ruleID)")
            case .error(let message, let depth):
                lines.append(pad(depth) + "  error: \(message)")
            }
        }
        let e = evaluation
        lines.append("")
        lines.append("result: \(w.string(e.value))")
        lines.append("rule: \(e.ruleID.isEmpty ? "\"\"" : e.ruleID)   group: \(e.groupName ?? "-")   id type: \(e.idType)   reason: \(e.reason.rawValue)")
        if let a = e.allocatedExperiment { lines.append("allocated experiment: \(a)") }
        lines.append("secondary exposures: " + (e.secondaryExposures.isEmpty ? "none" : e.secondaryExposures.map { "\($0.gate)=\($0.gateValue) (\($0.ruleID))" }.joined(separator: ", ")))
        if let u = e.undelegatedSecondaryExposures {
            lines.append("undelegated secondary exposures: " + (u.isEmpty ? "none" : u.map { "\($0.gate)=\($0.gateValue) (\($0.ruleID))" }.joined(separator: ", ")))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The steps and the result as JSON, for tools.
    public func json(user u: Int = 0) -> JSONValue {
        func o(_ members: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(members)) }
        let steps: [JSONValue] = steps.map { step in
            switch step {
            case .enterSpec(let kind, let name, let depth):
                return o([("step", "spec"), ("kind", .string(kind.rawValue)), ("name", .string(name)), ("depth", .int(Int64(depth)))])
            case .disabled(let name):
                return o([("step", "disabled"), ("name", .string(name))])
            case .rule(let index, let id, let depth):
                return o([("step", "rule"), ("index", .int(Int64(index))), ("id", .string(id)), ("depth", .int(Int64(depth)))])
            case .conditionRaised(_, let type, let op, let field, let reason, let depth):
                return o([("step", "condition_raised"), ("type", .string(type)), ("operator", op.map { .string($0) } ?? .null),
                          ("field", field.map { .string($0) } ?? .null), ("reason", .string(reason)), ("depth", .int(Int64(depth)))])
            case .condition(_, let type, let op, let field, let target, let userValue, let userString, let result, let depth):
                return o([("step", "condition"), ("type", .string(type)), ("operator", op.map { .string($0) } ?? .null),
                          ("field", field.map { .string($0) } ?? .null), ("target", target), ("user_value", userValue ?? .null),
                          ("user_string", userString.map { .string($0) } ?? .null), ("result", .bool(result)), ("depth", .int(Int64(depth)))])
            case .unsupported(let reason, let depth):
                return o([("step", "unsupported"), ("reason", .string(reason)), ("depth", .int(Int64(depth)))])
            case .nestedGateStart(let name, let depth):
                return o([("step", "nested_gate_start"), ("gate", .string(name)), ("depth", .int(Int64(depth)))])
            case .nestedGate(let name, let negate, let result, let ruleID, let memoized, let depth):
                return o([("step", "nested_gate"), ("gate", .string(name)), ("negate", .bool(negate)), ("gate_value", .bool(result)),
                          ("rule_id", ruleID.map { .string($0) } ?? .null), ("memoized", .bool(memoized)), ("depth", .int(Int64(depth)))])
            case .userBucket(let salt, let unitID, let bucket, let depth):
                return o([("step", "user_bucket"), ("salt", .string(salt)), ("unit_id", .string(unitID)), ("bucket", .int(Int64(bucket))), ("depth", .int(Int64(depth)))])
            case .passPercentage(let ruleID, let unitID, let bucket, let percentage, let passed, let depth):
                return o([("step", "pass_percentage"), ("rule_id", .string(ruleID)), ("unit_id", .string(unitID)), ("bucket", .int(Int64(bucket))),
                          ("percentage", .double(percentage)), ("passed", .bool(passed)), ("depth", .int(Int64(depth)))])
            case .delegate(let experiment, let depth):
                return o([("step", "delegate"), ("experiment", .string(experiment)), ("depth", .int(Int64(depth)))])
            case .ruleMatched(let id, let passed, let depth):
                return o([("step", "rule_matched"), ("rule_id", .string(id)), ("passed", .bool(passed)), ("depth", .int(Int64(depth)))])
            case .fellThrough(let ruleID, let depth):
                return o([("step", "fell_through"), ("rule_id", .string(ruleID)), ("depth", .int(Int64(depth)))])
            case .error(let message, let depth):
                return o([("step", "error"), ("message", .string(message)), ("depth", .int(Int64(depth)))])
            }
        }
        var record: [UInt8] = []
        EvaluationRecord.write(evaluation, user: u, into: &record)
        let result = (try? JSONParser.parse(record)) ?? .null
        return o([("steps", .array(steps)), ("result", result)])
    }
}
