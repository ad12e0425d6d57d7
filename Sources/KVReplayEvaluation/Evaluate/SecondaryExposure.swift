/// A gate checked on the way to a result: `{"gate", "gateValue", "ruleID"}`.
public struct SecondaryExposure: Sendable, Hashable {
    public var gate: String
    public var gateValue: Bool
    public var ruleID: String
    /// Legacy flavour: a `pass_gate` whose `targetValue` is not a string records that value as the gate (JSON text,
    /// Python style); `gate` is then "".
    public var rawGate: String?

    public init(gate: String, gateValue: Bool, ruleID: String, rawGate: String? = nil) {
        self.gate = gate
        self.gateValue = gateValue
        self.ruleID = ruleID
        self.rawGate = rawGate
    }
}

extension Array where Element == SecondaryExposure {
    /// The cleaned list that client-initialize responses and the legacy SDKs report: `segment:` gates dropped,
    /// duplicates (same gate, value and rule) dropped keeping the first.
    public func cleaned() -> [SecondaryExposure] {
        if count <= 1 { return filter { !$0.gate.hasPrefix("segment:") } }
        var seen = Set<SecondaryExposure>()
        var out: [SecondaryExposure] = []
        out.reserveCapacity(count)
        for e in self where !e.gate.hasPrefix("segment:") && seen.insert(e).inserted { out.append(e) }
        return out
    }
}
