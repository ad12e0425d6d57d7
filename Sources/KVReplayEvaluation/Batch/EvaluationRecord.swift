public import KVReplayModel

/// The `kvreplay eval` record: one compact JSON object per (user, entity), keys sorted, exactly the shape the
/// oracle (`../shared/oracle/oracle.py`) prints, so the two can be compared byte for byte.
public enum EvaluationRecord {
    public static func write(_ e: Evaluation, user u: Int, into out: inout [UInt8]) {
        let writer = JSONWriter(style: .python)
        out.append(UInt8(ascii: "{"))
        if e.kind == .layer {
            key("allocated_experiment", &out)
            optionalString(e.allocatedExperiment, &out)
            out.append(UInt8(ascii: ","))
            key("explicit_parameters", &out)
            out.append(UInt8(ascii: "["))
            for (i, p) in (e.explicitParameters ?? []).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(p, into: &out)
            }
            out.append(contentsOf: "],".utf8)
        }
        key("group_name", &out)
        optionalString(e.groupName, &out)
        out.append(UInt8(ascii: ","))
        key("id_type", &out)
        JSONWriter.writeString(e.idType, into: &out)
        out.append(UInt8(ascii: ","))
        key("kind", &out)
        JSONWriter.writeString(e.kind.rawValue, into: &out)
        out.append(UInt8(ascii: ","))
        key("name", &out)
        JSONWriter.writeString(e.name, into: &out)
        out.append(UInt8(ascii: ","))
        key("reason", &out)
        JSONWriter.writeString(e.reason.rawValue, into: &out)
        out.append(UInt8(ascii: ","))
        key("rule_id", &out)
        JSONWriter.writeString(e.ruleID, into: &out)
        out.append(UInt8(ascii: ","))
        key("secondary_exposures", &out)
        exposures(e.secondaryExposures, &out)
        out.append(UInt8(ascii: ","))
        key("u", &out)
        out.append(contentsOf: String(u).utf8)
        out.append(UInt8(ascii: ","))
        if e.kind == .layer {
            key("undelegated_secondary_exposures", &out)
            exposures(e.undelegatedSecondaryExposures ?? [], &out)
            out.append(UInt8(ascii: ","))
        }
        key("value", &out)
        writer.write(e.value, into: &out)
        out.append(contentsOf: "}\n".utf8)
    }

    private static func key(_ k: StaticString, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        out.append(contentsOf: "\":".utf8)
    }

    private static func optionalString(_ s: String?, _ out: inout [UInt8]) {
        if let s { JSONWriter.writeString(s, into: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    static func exposures(_ list: [SecondaryExposure], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, x) in list.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "{\"gate\":".utf8)
            if let raw = x.rawGate { out.append(contentsOf: raw.utf8) } else { JSONWriter.writeString(x.gate, into: &out) }
            out.append(contentsOf: (x.gateValue ? ",\"gateValue\":\"true\",\"ruleID\":" : ",\"gateValue\":\"false\",\"ruleID\":").utf8)
            JSONWriter.writeString(x.ruleID, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }
}

extension Evaluator {
    /// Evaluates every entity of the payload for users `range` of `users` and returns their records
    /// (user order, then entity order). `indices[i]` is the record index `u` of `users[i]`.
    public func records(users: [StatsigUser], indices: [Int], range: Range<Int>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(range.count * payload.entities.count * 160)
        let ctx = EvaluationContext()
        for i in range {
            let prepared = prepare(users[i])
            for ref in payload.entities {
                EvaluationRecord.write(evaluate(ref, for: prepared, in: ctx), user: indices[i], into: &out)
            }
        }
        return out
    }
}
