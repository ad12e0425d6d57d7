import KVReplayModel

/// A user field name as the legacy SDK's `__get_from_user` resolves it.
final class LegacyField: Sendable {
    let name: String
    let exact: ExactString
    /// `field.casefold()` (the `custom` fallback key).
    let folded: ExactString
    /// `field.lower()` (the `privateAttributes` fallback key, the top-level match, the user-agent field).
    let lowered: String
    let loweredExact: ExactString
    let top: LegacyTopField?

    init(_ name: String) {
        self.name = name
        exact = ExactString(name)
        folded = ExactString(Python.casefold(name))
        lowered = Python.lower(name)
        loweredExact = ExactString(lowered)
        top = LegacyTopField(lowered: lowered)
    }

    static let ip = LegacyField("ip")
    static let userAgent = LegacyField("userAgent")
}

/// The top-level user attributes `__get_from_user` knows, by lower-cased field name (with its aliases).
enum LegacyTopField: Int, Sendable, CaseIterable {
    case userID, email, ip, userAgent, country, locale, appVersion

    init?(lowered: String) {
        switch lowered {
        case "userid", "user_id": self = .userID
        case "email": self = .email
        case "ip", "ipaddress", "ip_address": self = .ip
        case "useragent", "user_agent": self = .userAgent
        case "country": self = .country
        case "locale": self = .locale
        case "appversion", "app_version": self = .appVersion
        default: return nil
        }
    }
}

/// An ID type as `__get_unit_id` reads it.
final class LegacyIDType: Sendable {
    let exact: ExactString
    let lowered: ExactString
    let isUserID: Bool

    init(_ name: String) {
        exact = ExactString(name)
        let l = Python.lower(name)
        lowered = ExactString(l)
        isUserID = l == "userid"
    }
}

/// Where a legacy condition's user-side value comes from (`__evaluate_condition`). A nil field is a `null` `field`,
/// on which the SDK raises.
enum LegacySource: Sendable {
    case ipBased(LegacyField?)
    case uaBased(LegacyField?)
    case userField(LegacyField?)
    case currentTime
    case environment(LegacyField?)
    /// `saltPrefix` is nil when `additionalValues` is `null` (the SDK raises on `.get`).
    case userBucket(saltPrefix: [UInt8]?, idType: LegacyIDType)
    case unitID(LegacyIDType)
    case targetApp
}

/// The operators the legacy SDK dispatches on, by exact (case-sensitive) name; anything else evaluates to false.
enum LegacyOperator: Sendable {
    case known(Operator)
    case other
}

/// A condition's `targetValue` with the views the legacy operators read, converted once.
final class LegacyTarget: Sendable {
    enum Strings: Sendable {
        case none
        case raises
        case list([String])
    }

    let json: JSONValue
    let float: PyFloat
    /// `str(target)`, nil for `None`.
    let str: String?
    let versionParts: [VersionPart]
    let date: PyDate
    /// `str_*_any`: `str(match).casefold()` of every element the SDK iterates (a string target iterates its
    /// characters, a dict its keys; a number cannot be iterated).
    let matchStrings: Strings
    /// `fast_target_value` of `any`/`none`: `str(v).casefold()` of list elements.
    let caselessSet: Set<ExactString>?
    /// `fast_target_value` of `any_case_sensitive`/`none_case_sensitive`: `str(v)` of list elements.
    let exactSet: Set<ExactString>?
    /// `fast_target_value` of the array operators, in order: `str(v)` and `int()` of it.
    let arrayKeys: [(key: String, int: PythonInt?)]?
    /// `user_bucket` with `any`/`none`: `int(v)` of each element.
    let bucketSet: Set<Int64>?
    let regex: PythonRegex?
    /// `str(target)` is not a valid Python pattern.
    let regexInvalid: Bool
    /// `get_id_list(target)` raises (`TypeError: unhashable`).
    let unhashable: Bool

    /// `loadFailed` is set when the SDK could not load the payload at all because of this target
    /// (`int(v)` of a `user_bucket` `any`/`none` element failing).
    /// `json` is `condition.get("targetValue")`; `loadValue` is `cond.get("targetValue", [])`, what the SDK's loader
    /// builds its lookup tables from.
    init(_ json: JSONValue, loadValue: JSONValue, type: String, loweredOperator op: String?, exactOperator: Operator?,
         loadFailed: inout Bool)
    {
        self.json = json
        float = PyFloat(json)
        let s: String? = json.isNull ? nil : Python.str(json)
        str = s
        versionParts = s.map(VersionPart.parts) ?? []
        date = PyDate(json, text: s)
        unhashable = json.arrayValue != nil || json.objectValue != nil

        // Iteration as `for match in target`.
        func iterate(_ v: JSONValue) -> [JSONValue]? {
            switch v {
            case .array(let a): a
            case .string(let t): t.unicodeScalars.map { .string(String($0)) }
            case .object(let o): o.keys.map(JSONValue.string)
            default: nil
            }
        }
        switch json {
        case .null: matchStrings = .none
        case .bool, .int, .double: matchStrings = .raises
        default:
            matchStrings = .list((iterate(json) ?? []).compactMap { $0.isNull ? nil : Python.casefold(Python.str($0)) })
        }

        var caseless: Set<ExactString>? = nil, exact: Set<ExactString>? = nil
        var arrayKeys: [(String, PythonInt?)]? = nil, buckets: Set<Int64>? = nil
        if (op == "any" || op == "none") && type == "user_bucket" {
            buckets = []
            // `for val in target_value: ...[int(val)]`; a non-iterable target or an element int() rejects stops the load.
            if let items = iterate(loadValue) {
                for v in items {
                    switch v {
                    case .bool(let b): buckets!.insert(b ? 1 : 0)
                    case .int(let i): buckets!.insert(i)
                    case .double(let d):
                        if d.isFinite, let i = Int64(exactly: d.rounded(.towardZero)) { buckets!.insert(i) } else { loadFailed = true }
                    case .string(let t):
                        if let i = Python.int(t) { if let x = i.int64 { buckets!.insert(x) } } else { loadFailed = true }
                    default: loadFailed = true
                    }
                }
            } else {
                loadFailed = true
            }
        } else if let list = loadValue.arrayValue {
            if op == "any" || op == "none" {
                caseless = Set(list.map { ExactString(Python.casefold(Python.str($0))) })
            } else if op == "any_case_sensitive" || op == "none_case_sensitive" {
                exact = Set(list.map { ExactString(Python.str($0)) })
            }
        }
        if let list = loadValue.arrayValue, let op,
           ["array_contains_any", "array_contains_none", "array_contains_all", "not_array_contains_all"].contains(op)
        {
            var seen = Set<ExactString>()
            arrayKeys = []
            for v in list {
                let k = Python.str(v)
                if seen.insert(ExactString(k)).inserted { arrayKeys!.append((k, Python.int(k))) }
            }
        }
        caselessSet = caseless
        exactSet = exact
        self.arrayKeys = arrayKeys
        bucketSet = buckets
        if exactOperator == .matches, let s {
            regex = PythonRegex(s)
            regexInvalid = regex == nil
        } else {
            regex = nil
            regexInvalid = false
        }
    }
}

/// A condition as the legacy SDK evaluates it, compiled from the condition object with `dict.get` semantics.
final class LegacyCondition: Sendable {
    enum Kind: Sendable {
        /// `public`.
        case pass
        /// `pass_gate` / `fail_gate` on `targetValue` (any JSON value).
        case gate(target: JSONValue, name: String?, index: Int?, negate: Bool)
        /// `multi_pass_gate` / `multi_fail_gate`.
        case multiGate(target: JSONValue, pass: Bool)
        case compare(source: LegacySource, op: LegacyOperator, target: LegacyTarget)
    }

    let kind: Kind
    /// The SDK drops the whole spec at load time: a type or operator (lower-cased) it does not support.
    let unsupported: Bool
    /// The SDK cannot load the payload because of this condition.
    let loadFailed: Bool

    static let supportedTypes: Set<String> = [
        "public", "fail_gate", "pass_gate", "ip_based", "ua_based", "user_field", "environment_field", "current_time",
        "user_bucket", "unit_id", "multi_pass_gate", "multi_fail_gate", "target_app",
    ]
    static let supportedOperators: Set<String> = [
        "gt", "gte", "lt", "lte", "version_gt", "version_gte", "version_lt", "version_lte", "version_eq", "version_neq",
        "any", "none", "any_case_sensitive", "none_case_sensitive", "str_starts_with_any", "str_ends_with_any",
        "str_contains_any", "str_contains_none", "str_matches", "eq", "neq", "before", "after", "on", "in_segment_list",
        "not_in_segment_list", "array_contains_any", "array_contains_none", "array_contains_all", "not_array_contains_all",
    ]

    init(_ c: Condition, gateIndex: [String: Int]) {
        let raw = c.raw
        let type = Python.lower(c.type)
        let opName = c.operator
        let loweredOp = opName.map(Python.lower)
        unsupported = !LegacyCondition.supportedTypes.contains(type)
            || loweredOp.map { !LegacyCondition.supportedOperators.contains($0) } ?? false
        let target = raw["targetValue"] ?? .null
        // `condition.get("field", "")`: absent → "", null → None.
        let field: LegacyField? = raw["field"].map { $0.stringValue.map(LegacyField.init) } ?? LegacyField("")
        let idType = LegacyIDType(c.idType)
        var loadFailed = false
        func compare(_ source: LegacySource) -> Kind {
            let exact = opName.flatMap(Operator.init(rawValue:))
            let t = LegacyTarget(target, loadValue: raw["targetValue"] ?? .array([]), type: type, loweredOperator: loweredOp,
                                 exactOperator: exact, loadFailed: &loadFailed)
            return .compare(source: source, op: exact.map(LegacyOperator.known) ?? .other, target: t)
        }
        switch type {
        case "public": kind = .pass
        case "pass_gate", "fail_gate":
            let name = target.stringValue
            kind = .gate(target: target, name: name, index: name.flatMap { gateIndex[$0] }, negate: type == "fail_gate")
        case "multi_pass_gate", "multi_fail_gate": kind = .multiGate(target: target, pass: type == "multi_pass_gate")
        case "ip_based": kind = compare(.ipBased(field))
        case "ua_based": kind = compare(.uaBased(field))
        case "user_field": kind = compare(.userField(field))
        case "current_time": kind = compare(.currentTime)
        case "environment_field": kind = compare(.environment(field))
        case "user_bucket":
            // `condition.get("additionalValues", {"salt": None}).get("salt")`; `str(salt) or ""`.
            var prefix: [UInt8]? = nil
            switch raw["additionalValues"] {
            case nil: prefix = Array(".".utf8)
            case .object(let o)?:
                let salt = o["salt"].map { $0.isNull ? "" : Python.str($0) } ?? ""
                prefix = Array("\(salt).".utf8)
            default: prefix = nil
            }
            kind = compare(.userBucket(saltPrefix: prefix, idType: idType))
        case "unit_id": kind = compare(.unitID(idType))
        case "target_app": kind = compare(.targetApp)
        default:
            // Unsupported: the spec is dropped before it can be evaluated.
            kind = .pass
        }
        self.loadFailed = loadFailed
    }
}
