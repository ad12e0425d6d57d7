import KVReplayCheck
import KVReplayEvaluation
import KVReplayModel
import Testing

enum Payloads {
    /// A gate rolled out to `percent`, an email gate, and an experiment with a 50/50 split.
    static func make(percent: Double, control: Int = 500) -> CheckPayload {
        let text = """
        {"has_updates": true, "time": 1, "feature_gates": [
          {"name": "rollout", "type": "feature_gate", "entity": "feature_gate", "salt": "s1", "enabled": true, "defaultValue": false, "idType": "userID",
           "rules": [{"name": "r", "id": "r", "salt": "r", "passPercentage": \(percent), "returnValue": true, "idType": "userID",
                      "conditions": [{"type": "public", "idType": "userID"}]}]},
          {"name": "staff", "type": "feature_gate", "entity": "feature_gate", "salt": "s2", "enabled": true, "defaultValue": false, "idType": "userID",
           "rules": [{"name": "staff-rule", "id": "staff-rule", "passPercentage": 100, "returnValue": true, "idType": "userID",
                      "conditions": [{"type": "user_field", "field": "email", "operator": "str_ends_with_any", "targetValue": ["@corp.com"], "idType": "userID"}]}]}],
         "dynamic_configs": [
          {"name": "exp", "type": "dynamic_config", "entity": "experiment", "salt": "exp", "enabled": true, "defaultValue": {}, "idType": "userID", "isActive": true,
           "rules": [{"name": "c", "id": "c", "passPercentage": 100, "returnValue": {"v": 1}, "idType": "userID", "groupName": "Control", "isExperimentGroup": true,
                      "conditions": [{"type": "user_bucket", "operator": "lt", "targetValue": \(control), "additionalValues": {"salt": "exp"}, "idType": "userID"}]},
                     {"name": "t", "id": "t", "passPercentage": 100, "returnValue": {"v": 2}, "idType": "userID", "groupName": "Test", "isExperimentGroup": true,
                      "conditions": [{"type": "user_bucket", "operator": "lt", "targetValue": 1000, "additionalValues": {"salt": "exp"}, "idType": "userID"}]}]}],
         "layer_configs": []}
        """
        return CheckPayload(name: "p\(percent)", specs: try! ConfigSpecs(jsonBytes: Array(text.utf8), source: "t"), bytes: text.utf8.count)
    }

    static let users: [StatsigUser] = (0..<2000).map { i in
        StatsigUser(userID: .string("u\(i)"), email: .string(i % 10 == 0 ? "u\(i)@corp.com" : "u\(i)@x.com"))
    }
}

@Suite struct CheckTests {
    func run(_ options: CheckOptions, from: Double = 10, to: Double = 20) -> CheckReport {
        RegressionCheck.run(baseline: Payloads.make(percent: from), candidate: Payloads.make(percent: to), users: Payloads.users, options: options)
    }

    @Test func countsChangedUsersPerEntity() {
        let report = run(CheckOptions(now: 0))
        let rollout = report.entities.first { $0.entity.name == "rollout" }!
        // Users whose bucket lies in [1000, 2000) of 10000 move from false to true: about 10%.
        #expect(rollout.changed > 150 && rollout.changed < 250)
        #expect(rollout.valueChanged == rollout.changed && rollout.ruleChanged == 0)
        #expect(report.entities.first { $0.entity.name == "staff" }!.status == .unchanged)
        #expect(report.usersChanged == rollout.changed)
        #expect(report.passed)
    }

    @Test func thresholdsFailWhenCrossed() {
        var o = CheckOptions(now: 0)
        o.maxChangedRate = 0.05
        o.maxChangedRateFor = ["rollout": 0.5, "staff": 0]
        o.maxPayloadPercent = 0.0001
        let report = run(o)
        let byName = Dictionary(uniqueKeysWithValues: report.checks.map { ($0.name, $0.passed) })
        #expect(byName["changed users <= 5.00%"] == false)
        #expect(byName["gate rollout changed users <= 50.00%"] == true)
        #expect(byName["gate staff changed users <= 0.00%"] == true)
        #expect(report.checks.contains { $0.name.hasPrefix("candidate payload") && !$0.passed })
        #expect(!report.passed)
    }

    @Test func everyExpectationKind() throws {
        let text = """
        [{"user_id": "u0", "gate": "staff", "passes": true},
         {"user": {"userID": "x", "email": "x@x.com"}, "gate": "staff", "passes": true, "name": "outsider is staff"},
         {"gate": "rollout", "pass_rate": {"min": 0.15, "max": 0.25}},
         {"gate": "rollout", "pass_rate": {"min": 0.5, "max": 1}},
         {"experiment": "exp", "split_within": 0.05},
         {"entity": "staff", "unchanged": true},
         {"entity": "rollout", "unchanged": true},
         {"user_id": "nobody", "gate": "staff", "passes": false}]
        """
        var o = CheckOptions(now: 0)
        o.expectations = try Expectation.parse(Array(text.utf8), source: "e.json")
        let results = run(o).checks.map(\.passed)
        #expect(results == [true, false, true, false, true, true, false, false])
        // A skewed allocation (30/70) fails the split check when the tolerance is tight.
        o.expectations = [.split(name: "split", experiment: "exp", tolerance: 0.05)]
        let skewed = RegressionCheck.run(baseline: Payloads.make(percent: 10), candidate: Payloads.make(percent: 10, control: 300),
                                         users: Payloads.users, options: o)
        #expect(skewed.checks.map(\.passed) == [true])
    }

    @Test(arguments: [
        (#"{}"#, #"e.json: expected an array of expectations or {"expectations": [...]}"#),
        (#"[{"gate": "g"}]"#, "e.json: expectation 1: unknown assertion (use user/user_id, pass_rate, split_within or unchanged)"),
        (#"[{"user_id": "u", "gate": "g"}]"#, #"e.json: expectation 1: says nothing to check (give "passes", "rule_id" or "group")"#),
        (#"[{"gate": "g", "pass_rate": {"min": 2}}]"#, "e.json: expectation 1: pass_rate needs 0 <= min <= max <= 1"),
    ])
    func badExpectationsNameTheProblem(text: String, message: String) {
        #expect(throws: ExpectationError.self) { try Expectation.parse(Array(text.utf8), source: "e.json") }
        do { _ = try Expectation.parse(Array(text.utf8), source: "e.json") } catch { #expect(error.message == message) }
    }

    @Test func junitHasOneCasePerCheckAndEscapes() {
        var o = CheckOptions(now: 0)
        o.maxChangedRateFor = ["rollout": 0]
        let xml = run(o).junit()
        #expect(xml.contains("tests=\"1\" failures=\"1\""))
        #expect(xml.contains("<failure message="))
        #expect(xml.contains("&lt;= 0.00%"))
    }
}
