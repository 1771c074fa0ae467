import Foundation
import Testing
@testable import Policy

/// Replays OpenBao's recorded `sys/capabilities` answers (tests/acl-oracle/cases.json, made by record.py)
/// against Coffer's ACL.
@Suite("ACL matches OpenBao's recorded answers")
struct ACLOracleTests {
    struct Oracle: Decodable {
        struct Case: Decodable {
            var policies: [String]
            var path: String
            var capabilities: [String]
        }

        var openbao_version: String
        var policies: [String: String]
        var cases: [Case]
    }

    static func loadOracle() throws -> Oracle {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/acl-oracle/cases.json")
        return try JSONDecoder().decode(Oracle.self, from: Data(contentsOf: url))
    }

    /// What `sys/capabilities` would print for this ACL: `root`, `deny` for no match or a deny, else the list.
    static func wireAnswer(_ acl: ACL, _ path: String) -> [String] {
        if acl.isRoot { return ["root"] }
        let held = acl.capabilities(for: path)
        if held.isEmpty || held.contains(.deny) { return ["deny"] }
        return held.map(\.rawValue).sorted()
    }

    static func policy(named name: String, oracle: Oracle) throws -> Policy {
        switch name {
        case "default": return Policy.defaultPolicy
        case "root": return Policy.root
        default:
            let text = try #require(oracle.policies[name], "cases.json has no text for policy \(name)")
            return try Policy.parse(name: name, text: text)
        }
    }

    @Test func everyRecordedCaseMatches() throws {
        let oracle = try Self.loadOracle()
        #expect(oracle.openbao_version.hasPrefix("2.7"))
        #expect(oracle.cases.count >= 150)
        var compiled: [[String]: ACL] = [:]
        var mismatches = 0
        for testCase in oracle.cases {
            let acl: ACL
            if let cached = compiled[testCase.policies] {
                acl = cached
            } else {
                acl = ACL(policies: try testCase.policies.map { try Self.policy(named: $0, oracle: oracle) })
                compiled[testCase.policies] = acl
            }
            let ours = Self.wireAnswer(acl, testCase.path)
            if ours != testCase.capabilities {
                mismatches += 1
                let chosen = acl.match(for: testCase.path, operation: .list)?.pattern ?? "none"
                Issue.record("""
                    \(testCase.policies) \(testCase.path): OpenBao \(testCase.capabilities), \
                    Coffer \(ours) (pattern \(chosen))
                    """)
            }
        }
        print("ACL oracle: \(oracle.cases.count - mismatches)/\(oracle.cases.count) cases match OpenBao")
    }

    @Test func recordedPoliciesIncludeTheTradingDesign() throws {
        let oracle = try Self.loadOracle()
        let trading = try Policy.parse(name: "trading", text: try #require(oracle.policies["trading"]))
        #expect(trading.rules.map(\.pattern).contains("secret/data/trading/exchange-keys/+"))
        #expect(oracle.cases.contains { $0.policies == ["trading"] })
    }
}
