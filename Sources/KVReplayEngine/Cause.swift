public import KVReplayModel

/// Why an audited exposure is not a match: the first step where the logged answer and the replayed one part.
///
/// A small structured value: a kind (open: later stages add their own, such as the edge profile's), an optional
/// qualifier, and detail fields. Its stable short text, ``code``, is what `kvreplay audit --cause` filters on and
/// what reports group by: `condition:ip_based/eq/country`, `rule-removed`, `pass-percentage`, `spec-missing`,
/// `disabled`, `user-unknown`, `list-missing:fraud_ring`, `newer-config:pass-percentage`, `no-snapshot`.
public struct Cause: Sendable, Equatable {
    /// The family of a cause. Open: any string is a kind; the constants below are the audit's own.
    public struct Kind: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }

        /// A condition of a rule answers differently for the user (qualifier `type/operator/field`).
        public static let condition = Kind(rawValue: "condition")
        /// The logged rule is not in the config the edge served (it is in another captured config).
        public static let ruleRemoved = Kind(rawValue: "rule-removed")
        /// The logged rule is only in configs published after the one served: the edge ran a newer config than its lcut says.
        public static let ruleFromNewerConfig = Kind(rawValue: "rule-from-newer-config")
        /// The same rule, another value, with no pass percentage in between: the logged value contradicts the logged rule.
        public static let ruleValue = Kind(rawValue: "rule-value")
        /// The logged rule is in no captured config.
        public static let ruleUnknown = Kind(rawValue: "rule-unknown")
        /// The same rule matched; its pass percentage gives the user the other value.
        public static let passPercentage = Kind(rawValue: "pass-percentage")
        /// The served config has no spec of that name (the SDK answers "unrecognized").
        public static let specMissing = Kind(rawValue: "spec-missing")
        /// The edge answered as if it did not have the spec (rule `""`); the served config has it.
        public static let unrecognized = Kind(rawValue: "unrecognized")
        /// The served config has the spec disabled (qualifier `edge`: the edge treated it as disabled, the replay's SDK does not).
        public static let disabled = Kind(rawValue: "disabled")
        /// The same rule matched with the same value; the group name differs.
        public static let group = Kind(rawValue: "group")
        /// Layers: the same rule, another allocated experiment.
        public static let allocation = Kind(rawValue: "allocation")
        /// The rule's condition raised or is not supported by the evaluator.
        public static let conditionError = Kind(rawValue: "condition-error")
        /// The exposure's user could not be matched to the population.
        public static let userUnknown = Kind(rawValue: "user-unknown")
        /// The answer reads an ID list the database lacks (qualifier: its name).
        public static let listMissing = Kind(rawValue: "list-missing")
        /// Stale: a newer config, already published, answers differently (qualifier: what changed).
        public static let newerConfig = Kind(rawValue: "newer-config")
        /// No captured config was in force at the event time.
        public static let noSnapshot = Kind(rawValue: "no-snapshot")
        /// None of the above explains the difference.
        public static let unexplained = Kind(rawValue: "unexplained")
    }

    public var kind: Kind
    public var qualifier: String?
    /// Detail fields in a fixed order (`rule`, `condition_type`, `operator`, `field`, `user_value`, `target`, …),
    /// with `summary`, one sentence an operator can read.
    public var detail: JSONObject

    public init(_ kind: Kind, _ qualifier: String? = nil, summary: String, _ detail: [(String, JSONValue)] = []) {
        self.kind = kind
        self.qualifier = qualifier
        self.detail = JSONObject([("summary", JSONValue.string(summary))] + detail)
    }

    /// Rebuilds a cause read from the database (its code and detail object).
    public init(code: String, detail: JSONObject) {
        if let i = code.firstIndex(of: ":") {
            kind = Kind(rawValue: String(code[..<i]))
            qualifier = String(code[code.index(after: i)...])
        } else {
            kind = Kind(rawValue: code)
            qualifier = nil
        }
        self.detail = detail
    }

    /// The stable short text: `kind` or `kind:qualifier`.
    public var code: String { qualifier.map { "\(kind.rawValue):\($0)" } ?? kind.rawValue }

    public var summary: String { detail["summary"]?.stringValue ?? code }

    /// The detail as compact JSON, as stored in `audit.cause_detail`.
    public var detailJSON: String { JSONWriter(style: .serde).string(.object(detail)) }

    /// Whether `filter` selects this cause: the exact code, or a prefix ending at a `:` or `/` boundary
    /// (`condition` selects every `condition:…`, `condition:ip_based` every operator of that type).
    public static func matches(code: String, filter: String) -> Bool {
        if code == filter { return true }
        guard code.hasPrefix(filter) else { return false }
        let next = code[code.index(code.startIndex, offsetBy: filter.count)]
        return next == ":" || next == "/"
    }
}
