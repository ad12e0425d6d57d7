package import KVReplayEngine
package import KVReplayEvaluation
package import KVReplayModel

/// A small project whose history we control: each snapshot is the base payload with a few edits.
package enum History {
    package static func gate(_ name: String, salt: String = "s", rules: [JSONValue], entity: String = "feature_gate") -> JSONValue {
        ["name": .string(name), "type": "feature_gate", "entity": .string(entity), "salt": .string(salt), "enabled": true,
         "defaultValue": false, "idType": "userID", "rules": .array(rules)]
    }

    package static func rule(_ id: String, pass: Double = 100, conditions: [JSONValue], returnValue: JSONValue = true,
                     group: String? = nil, delegate: String? = nil) -> JSONValue {
        var o = JSONObject()
        o["name"] = .string(id)
        o["id"] = .string(id)
        o["salt"] = .string(id + "-salt")
        o["passPercentage"] = .double(pass)
        o["idType"] = "userID"
        o["returnValue"] = returnValue
        o["conditions"] = .array(conditions)
        if let group { o["groupName"] = .string(group); o["isExperimentGroup"] = true }
        if let delegate { o["configDelegate"] = .string(delegate) }
        return .object(o)
    }

    package static func condition(_ type: String, _ op: String?, _ target: JSONValue, field: String? = nil, salt: String? = nil) -> JSONValue {
        var o = JSONObject()
        o["type"] = .string(type)
        o["operator"] = op.map { JSONValue.string($0) } ?? .null
        o["targetValue"] = target
        o["field"] = field.map { JSONValue.string($0) } ?? .null
        o["idType"] = "userID"
        if let salt { o["additionalValues"] = .object(JSONObject([("salt", .string(salt))])) }
        return .object(o)
    }

    package static let publicCondition = condition("public", nil, .null)

    /// Base payload with `ramp` at `rampPercent`, a nested gate, a time gate, an ID-list gate, an experiment and its layer.
    package static func payload(time: Int64, rampPercent: Double, extraGate: Bool = false, emailSuffix: String = "@a.com", hostile: Bool = false) -> ConfigSpecs {
        var gates: [JSONValue] = [
            gate("ramp", rules: [rule("ramp-rule", pass: rampPercent, conditions: [publicCondition])]),
            gate("nested", rules: [rule("nested-rule", conditions: [condition("pass_gate", nil, "ramp"), condition("user_field", "str_ends_with_any", .array([.string(emailSuffix)]), field: "email")])]),
            gate("emails", rules: [rule("emails-rule", conditions: [condition("user_field", "str_ends_with_any", .array([.string(emailSuffix)]), field: "email")])]),
            gate("after_2024", rules: [rule("time-rule", conditions: [condition("current_time", "after", .int(1_704_067_200_000))])]),
            gate("listed", rules: [rule("list-rule", conditions: [condition("unit_id", "in_segment_list", "beta")])]),
        ]
        if extraGate { gates.append(gate("extra", rules: [rule("extra-rule", pass: 30, conditions: [publicCondition])])) }
        if hostile { gates.append(gate("<script>alert('x')</script>|`", rules: [rule("<b>rule</b>", pass: 40, conditions: [publicCondition])])) }
        let experiment: JSONValue = [
            "name": "exp", "type": "dynamic_config", "entity": "experiment", "salt": "exp-salt", "enabled": true,
            "defaultValue": ["color": "grey"], "idType": "userID", "isActive": true, "hasSharedParams": true,
            "explicitParameters": ["color"],
            "rules": [
                rule("control", conditions: [condition("user_bucket", "lt", .int(500), salt: "exp-salt")], returnValue: ["color": "blue"], group: "Control"),
                rule("test", conditions: [condition("user_bucket", "lt", .int(1000), salt: "exp-salt")], returnValue: ["color": "red"], group: "Test"),
            ],
        ]
        let layer: JSONValue = [
            "name": "layer", "type": "dynamic_config", "entity": "layer", "salt": "layer-salt", "enabled": true,
            "defaultValue": ["color": "grey"], "idType": "userID",
            "rules": [rule("alloc", conditions: [condition("user_bucket", "lt", .int(800), salt: "layer-salt")], delegate: "exp")],
        ]
        let json: JSONValue = ["has_updates": true, "time": .int(time), "feature_gates": .array(gates),
                               "dynamic_configs": [experiment], "layer_configs": [layer], "layers": ["layer": ["exp"]]]
        return try! ConfigSpecs(json: json, source: "test")
    }

    package static func users(_ n: Int) -> [ReplayUser] {
        (0..<n).map { i in
            ReplayUser(id: Int64(i + 1), user: StatsigUser(userID: .string("user-\(i)"), email: .string(i % 3 == 0 ? "u\(i)@a.com" : "u\(i)@b.com")))
        }
    }

    package static let snapshots: [ReplaySnapshot] = [
        ReplaySnapshot(id: 1, sha256: "s1", lcut: 1_700_000_000_000, capturedAt: 1_700_000_100_000, specs: payload(time: 1_700_000_000_000, rampPercent: 10)),
        ReplaySnapshot(id: 2, sha256: "s2", lcut: 1_700_100_000_000, capturedAt: 1_700_100_100_000, specs: payload(time: 1_700_100_000_000, rampPercent: 50)),
        ReplaySnapshot(id: 3, sha256: "s3", lcut: 1_700_200_000_000, capturedAt: 1_700_200_100_000, specs: payload(time: 1_700_200_000_000, rampPercent: 50)),
        ReplaySnapshot(id: 4, sha256: "s4", lcut: 1_710_000_000_000, capturedAt: 1_710_000_100_000, specs: payload(time: 1_710_000_000_000, rampPercent: 50, extraGate: true, emailSuffix: "@b.com")),
    ]

    package static let idLists = IDLists(unitIDs: ["beta": (0..<40).map { "user-\($0 * 7)" }])
}

