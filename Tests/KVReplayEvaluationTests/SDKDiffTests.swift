import Foundation
import KVReplayIO
import KVReplayModel
import Testing

@testable import KVReplayEvaluation

/// `SDKDiff` against the two oracles: on corpora where both SDKs' records are committed, the per-entity counts of users
/// whose value, rule ID or group name differ must be exactly those the oracles' outputs give.
struct SDKDiffTests {
    struct Counts: Equatable, CustomStringConvertible {
        var value = 0, rule = 0, group = 0, differing = 0
        var description: String { "value \(value), rule \(rule), group \(group), differing \(differing)" }
    }

    /// Counts from `expected.core` vs `expected.<sdk>` (`python` or `node`). A record with an `error` key (a user the
    /// SDK rejects) stands for kvreplay's documented result: value false / {}, rule "", no group. The core reports no
    /// group for gates and plain configs; the group is compared only where both records carry one.
    static func expectedCounts(_ corpus: OracleCorpus, sdk: String = "python") throws -> [String: Counts] {
        let core = try #require(try corpus.expected("core"))
        let python = try #require(try corpus.expected(sdk))
        let byKey = Dictionary(uniqueKeysWithValues: python.map { ($0.key, $0.record) })
        var out: [String: Counts] = [:]
        for (key, c) in core {
            var p = try #require(byKey[key])
            let entity = "\(c["kind"]!.stringValue!)/\(c["name"]!.stringValue!)"
            if p["error"] != nil {
                p["value"] = c["kind"]?.stringValue == "gate" ? .bool(false) : .object(JSONObject())
                p["rule_id"] = ""
                p["group_name"] = .null
            }
            var n = out[entity] ?? Counts()
            let value = c["value"] != p["value"]
            let rule = c["rule_id"] != p["rule_id"]
            let group = c["group_name"] != nil && p["group_name"] != nil && c["group_name"] != p["group_name"]
            if value { n.value += 1 }
            if rule { n.rule += 1 }
            if group { n.group += 1 }
            if value || rule || group { n.differing += 1 }
            out[entity] = n
        }
        return out
    }

    @Test(arguments: ["gen_divergent_v1", "gen_legacy_edges_v1", "gen_operator_matrix_v1", "gen_node_v1", "gen_unsupported_v1"],
          [SDKFlavor.legacy, .node])
    func countsMatchTheOracles(_ name: String, _ from: SDKFlavor) throws {
        let corpus = OracleCorpus(name)
        let expected = try Self.expectedCounts(corpus, sdk: from == .legacy ? "python" : "node")
        let evaluator = try corpus.evaluator(flavor: .core)
        let users = try corpus.users()
        let report = SDKDiff.run(payload: evaluator.payload, users: users.users, indices: users.indices,
                                 options: evaluator.options, from: from, to: .core, threads: 2)
        #expect(report.from == from && report.to == .core)
        #expect(report.users == users.users.count)
        var mismatches: [String] = []
        for e in report.entities {
            let key = "\(e.entity.kind.rawValue)/\(e.entity.name)"
            let want = expected[key] ?? Counts()
            // Group names the core oracle cannot show (gates, plain configs) differ only with the rule, so every
            // count but `group` is exact; `group` is exact for experiments and layers.
            let groupVisible = e.entity.kind == .experiment || e.entity.kind == .layer
            let got = Counts(value: e.valueDiffers, rule: e.ruleDiffers, group: groupVisible ? e.groupDiffers : want.group,
                             differing: e.differing)
            if got != want {
                mismatches.append("\(key): sdk-diff \(got) vs oracles \(want)")
            }
            #expect(e.causes.values.reduce(0, +) == e.differing)
            #expect(e.examples.count == min(5, e.differing))
            #expect(e.examples.map(\.u) == e.examples.map(\.u).sorted())
        }
        let differingEntities = expected.filter { $0.value.differing > 0 }.count
        #expect(report.entities.filter { $0.differing > 0 }.count == differingEntities)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    @Test func causesOnTheDivergentCorpus() throws {
        let corpus = OracleCorpus("gen_divergent_v1")
        let evaluator = try corpus.evaluator(flavor: .core)
        let users = try corpus.users()
        let report = SDKDiff.run(payload: evaluator.payload, users: users.users, options: evaluator.options, from: .legacy, threads: 1)
        func causes(_ name: String) -> [String] {
            report.entities.first { $0.entity.name == name }.map { $0.sortedCauses.map(\.cause) } ?? []
        }
        #expect(causes("edge_ip_country_none") == ["condition ip_based/none (country)"])
        #expect(causes("edge_disabled_with_rules") == ["disabled spec: legacy skips its rules (edge_disabled_with_rules)"])
        #expect(causes("edge_default_true") == ["gate boolean: core returnValue/defaultValue, legacy SDKs pass/fail"])
        #expect(causes("edge_regex_invalid") == ["condition raised in legacy (rule `error`): user_field/str_matches (email)"])
        #expect(causes("edge_multi_pass_gate") == ["unsupported in core: unknown condition type \"multi_pass_gate\""])
        #expect(causes("edge_experiment_group").first?.hasPrefix("spec dropped by the legacy SDK") == true)
        // Deterministic whatever the thread count.
        let again = SDKDiff.run(payload: evaluator.payload, users: users.users, options: evaluator.options, from: .legacy, threads: 2)
        #expect(again.entities == report.entities)
    }
}
