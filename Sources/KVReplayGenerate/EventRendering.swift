import KVReplayModel
import KVReplayEvaluation

/// Writes events exactly as the SDKs put them on the wire: the core's event objects (metadata strings with `lcut`
/// and `receivedAt`) or statsig-node's (numeric `configSyncTime`, `initTime`, `serverTime`).
struct EventRenderer {
    let population: Population
    let servers: [EdgeServer]

    func render(_ e: GenEvent, into out: inout [UInt8]) {
        let server = servers[Int(e.server)]
        let core = server.profile.isCore
        let userBytes = core ? population.loggedCore[Int(e.user)] : population.loggedNode[Int(e.user)]
        let start = out.count
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        if e.corruption != .missingEventName {
            key("eventName")
            JSONWriter.writeString(e.eventName, into: &out)
        }
        if !core {
            key("user")
            out.append(contentsOf: userBytes)
        }
        key("value")
        if e.kind == .custom { JSONWriter(style: .serde).write(e.customValue, into: &out) } else { out.append(contentsOf: "null".utf8) }
        if !core {
            key("time")
            out.append(contentsOf: String(e.time).utf8)
        }
        key("metadata")
        if e.corruption == .wrongType {
            JSONWriter.writeString("\(e.eventName) \(e.name)", into: &out)
        } else {
            metadata(e, core: core, into: &out)
        }
        if core {
            key("statsigMetadata")
            if e.kind == .custom { out.append(contentsOf: "null".utf8) } else { statsigMetadata(e, into: &out) }
            key("user")
            out.append(contentsOf: userBytes)
            key("time")
            out.append(contentsOf: String(e.time).utf8)
            key("secondaryExposures")
            if e.kind == .custom { out.append(contentsOf: "null".utf8) } else { exposures(e, into: &out) }
        } else {
            key("secondaryExposures")
            if e.kind == .custom { out.append(contentsOf: "[]".utf8) } else { exposures(e, into: &out) }
            if e.samplingRate != nil {
                key("statsigMetadata")
                statsigMetadata(e, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        if e.corruption == .truncated {
            out.removeSubrange((start + (out.count - start) / 2)...)
        }
    }

    private func statsigMetadata(_ e: GenEvent, into out: inout [UInt8]) {
        if let rate = e.samplingRate {
            out.append(contentsOf: "{\"samplingRate\":\(rate),\"samplingMode\":\"on\"}".utf8)
        } else {
            out.append(contentsOf: "{}".utf8)
        }
    }

    private func exposures(_ e: GenEvent, into out: inout [UInt8]) {
        guard let ev = e.evaluation else { out.append(contentsOf: "[]".utf8); return }
        var list = ev.secondaryExposures
        if e.kind == .layer, let p = e.parameter, !(ev.explicitParameters ?? []).contains(p) {
            list = ev.undelegatedSecondaryExposures ?? []
        }
        out.append(UInt8(ascii: "["))
        for (i, x) in list.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "{\"gate\":".utf8)
            JSONWriter.writeString(x.gate, into: &out)
            out.append(contentsOf: (x.gateValue ? ",\"gateValue\":\"true\",\"ruleID\":" : ",\"gateValue\":\"false\",\"ruleID\":").utf8)
            JSONWriter.writeString(x.ruleID, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The rule ID and gate value as logged (flipped when the event is wrong on purpose).
    static func logged(_ e: GenEvent) -> (ruleID: String, gateValue: Bool) {
        let ev = e.evaluation!
        return (e.loggedRuleID ?? ev.ruleID, e.loggedGateValue ?? ev.boolValue)
    }

    private func metadata(_ e: GenEvent, core: Bool, into out: inout [UInt8]) {
        var m: [(String, String)] = []
        var numeric: [(String, Int64)] = []
        if e.kind == .custom {
            out.append(contentsOf: JSONWriter(style: .serde).bytes(.object(e.customMetadata ?? JSONObject())))
            return
        }
        let ev = e.evaluation!
        let (ruleID, gateValue) = Self.logged(e)
        let recognized = ev.reason != .unrecognized
        switch e.kind {
        case .gate:
            m = [("gate", e.name), ("gateValue", gateValue ? "true" : "false"), ("ruleID", ruleID)]
        case .config:
            m = [("config", e.name), ("ruleID", ruleID)]
            if recognized { m.append(("rulePassed", ["default", "disabled", ""].contains(ev.ruleID) ? "false" : "true")) }
        case .layer:
            let p = e.parameter ?? ""
            let explicit = (ev.explicitParameters ?? []).contains(p)
            m = [("config", e.name), ("ruleID", ruleID), ("allocatedExperiment", explicit ? (ev.allocatedExperiment ?? "") : ""),
                 ("parameterName", p), ("isExplicitParameter", explicit ? "true" : "false")]
        case .custom: break
        }
        if let v = ev.version, recognized { m.append(("configVersion", String(v))) }
        if core {
            m.append(("reason", recognized ? "Bootstrap:Recognized" : "Bootstrap:Unrecognized"))
            m.append(("lcut", String(e.lcut)))
            m.append(("receivedAt", String(e.receivedAt)))
        } else {
            m.append(("reason", recognized ? "DataAdapter" : "Unrecognized"))
            numeric = [("configSyncTime", e.lcut), ("initTime", servers[Int(e.server)].initTime), ("serverTime", e.time)]
        }
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in m.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.writeString(v, into: &out)
        }
        for (k, v) in numeric {
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: String(v).utf8)
        }
        out.append(UInt8(ascii: "}"))
    }
}
