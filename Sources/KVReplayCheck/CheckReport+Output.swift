public import KVReplayModel
import Foundation
import KVReplayEngine

extension CheckReport {
    /// The readable summary.
    public func text() -> String {
        var lines: [String] = []
        lines.append("kvreplay check: \(candidate) against \(baseline), \(users) users")
        lines.append("users changed: \(usersChanged) (\(RegressionCheck.percent(usersChangedRate)))")
        let interesting = entities.filter { $0.status != .unchanged }
        if interesting.isEmpty {
            lines.append("no entity changes for any user")
        } else {
            lines.append("")
            lines.append("entity                                   status     changed   value    rule   group")
            for c in interesting {
                let name = "\(c.entity.kind.rawValue) \(c.entity.name)"
                lines.append(name.padding(toLength: max(40, name.count), withPad: " ", startingAt: 0) + " "
                             + c.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                             + String(format: "%8d %7d %7d %7d", c.changed, c.valueChanged, c.ruleChanged, c.groupChanged))
                for x in c.examples {
                    lines.append("    \(x.user): \(describe(x.before)) -> \(describe(x.after))")
                }
            }
        }
        if !checks.isEmpty {
            lines.append("")
            for c in checks { lines.append("\(c.passed ? "PASS" : "FAIL")  \(c.name): \(c.message)") }
        }
        lines.append("")
        lines.append(passed ? "all checks passed" : "\(checks.filter { !$0.passed }.count) check(s) failed")
        return lines.joined(separator: "\n") + "\n"
    }

    func describe(_ o: Outcome) -> String {
        "\(JSONWriter().string(o.value)) (rule \(o.ruleID.isEmpty ? "\"\"" : o.ruleID)\(o.groupName.map { ", group \($0)" } ?? ""))"
    }

    /// Stable JSON for scripts.
    public func json() -> JSONValue {
        func outcome(_ o: Outcome) -> JSONValue {
            .object(JSONObject([("value", o.value), ("rule_id", .string(o.ruleID)), ("group_name", o.groupName.map { JSONValue.string($0) } ?? .null)]))
        }
        let ents: [JSONValue] = entities.map { c in
            .object(JSONObject([
                ("kind", .string(c.entity.kind.rawValue)), ("name", .string(c.entity.name)), ("status", .string(c.status.rawValue)),
                ("users", .int(Int64(c.users))), ("changed", .int(Int64(c.changed))), ("value_changed", .int(Int64(c.valueChanged))),
                ("rule_changed", .int(Int64(c.ruleChanged))), ("group_changed", .int(Int64(c.groupChanged))),
                ("examples", .array(c.examples.map { .object(JSONObject([("user", .string($0.user)), ("before", outcome($0.before)), ("after", outcome($0.after))])) })),
            ]))
        }
        let cs: [JSONValue] = checks.map { .object(JSONObject([("name", .string($0.name)), ("passed", .bool($0.passed)), ("message", .string($0.message))])) }
        return .object(JSONObject([
            ("baseline", .string(baseline)), ("candidate", .string(candidate)), ("users", .int(Int64(users))),
            ("users_changed", .int(Int64(usersChanged))), ("candidate_bytes", .int(Int64(candidateBytes))),
            ("passed", .bool(passed)), ("checks", .array(cs)), ("entities", .array(ents)),
        ]))
    }

    /// GitHub Actions workflow commands: an error annotation per failed check, a notice per changed entity.
    public func github() -> String {
        var lines: [String] = []
        for c in entities where c.status != .unchanged {
            lines.append("::notice title=\(property("kvreplay check: " + c.entity.kind.rawValue + " " + c.entity.name))::\(escape("\(c.status.rawValue): \(c.changed) of \(c.users) users change (value \(c.valueChanged), rule \(c.ruleChanged), group \(c.groupChanged))"))")
        }
        for c in checks {
            lines.append("::\(c.passed ? "notice" : "error") title=\(property(c.name))::\(escape(c.message))")
        }
        lines.append(passed ? "::notice title=kvreplay check::all checks passed" : "::error title=kvreplay check::\(checks.filter { !$0.passed }.count) check(s) failed")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Workflow-command message data: `%`, CR and LF escaped.
    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// Workflow-command property values: also `:` and `,`.
    private func property(_ s: String) -> String {
        escape(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// JUnit XML: one test case per check (a suite with no checks gets one case for the comparison itself).
    public func junit() -> String {
        var cases = checks.map { ($0.name, $0.passed, $0.message) }
        if cases.isEmpty { cases = [("compare \(candidate) with \(baseline)", true, "\(usersChanged) of \(users) users change")] }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"kvreplay check\" tests=\"\(cases.count)\" failures=\"\(cases.filter { !$0.1 }.count)\">\n"
        x += "  <testsuite name=\"kvreplay check\" tests=\"\(cases.count)\" failures=\"\(cases.filter { !$0.1 }.count)\" errors=\"0\">\n"
        for (name, ok, message) in cases {
            x += "    <testcase classname=\"kvreplay.check\" name=\"\(name.xmlEscaped)\">\n"
            if ok {
                x += "      <system-out>\(message.xmlEscaped)</system-out>\n"
            } else {
                x += "      <failure message=\"\(message.xmlEscaped)\">\(message.xmlEscaped)</failure>\n"
            }
            x += "    </testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}

