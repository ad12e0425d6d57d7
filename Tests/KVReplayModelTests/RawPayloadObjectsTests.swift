import KVReplayModel
import Testing

/// The legacy flavour reads conditions and rules with Python's `dict.get`, which tells an absent key from a null one;
/// the decoded payload keeps each object as read.
struct RawPayloadObjectsTests {
    @Test func conditionsAndRulesKeepTheirObjects() throws {
        let text = #"""
        {"feature_gates": [{"name": "g", "type": "feature_gate", "entity": "feature_gate", "salt": "s", "enabled": true,
          "defaultValue": false, "idType": "userID", "rules": [
            {"name": "r", "id": "r", "salt": null, "passPercentage": 100, "returnValue": true, "idType": "userID",
             "conditions": [{"type": "user_field", "field": null, "operator": "any", "targetValue": ["a"], "idType": "userID"},
                            {"type": "user_bucket", "operator": "lt", "targetValue": 5, "idType": "userID"}]}]}],
         "dynamic_configs": [], "layer_configs": []}
        """#
        let specs = try ConfigSpecs(jsonBytes: Array(text.utf8), source: "test")
        let rule = try #require(specs.featureGates.first?.rules.first)
        #expect(rule.salt == nil && rule.raw["salt"] == .null)
        guard case .condition(let first) = rule.conditions[0], case .condition(let second) = rule.conditions[1] else {
            Issue.record("conditions not decoded")
            return
        }
        #expect(first.field == nil && first.raw["field"] == .null)
        #expect(second.field == nil && second.raw["field"] == nil)
        #expect(second.raw["additionalValues"] == nil)
    }
}
