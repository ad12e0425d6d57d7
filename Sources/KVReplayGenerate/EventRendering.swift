import KVReplayModel
import KVReplayEvaluation

/// Writes events exactly as the SDKs put them on the wire: the core's event objects (metadata strings with `lcut`
/// and `receivedAt`) or statsig-node 6.5.1's (`LogEvent.toObject`: `eventName, metadata, time, user, value,
/// secondaryExposures, statsigMetadata`, numeric `configSyncTime`, `initTime`, `serverTime`).
struct EventRenderer {
    let population: Population
    let servers: [EdgeServer]

    func render(_ e: GenEvent, into out: inout [UInt8]) {
        let server = servers[Int(e.server)]
        if server.profile.isCore { renderCore(e, into: &out) } else { renderNode(e, into: &out) }
    }

    private func renderCore(_ e: GenEvent, into out: inout [UInt8]) {
        let start = out.count
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        func raw(_ text: String) { out.append(contentsOf: text.utf8) }
        if e.corruption != .missingEventName { key("eventName"); JSONWriter.writeString(e.eventName, into: &out) }
        key("value")
        if e.kind == .custom { JSONWriter(style: .serde).write(e.customValue, into: &out) } else { raw("null") }
        key("metadata")
        metadataOrCorruption(e, core: true, into: &out)
        key("statsigMetadata")
        if e.kind == .custom { raw("null") } else { coreStatsigMetadata(e, into: &out) }
        key("user")
        out.append(contentsOf: population.loggedCore[Int(e.user)])
        key("time")
        raw(String(e.time))
        key("secondaryExposures")
        if e.kind == .custom { raw("null") } else { exposures(e, into: &out) }
        out.append(UInt8(ascii: "}"))
        if e.corruption == .truncated { out.removeSubrange((start + (out.count - start) / 2)...) }
    }

    /// statsig-node: every member always present. Exposures carry the sampling decision (`samplingRate` when the rule
    /// samples, then the payload's `sampling_mode`); `logEvent` events carry `{}` and their metadata or `null`.
    private func renderNode(_ e: GenEvent, into out: inout [UInt8]) {
        let start = out.count
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        func raw(_ text: String) { out.append(contentsOf: text.utf8) }
        if e.corruption != .missingEventName { key("eventName"); JSONWriter.writeString(e.eventName, into: &out) }
        key("metadata")
        if e.kind == .custom && e.corruption != .wrongType {
            NodeJSON.write(e.customMetadata.map(JSONValue.object) ?? .null, into: &out)
        } else {
            metadataOrCorruption(e, core: false, into: &out)
        }
        key("time")
        raw(String(e.time))
        key("user")
        out.append(contentsOf: population.loggedNode[Int(e.user)])
        key("value")
        if e.kind == .custom { NodeJSON.write(e.customValue, into: &out) } else { raw("null") }
        key("secondaryExposures")
        if e.kind == .custom { raw("[]") } else { exposures(e, into: &out) }
        key("statsigMetadata")
        if e.kind == .custom {
            raw("{}")
        } else if let rate = e.samplingRate {
            raw("{\"samplingRate\":\(rate),\"samplingMode\":")
            JSONWriter.writeString(Project.samplingMode, into: &out)
            raw("}")
        } else {
            raw("{\"samplingMode\":")
            JSONWriter.writeString(Project.samplingMode, into: &out)
            raw("}")
        }
        out.append(UInt8(ascii: "}"))
        if e.corruption == .truncated { out.removeSubrange((start + (out.count - start) / 2)...) }
    }

    /// The `statsig::diagnostics` event statsig-node logs once an isolate's `initialize` has finished (`start` and
    /// `end` of the `overall` marker), with the options of the Worker of Statsig's guide as the SDK copies them.
    static func renderNodeInitialize(start: Int64, end: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: """
            {"eventName":"statsig::diagnostics","metadata":{"context":"initialize","markers":[\
            {"key":"overall","action":"start","timestamp":\(start)},\
            {"key":"overall","action":"end","timestamp":\(end),"success":true}],\
            "statsigOptions":{"dataAdapter":"set","postLogsRetryLimit":0,"initStrategyForIDLists":"none",\
            "initStrategyForIP3Country":"none","disableIdListsSync":true,"disableRulesetsSync":true}},\
            "time":\(end),"user":null,"value":null,"secondaryExposures":[],"statsigMetadata":{}}
            """.utf8)
    }

    private func metadataOrCorruption(_ e: GenEvent, core: Bool, into out: inout [UInt8]) {
        if e.corruption == .wrongType {
            JSONWriter.writeString("\(e.eventName) \(e.name)", into: &out)
        } else {
            metadata(e, core: core, into: &out)
        }
    }

    private func coreStatsigMetadata(_ e: GenEvent, into out: inout [UInt8]) {
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
            // statsig-node always logs `rulePassed` (`String(evaluation.value)`: false for an unknown config); the
            // core only for a config it knows.
            if recognized || !core { m.append(("rulePassed", ["default", "disabled", ""].contains(ev.ruleID) ? "false" : "true")) }
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
            // A Worker's statsig-node never syncs from the KV adapter: a new config comes with a new isolate, whose
            // initialization read it, so the initial update time is the config's.
            numeric = [("configSyncTime", e.lcut), ("initTime", e.lcut), ("serverTime", e.time)]
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

