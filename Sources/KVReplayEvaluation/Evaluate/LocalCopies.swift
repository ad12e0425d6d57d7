import KVReplayModel

/// Copies, private to one evaluation context (so to one thread), of the strings and JSON values that result records
/// take from a compiled payload: rule IDs, group names, return and default values, entity names, explicit
/// parameters, delegated experiments and nested gate names.
///
/// A record that held the payload's own strings would retain them, and every thread building records would then
/// write the same reference counts: the cache lines holding them would bounce between cores, which costs more than
/// the evaluation itself. Each context copies what it uses once (per payload), by the serial numbers the compiler
/// gives specs, rules and gate conditions, and records share only the context's copies. Small strings (15 UTF-8
/// bytes or fewer) live inline and are not copied.
final class LocalCopies {
    let payload: UInt64
    private var ruleIDs: [String?]
    private var groupNames: [String??]
    private var ruleValues: [JSONValue?]
    private var delegates: [String??]
    private var specNames: [String?]
    private var specDefaults: [JSONValue?]
    private var specExplicit: [[String]??]
    private var gateNames: [String?]

    init(_ p: CompiledPayload) {
        payload = p.serial
        ruleIDs = Array(repeating: nil, count: p.ruleCount)
        groupNames = Array(repeating: nil, count: p.ruleCount)
        ruleValues = Array(repeating: nil, count: p.ruleCount)
        delegates = Array(repeating: nil, count: p.ruleCount)
        specNames = Array(repeating: nil, count: p.specCount)
        specDefaults = Array(repeating: nil, count: p.specCount)
        specExplicit = Array(repeating: nil, count: p.specCount)
        gateNames = Array(repeating: nil, count: p.gateConditionCount)
    }

    func ruleID(_ r: CompiledRule) -> String { cached(&ruleIDs, r.serial) { localCopy(r.id) } }
    func groupName(_ r: CompiledRule) -> String? { cached(&groupNames, r.serial) { r.groupName.map(localCopy) } }
    func returnValue(_ r: CompiledRule) -> JSONValue { cached(&ruleValues, r.serial) { localCopy(r.returnValue) } }
    func configDelegate(_ r: CompiledRule) -> String? { cached(&delegates, r.serial) { r.configDelegate.map(localCopy) } }
    func defaultValue(_ spec: CompiledSpec) -> JSONValue { cached(&specDefaults, spec.serial) { localCopy(spec.defaultValue) } }

    func explicitParameters(_ spec: CompiledSpec) -> [String]? {
        cached(&specExplicit, spec.serial) { spec.explicitParameters.map { $0.map(localCopy) } }
    }

    /// The entity's name as `name` spells it (a copy of it, made once for the spec it names).
    func name(_ name: String, of spec: CompiledSpec) -> String {
        if let s = specNames[spec.serial], utf8Equal(s, name) { return s }
        let s = localCopy(name)
        specNames[spec.serial] = s
        return s
    }

    /// A nested gate condition's gate name (the condition's own when the compiler did not number it).
    func gateName(_ c: CompiledCondition) -> String {
        guard c.gateSerial >= 0 else { return c.gateName }
        return cached(&gateNames, c.gateSerial) { localCopy(c.gateName) }
    }

    /// `table[i]`, made by `make` the first time.
    @inline(__always)
    private func cached<T>(_ table: inout [T?], _ i: Int, _ make: () -> T) -> T {
        if let v = table[i] { return v }
        let v = make()
        table[i] = v
        return v
    }
}

/// A string with storage of its own (small strings, stored inline, as they are).
func localCopy(_ s: String) -> String {
    s.utf8.count <= 15 ? s : String(decoding: Array(s.utf8), as: UTF8.self)
}

/// A JSON value with storage of its own, all the way down.
func localCopy(_ v: JSONValue) -> JSONValue {
    switch v {
    case .string(let s): .string(localCopy(s))
    case .array(let a): .array(a.map(localCopy))
    case .object(let o): .object(JSONObject(o.members.map { (localCopy($0), localCopy($1)) }))
    default: v
    }
}
