import KVReplayModel

/// A user field name as the legacy SDK's `__get_from_user` resolves it.
final class LegacyField: Sendable {
    /// Index of this name in the payload's field table (`LegacyFieldTable`): the per-user lookup cache slot.
    let id: Int
    let name: String
    let exact: ExactString
    /// `field.casefold()` (the `custom` fallback key).
    let folded: ExactString
    /// `field.lower()` (the `privateAttributes` fallback key, the top-level match, the user-agent field).
    let lowered: String
    let loweredExact: ExactString
    let top: LegacyTopField?
    /// `field == "country"`: an `ip_based` condition on it falls back to the country of the user's `ip`.
    let isCountry: Bool

    init(_ name: String, id: Int) {
        self.id = id
        self.name = name
        exact = ExactString(name)
        folded = ExactString(Python.casefold(name))
        lowered = Python.lower(name)
        loweredExact = ExactString(lowered)
        top = LegacyTopField(lowered: lowered)
        isCountry = name.utf8.elementsEqual("country".utf8)
    }

    static let ip = LegacyField("ip", id: 0)
    static let userAgent = LegacyField("userAgent", id: 1)
}

/// The user field names a payload's legacy conditions read, numbered (`ip` and `userAgent` first, for the country and
/// user-agent lookups). Built while compiling.
final class LegacyFieldTable {
    private(set) var fields: [LegacyField] = [LegacyField.ip, LegacyField.userAgent]
    private var byName: [ExactString: LegacyField] = [ExactString("ip"): LegacyField.ip, ExactString("userAgent"): LegacyField.userAgent]

    func field(_ name: String) -> LegacyField {
        if let f = byName[ExactString(name)] { return f }
        let f = LegacyField(name, id: fields.count)
        fields.append(f)
        byName[ExactString(name)] = f
        return f
    }

    var count: Int { fields.count }

    private var idTypes: [ExactString: LegacyIDType] = [:]

    /// The shared `LegacyIDType` of an ID type name.
    func idType(_ name: String) -> LegacyIDType {
        if let t = idTypes[ExactString(name)] { return t }
        let t = LegacyIDType(name, id: idTypes.count)
        idTypes[ExactString(name)] = t
        return t
    }

    var idTypeCount: Int { idTypes.count }
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
    /// Index in the payload's ID-type table: the per-user unit ID cache slot.
    let id: Int
    let exact: ExactString
    let lowered: ExactString
    let isUserID: Bool

    init(_ name: String, id: Int) {
        self.id = id
        exact = ExactString(name)
        let l = Python.lower(name)
        lowered = ExactString(l)
        isUserID = l == "userid"
    }
}

/// A condition's `targetValue` with the views the legacy operators read, converted once.
final class LegacyTarget: Sendable {
    enum Strings: Sendable {
        case none
        case raises
        /// The elements, in `matchList`.
        case list
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
    /// `matchStrings`' list as bytes (unretained; `matchList` keeps it alive).
    let matchList: ByteStringList?
    let matchListRef: Unmanaged<ByteStringList>?
    /// `fast_target_value` of `any`/`none`: `str(v).casefold()` of list elements.
    let caselessSet: ByteStringSet?
    /// `fast_target_value` of `any_case_sensitive`/`none_case_sensitive`: `str(v)` of list elements.
    let exactSet: ByteStringSet?
    /// The two sets unretained (kept alive by them).
    let caselessSetRef: Unmanaged<ByteStringSet>?
    let exactSetRef: Unmanaged<ByteStringSet>?
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
        // Built for the operators that read it only (a target can be a large inline list).
        let readsMatchStrings = [Operator.startsWithAny, .endsWithAny, .containsAny, .containsNone].contains(exactOperator)
        switch json {
        case .null:
            matchStrings = .none
            matchList = nil
        case .bool, .int, .double:
            matchStrings = .raises
            matchList = nil
        default:
            matchStrings = .list
            matchList = readsMatchStrings
                ? ByteStringList((iterate(json) ?? []).compactMap { $0.isNull ? nil : Python.casefold(Python.str($0)) }) : nil
        }
        matchListRef = matchList.map { Unmanaged.passUnretained($0) }

        var caseless: ByteStringSet? = nil, exact: ByteStringSet? = nil
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
                caseless = ByteStringSet(list.map { Python.casefold(Python.str($0)) })
            } else if op == "any_case_sensitive" || op == "none_case_sensitive" {
                exact = ByteStringSet(list.map { Python.str($0) })
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
        caselessSetRef = caseless.map { Unmanaged.passUnretained($0) }
        exactSetRef = exact.map { Unmanaged.passUnretained($0) }
        self.arrayKeys = arrayKeys
        bucketSet = buckets
        if exactOperator == .matches, let s {
            regex = PythonRegex(s, bounded: true)
            regexInvalid = regex == nil
        } else {
            regex = nil
            regexInvalid = false
        }
    }
}

/// A condition as the legacy SDK evaluates it, compiled from the condition object with `dict.get` semantics.
/// Stored flat (a tag and the fields each kind uses) so that evaluating it copies nothing.
final class LegacyCondition: @unchecked Sendable {
    enum Kind: UInt8, Sendable {
        /// `public`.
        case pass
        /// `pass_gate` / `fail_gate` on `targetValue` (any JSON value).
        case gate
        /// `multi_pass_gate` / `multi_fail_gate`.
        case multiGate
        /// A user-side value compared by an operator.
        case compare
    }

    /// Where a comparison's user-side value comes from (`__evaluate_condition`).
    enum Source: UInt8, Sendable {
        case none, ipBased, uaBased, userField, currentTime, environment, userBucket, unitID, targetApp
    }

    let kind: Kind
    /// The SDK drops the whole spec at load time: a type or operator (lower-cased) it does not support.
    let unsupported: Bool
    /// The SDK cannot load the payload because of this condition.
    let loadFailed: Bool

    // gate / multiGate
    let gateTarget: JSONValue
    /// The gate's name when `targetValue` is a string.
    let gateName: String?
    let gateIndex: Int?
    /// A list or dict: the SDK's override lookup raises on it.
    let gateUnhashable: Bool
    /// A `targetValue` that is not a string, as the exposure's `gate` (JSON text).
    let gateRawName: String?
    /// `fail_gate`; for multi gates, `multi_fail_gate`.
    let negate: Bool

    // compare
    let source: Source
    /// The field name; nil for a `null` `field`, on which the field-reading sources raise.
    let field: LegacyField?
    let idType: LegacyIDType
    /// `field` and `idType` for the hot path, unretained (kept alive by the fields above), so that no reference count
    /// shared by the threads is touched.
    let fieldRef: Unmanaged<LegacyField>?
    let idTypeRef: Unmanaged<LegacyIDType>
    /// `user_bucket`: `"<str(salt) or ''>."` in memory of its own (freed with the condition); nil when
    /// `additionalValues` is `null` (the SDK raises on `.get`).
    let saltPrefixBytes: UnsafeBufferPointer<UInt8>?
    /// The operator, matched case-sensitively; nil evaluates to false.
    let op: Operator?
    let target: LegacyTarget?
    /// `target` unretained, for the hot path (`target` keeps it alive).
    let targetRef: Unmanaged<LegacyTarget>?

    deinit { saltPrefixBytes?.deallocate() }

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

    init(_ c: Condition, gateIndex gates: [String: Int], fields: LegacyFieldTable) {
        let raw = c.raw
        let type = Python.lower(c.type)
        let opName = c.operator
        let loweredOp = opName.map(Python.lower)
        unsupported = !LegacyCondition.supportedTypes.contains(type)
            || loweredOp.map { !LegacyCondition.supportedOperators.contains($0) } ?? false
        let targetJSON = raw["targetValue"] ?? .null
        idType = fields.idType(c.idType)
        op = opName.flatMap(Operator.init(rawValue:))
        gateTarget = targetJSON
        gateName = targetJSON.stringValue
        gateIndex = gateName.flatMap { gates[$0] }
        gateUnhashable = targetJSON.arrayValue != nil || targetJSON.objectValue != nil
        gateRawName = gateName == nil ? JSONWriter(style: .python).string(targetJSON) : nil
        negate = type == "fail_gate" || type == "multi_fail_gate"
        // `condition.get("field", "")`: absent → "", null → None.
        field = raw["field"].map { $0.stringValue.map(fields.field) } ?? fields.field("")
        var prefix: [UInt8]? = nil
        var loadFailed = false
        switch type {
        case "public": kind = .pass; source = .none
        case "pass_gate", "fail_gate": kind = .gate; source = .none
        case "multi_pass_gate", "multi_fail_gate": kind = .multiGate; source = .none
        case "ip_based": kind = .compare; source = .ipBased
        case "ua_based": kind = .compare; source = .uaBased
        case "user_field": kind = .compare; source = .userField
        case "current_time": kind = .compare; source = .currentTime
        case "environment_field": kind = .compare; source = .environment
        case "user_bucket":
            kind = .compare
            source = .userBucket
            // `condition.get("additionalValues", {"salt": None}).get("salt")`; `str(salt) or ""`.
            switch raw["additionalValues"] {
            case nil: prefix = Array(".".utf8)
            case .object(let o)?:
                let salt = o["salt"].map { $0.isNull ? "" : Python.str($0) } ?? ""
                prefix = Array("\(salt).".utf8)
            default: prefix = nil
            }
        case "unit_id": kind = .compare; source = .unitID
        case "target_app": kind = .compare; source = .targetApp
        default:
            // Unsupported: the spec is dropped before it can be evaluated.
            kind = .pass
            source = .none
        }
        saltPrefixBytes = prefix.map(ownedCopy)
        fieldRef = field.map { Unmanaged.passUnretained($0) }
        idTypeRef = Unmanaged.passUnretained(idType)
        if kind == .compare {
            target = LegacyTarget(targetJSON, loadValue: raw["targetValue"] ?? .array([]), type: type, loweredOperator: loweredOp,
                                  exactOperator: op, loadFailed: &loadFailed)
        } else {
            target = nil
        }
        targetRef = target.map { Unmanaged.passUnretained($0) }
        self.loadFailed = loadFailed
    }
}
