import Foundation
import HCL
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

        struct ParseCase: Decodable {
            var text: String
            var accepted: Bool
            var errors: [String]
            var capabilities: [String: [String]]
        }

        var openbao_version: String
        var policies: [String: String]
        var cases: [Case]
        struct OperationCase: Decodable {
            var policies: [String]
            var path: String
            var status: [String: Int]
        }

        var parse_cases: [ParseCase]
        var operation_cases: [OperationCase]
        var operation_mounts: [String]

        struct ParameterCase: Decodable {
            var policies: [String]
            var path: String
            var operation: String
            var body: String
            var wrap_ttl: String?
            var status: Int
        }

        var parameter_cases: [ParameterCase]
        var coffer_refuses: [String]
        var openbao_default_policy: String
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

    @Test func acceptsAndRejectsTheSameDocumentsAsOpenBao() throws {
        let oracle = try Self.loadOracle()
        #expect(oracle.parse_cases.count >= 30)
        var deliberate = 0
        for probe in oracle.parse_cases {
            let refusedOnPurpose = oracle.coffer_refuses.contains { probe.text.contains($0) }
            let outcome: Result<Policy, PolicyError> = Result { () throws(PolicyError) in
                try Policy.parse(name: "probe", text: probe.text)
            }
            var accepted = false
            if case .success(let policy) = outcome {
                accepted = true
                let acl = ACL(policies: [policy])
                for (path, expected) in probe.capabilities.sorted(by: { $0.key < $1.key }) {
                    let ours = Self.wireAnswer(acl, path)
                    #expect(ours == expected, "\(probe.text) at \(path): OpenBao \(expected), Coffer \(ours)")
                }
            }
            if refusedOnPurpose {
                deliberate += 1
                #expect(!accepted, "Coffer should refuse unsupported restrictions: \(probe.text)")
            } else {
                #expect(accepted == probe.accepted, """
                    \(probe.text): OpenBao \(probe.accepted ? "accepts" : "rejects: \(probe.errors)"), \
                    Coffer \(accepted ? "accepts" : "rejects: \(outcome)")
                    """)
            }
        }
        #expect(deliberate < oracle.parse_cases.count / 4)
    }

    @Test func defaultPolicyHasOpenBaosRules() throws {
        let oracle = try Self.loadOracle()
        let theirs = try Policy.parse(name: "default", text: oracle.openbao_default_policy)
        let ours = Policy.defaultPolicy
        #expect(ours.rules.map(\.pattern) == theirs.rules.map(\.pattern))
        #expect(ours.rules.map(\.capabilities) == theirs.rules.map(\.capabilities))
        #expect(ours.rules.count == 16)
    }

    /// Whether a recorded HTTP status is an ACL decision: 403 is a denial, 200/204/404 mean the ACL let the
    /// request through. Other codes (400 for a kv write to a path ending in `/`) come from the engine before
    /// the ACL runs. Writes are judged only under a kv mount and without a trailing `/`: elsewhere OpenBao
    /// cannot run the existence check that tells create from update.
    static func aclDecision(_ status: Int, operation: ACL.Operation, path: String, mounts: [String]) -> Bool? {
        guard [200, 204, 403, 404].contains(status) else { return nil }
        if operation == .create || operation == .update {
            let mount = path.split(separator: "/", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard mounts.contains(mount), path.contains("/"), !path.hasSuffix("/") else { return nil }
        }
        return status != 403
    }

    /// Real requests against kv mounts, per operation. Vault's HTTP layer adds a trailing `/` to the path of a
    /// LIST request before the ACL sees it.
    @Test func operationDecisionsMatchRealRequests() throws {
        let oracle = try Self.loadOracle()
        var compiled: [[String]: ACL] = [:]
        var compared = 0
        for testCase in oracle.operation_cases {
            let acl = try compiled[testCase.policies] ?? ACL(policies: testCase.policies.map {
                try Self.policy(named: $0, oracle: oracle)
            })
            compiled[testCase.policies] = acl
            for (name, status) in testCase.status.sorted(by: { $0.key < $1.key }) {
                let operation = try #require(ACL.Operation(rawValue: name))
                guard let expected = Self.aclDecision(status, operation: operation, path: testCase.path,
                                                      mounts: oracle.operation_mounts) else { continue }
                let path = operation == .list && !testCase.path.hasSuffix("/") ? testCase.path + "/" : testCase.path
                let ours = acl.allows(operation: operation, path: path)
                compared += 1
                let pattern = acl.match(for: path, operation: operation)?.pattern ?? "none"
                #expect(ours == expected, """
                    \(testCase.policies) \(name) \(testCase.path): OpenBao \(status), \
                    Coffer \(ours ? "allows" : "denies") (pattern \(pattern))
                    """)
            }
        }
        #expect(compared >= 3_000)
        print("ACL oracle: compared \(compared) operation decisions with real requests")
    }

    /// A JSON request body as the top-level parameter map Core would hand to the ACL.
    static func parameters(fromJSON body: String) throws -> [String: HCLValue] {
        var parameters: [String: HCLValue] = [:]
        for item in try HCLParser.parseJSON(body).items {
            switch item {
            case .attribute(let attribute): parameters[attribute.key] = attribute.value
            case .block(let block): parameters[block.type] = HCLValue(.object(block.body))
            }
        }
        return parameters
    }

    /// Writes and wrapped reads with parameter and wrapping constraints. Any status but 403 means the ACL let
    /// the request through (kv answers 400 to an empty write only after the ACL passed it).
    @Test func parameterAndWrappingDecisionsMatchRealRequests() throws {
        let oracle = try Self.loadOracle()
        #expect(oracle.parameter_cases.count >= 50)
        for testCase in oracle.parameter_cases {
            let acl = ACL(policies: try testCase.policies.map { try Self.policy(named: $0, oracle: oracle) })
            let operation = try #require(ACL.Operation(rawValue: testCase.operation))
            let wrapTTL = testCase.wrap_ttl.flatMap(VaultDuration.parse)
            let ours = acl.allows(operation: operation, path: testCase.path,
                                  parameters: try Self.parameters(fromJSON: testCase.body), wrapTTL: wrapTTL)
            #expect(ours == (testCase.status != 403), """
                \(testCase.policies) \(testCase.operation) \(testCase.body) wrap \(testCase.wrap_ttl ?? "none"): \
                OpenBao \(testCase.status), Coffer \(ours ? "allows" : "denies")
                """)
        }
    }
}
