public import KVReplayModel

/// An assertion about the candidate config that `kvreplay check` verifies.
public enum Expectation: Sendable, Equatable {
    /// This user gets this value (gates: passes or not) / rule / group for the entity.
    case userResult(name: String, user: UserSelector, entity: String, passes: Bool?, ruleID: String?, group: String?)
    /// The share of the population passing the gate lies within [min, max].
    case passRate(name: String, gate: String, min: Double, max: Double)
    /// Every group's share of the users in the experiment is within `tolerance` of its allocation.
    case split(name: String, experiment: String, tolerance: Double)
    /// No user's value, rule or group changes for the entity.
    case unchanged(name: String, entity: String)

    public var name: String {
        switch self {
        case .userResult(let n, _, _, _, _, _), .passRate(let n, _, _, _), .split(let n, _, _), .unchanged(let n, _): n
        }
    }
}

/// How an expectation names its user: a whole user object, or a unit ID looked up in the population.
public enum UserSelector: Sendable, Equatable {
    case user(StatsigUser)
    case unitID(String)
}

public struct ExpectationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Expectation {
    /// Reads an expectations file: a JSON array of assertions, or `{"expectations": [...]}`.
    ///
    /// ```json
    /// [{"user_id": "u1", "gate": "new_checkout", "passes": true},
    ///  {"user": {"userID": "u2", "email": "a@b.c"}, "experiment": "exp", "group": "Test"},
    ///  {"gate": "new_checkout", "pass_rate": {"min": 0.2, "max": 0.3}},
    ///  {"experiment": "exp", "split_within": 0.02},
    ///  {"entity": "pricing", "unchanged": true}]
    /// ```
    public static func parse(_ bytes: [UInt8], source: String) throws(ExpectationError) -> [Expectation] {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw ExpectationError(message: "\(source): not valid JSON (\(error))")
        }
        let list: [JSONValue]
        if let a = json.arrayValue { list = a } else if let a = json["expectations"]?.arrayValue { list = a } else {
            throw ExpectationError(message: "\(source): expected an array of expectations or {\"expectations\": [...]}")
        }
        var out: [Expectation] = []
        for (i, item) in list.enumerated() {
            let at = "\(source): expectation \(i + 1)"
            guard let o = item.objectValue else { throw ExpectationError(message: "\(at): is \(item.kindName), expected an object") }
            func string(_ k: String) throws(ExpectationError) -> String? {
                guard let v = o[k] else { return nil }
                guard let s = v.stringValue else { throw ExpectationError(message: "\(at): \"\(k)\" is \(v.kindName), expected a string") }
                return s
            }
            func number(_ v: JSONValue?, _ k: String) throws(ExpectationError) -> Double {
                guard let d = v?.doubleValue else { throw ExpectationError(message: "\(at): \"\(k)\" must be a number") }
                return d
            }
            var entity: String? = nil
            for key in ["gate", "config", "experiment", "layer", "entity"] where entity == nil { entity = try string(key) }
            let label = try string("name")
            if o["user"] != nil || o["user_id"] != nil {
                guard let entity else { throw ExpectationError(message: "\(at): names no gate, config, experiment or layer") }
                let selector: UserSelector
                if let u = o["user"] {
                    do { selector = .user(try StatsigUser(json: u)) } catch { throw ExpectationError(message: "\(at): user \(error)") }
                } else {
                    selector = .unitID(try string("user_id")!)
                }
                var passes: Bool? = nil
                if let p = o["passes"] {
                    guard let b = p.boolValue else { throw ExpectationError(message: "\(at): \"passes\" must be true or false") }
                    passes = b
                }
                let rule = try string("rule_id"), group = try string("group")
                if passes == nil && rule == nil && group == nil {
                    throw ExpectationError(message: "\(at): says nothing to check (give \"passes\", \"rule_id\" or \"group\")")
                }
                out.append(.userResult(name: label ?? "\(entity) for \(selector.label)", user: selector, entity: entity, passes: passes, ruleID: rule, group: group))
            } else if let rate = o["pass_rate"] {
                guard let gate = entity else { throw ExpectationError(message: "\(at): pass_rate needs a \"gate\"") }
                let lo = try number(rate["min"] ?? .double(0), "pass_rate.min"), hi = try number(rate["max"] ?? .double(1), "pass_rate.max")
                guard lo <= hi, lo >= 0, hi <= 1 else { throw ExpectationError(message: "\(at): pass_rate needs 0 <= min <= max <= 1") }
                out.append(.passRate(name: label ?? "\(gate) pass rate in [\(lo), \(hi)]", gate: gate, min: lo, max: hi))
            } else if let tol = o["split_within"] {
                guard let exp = entity else { throw ExpectationError(message: "\(at): split_within needs an \"experiment\"") }
                let t = try number(tol, "split_within")
                out.append(.split(name: label ?? "\(exp) split within \(t) of allocation", experiment: exp, tolerance: t))
            } else if o["unchanged"] == .bool(true) {
                guard let e = entity else { throw ExpectationError(message: "\(at): unchanged needs an \"entity\"") }
                out.append(.unchanged(name: label ?? "\(e) unchanged", entity: e))
            } else {
                throw ExpectationError(message: "\(at): unknown assertion (use user/user_id, pass_rate, split_within or unchanged)")
            }
        }
        return out
    }
}

extension UserSelector {
    var label: String {
        switch self {
        case .user(let u): u.userID.map { JSONWriter().string($0) } ?? "a user"
        case .unitID(let id): id
        }
    }
}
