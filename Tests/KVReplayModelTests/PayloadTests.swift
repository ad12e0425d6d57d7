import KVReplayModel
import Testing

@Suite struct PayloadTests {
    static let v1 = #"""
    {"has_updates": true, "time": 1700000000000, "feature_gates": [
      {"name": "g", "type": "feature_gate", "entity": "feature_gate", "salt": "s", "enabled": true, "defaultValue": false,
       "idType": "userID", "rules": [{"name": "r", "id": "r", "salt": "", "passPercentage": 100, "returnValue": true,
       "idType": "userID", "conditions": [{"type": "public", "operator": null, "targetValue": null, "idType": "userID"}]}]},
      {"name": "broken", "type": "feature_gate", "entity": "feature_gate", "enabled": true, "defaultValue": false,
       "idType": "userID", "rules": []}
    ], "dynamic_configs": [], "layer_configs": [], "layers": {"l": ["e"]}}
    """#

    @Test func v1IsDetectedAndInvalidSpecsAreListed() throws {
        let specs = try ConfigSpecs(jsonBytes: Array(Self.v1.utf8), source: "a.json")
        #expect(specs.format == .v1)
        #expect(specs.time == 1_700_000_000_000)
        #expect(specs.featureGates.map(\.name) == ["g"])
        #expect(specs.invalidSpecs.map(\.name) == ["broken"])
        #expect(specs.invalidSpecs.first?.problem == "spec has no \"salt\"")
        #expect(specs.experimentToLayer == ["e": "l"])
        #expect(specs.featureGates[0].rules[0].salt == "")
    }

    @Test func v2IsDetectedAndConditionKeysResolve() throws {
        let text = #"""
        {"response_format": "dcs-v2", "time": 1, "feature_gates": {"g": {"type": "feature_gate", "entity": "feature_gate",
          "salt": "s", "enabled": true, "defaultValue": false, "idType": "userID", "rules": [{"name": "r", "id": "r",
          "passPercentage": 100, "returnValue": true, "idType": "userID", "conditions": ["1", "2"]}]}},
         "condition_map": {"1": {"type": "public", "idType": "userID"}}, "dynamic_configs": {}, "layer_configs": {},
         "experiment_to_layer": {"e": "l"}}
        """#
        let specs = try ConfigSpecs(jsonBytes: Array(text.utf8), source: "b.json")
        #expect(specs.format == .v2)
        let rule = specs.featureGates[0].rules[0]
        #expect(rule.salt == nil)
        #expect(rule.conditions.count == 2)
        if case .missing(let key) = rule.conditions[1] { #expect(key == "2") } else { Issue.record("expected a missing key") }
    }

    @Test(arguments: [
        ("not json", "bad.json: not valid JSON (line 1, column 1: invalid literal)"),
        ("[]", "bad.json: a config-specs payload is a JSON object, found an array"),
        ("{\"time\": 1}", "bad.json: not a config-specs payload: none of feature_gates, dynamic_configs, layer_configs is present"),
        ("{\"feature_gates\": 5}", "bad.json: feature_gates is a number, expected an array (dcs-v1)"),
    ])
    func unusablePayloadsNameTheFile(text: String, message: String) {
        do {
            _ = try ConfigSpecs(jsonBytes: Array(text.utf8), source: "bad.json")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func noUpdatesIsNotAnError() throws {
        let specs = try ConfigSpecs(jsonBytes: Array(#"{"has_updates": false}"#.utf8), source: "n.json")
        #expect(!specs.hasUpdates)
        #expect(specs.allSpecs.isEmpty)
    }

    @Test func userErrorsNameTheField() throws {
        #expect(throws: UserError(field: "custom", problem: "is a string, expected an object")) {
            try StatsigUser(json: JSONParser.parse(#"{"userID": "a", "custom": "x"}"#))
        }
        #expect(throws: UserError(field: "email", problem: "is an array, expected a string")) {
            try StatsigUser(json: JSONParser.parse(#"{"email": []}"#))
        }
        let u = try StatsigUser(json: JSONParser.parse(#"{"userID": 42, "customIDs": {"stableID": "s"}, "extra": 1}"#))
        #expect(u.userID == .int(42))
        #expect(u.customIDs?["stableID"] == .string("s"))
    }
}
