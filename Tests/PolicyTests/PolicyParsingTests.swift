import HCL
import Testing
@testable import Policy

@Suite("Policy documents")
struct PolicyParsingTests {
    @Test func parsesRulesInOrderWithAllFields() throws {
        let policy = try Policy.parse(name: "app", text: """
            name = "ignored"
            # reader
            path "secret/data/app/*" {
              comment      = "app secrets"
              capabilities = ["read", "list", "patch", "scan"]
              required_parameters = ["version"]
              allowed_parameters = {
                "Version" = []
                "*" = ["a", 1]
              }
              denied_parameters {
                "token" = ["x"]
              }
              min_wrapping_ttl = "1m"
              max_wrapping_ttl = 3600
            }
            path "/sys/seal" { policy = "sudo" }
            """)
        #expect(policy.name == "app")
        #expect(policy.rules.map(\.pattern) == ["secret/data/app/*", "sys/seal"])
        let first = policy.rules[0]
        #expect(first.capabilities == [.read, .list, .patch, .scan])
        #expect(first.comment == "app secrets")
        #expect(first.requiredParameters == ["version"])
        #expect(first.allowedParameters.map(\.name) == ["version", "*"])
        #expect(first.allowedParameters[1].values.map(\.kind) == [.string("a"), .number(.int(1))])
        #expect(first.deniedParameters == [ParameterConstraint(name: "token", values: [HCLValue(.string("x"))])])
        #expect(first.minWrappingTTL == .seconds(60))
        #expect(first.maxWrappingTTL == .seconds(3600))
        #expect(first.position.line == 3)
        #expect(first.isPrefix && !first.hasSegmentWildcards)
        #expect(policy.rules[1].capabilities == [.create, .read, .update, .delete, .list, .sudo])
        #expect(policy.rules[1].legacyPolicy == "sudo")
    }

    static let legacy: [(String, Set<Capability>)] = [
        ("read", [.read, .list]),
        ("write", [.create, .read, .update, .delete, .list]),
        ("deny", [.deny]),
    ]

    @Test(arguments: legacy)
    func legacyShorthandExpands(legacy: String, expected: Set<Capability>) throws {
        let policy = try Policy.parse(name: "p", text: "path \"x\" { policy = \"\(legacy)\" }")
        #expect(policy.rules.first?.capabilities == expected)
    }

    @Test func denyDropsEveryOtherCapability() throws {
        let policy = try Policy.parse(name: "p", text: #"path "x" { capabilities = ["read", "deny", "sudo"] }"#)
        #expect(policy.rules.first?.capabilities == [.deny])
    }

    @Test func jsonPoliciesMatchHCL() throws {
        let json = try Policy.parse(name: "j", text: """
            {"path": {"secret/*": {"capabilities": ["read"]}, "sys/seal": {"capabilities": ["update", "sudo"],
             "allowed_parameters": {"a": ["b"]}}}}
            """)
        let hcl = try Policy.parse(name: "j", text: """
            path "secret/*" { capabilities = ["read"] }
            path "sys/seal" {
              capabilities = ["update", "sudo"]
              allowed_parameters = { a = ["b"] }
            }
            """)
        #expect(json.rules.map(\.pattern) == hcl.rules.map(\.pattern))
        #expect(json.rules.map(\.capabilities) == hcl.rules.map(\.capabilities))
        #expect(json.rules.map(\.allowedParameters) == hcl.rules.map(\.allowedParameters))
    }

    @Test func defaultPolicyHasOpenBaosPaths() throws {
        let policy = try Policy.parse(name: "default", text: Policy.defaultPolicyText)
        #expect(policy == Policy.defaultPolicy)
        #expect(policy.rules.count == 16)
        #expect(policy.rules.first { $0.pattern == "cubbyhole/*" }?.capabilities
            == [.create, .read, .update, .delete, .list])
        #expect(policy.rules.filter(\.isTemplated).count == 2)
    }

    @Test func emptyDocumentIsAnEmptyPolicy() throws {
        #expect(try Policy.parse(name: "e", text: "").rules.isEmpty)
        #expect(try Policy.parse(name: "e", text: "{}").rules.isEmpty)
    }

    static let errors: [(text: String, line: Int, fragment: String)] = [
        ("\n\nfoo \"a\" { }", 3, "invalid key \"foo\""),
        ("path \"a\" {\n  capabilities = [\"read\"]\n  foo = 1\n}", 3, "path \"a\": invalid key \"foo\""),
        ("path \"a\" {\n  capabilities = [\"read\",\n \"Read\"]\n}", 3, "invalid capability \"Read\""),
        ("path \"a\" { capabilities = \"read\" }", 1, "capabilities must be a list of strings"),
        ("path \"a\" { policy = \"admin\" }", 1, "invalid policy \"admin\""),
        ("path \"a/+*\" { capabilities = [] }", 1, "invalid use of wildcards ('+*' is forbidden)"),
        ("path \"a\" {\n max_wrapping_ttl = \"1m\"\n min_wrapping_ttl = \"1h\" }", 1,
         "max_wrapping_ttl cannot be less"),
        ("path \"a\" {\n min_wrapping_ttl = \"bogus\" }", 2, "error parsing min_wrapping_ttl"),
        ("path \"a\" { allowed_parameters = { x = \"y\" } }", 1, "\"x\" must map to a list of values"),
        ("path = \"a\"", 1, "path must be a block"),
        ("path \"a\" {\n\n  control_group = {}\n}", 3, "control_group is not supported by Coffer"),
        ("path \"a\" { expiration = \"2030-01-01T00:00:00Z\" }", 1, "expiration is not supported"),
        ("path \"a\" {\n  capabilities = [\"read\"\n}", 3, "expected ',' or ']'"),
        ("name = 3", 1, "name must be a string"),
        ("path \"a\" { allowed_parameters = [\"x\"] }", 1, "allowed_parameters must be an object"),
        ("{\"path\": {\"a\": {\"capabilities\": [\"fly\"]}}}", 1, "invalid capability \"fly\""),
    ]

    @Test(arguments: errors)
    func rejectsWhatOpenBaoRejects(text: String, line: Int, fragment: String) {
        #expect {
            _ = try Policy.parse(name: "bad", text: text)
        } throws: { error in
            guard let error = error as? PolicyError else { return false }
            let ok = error.line == line && error.message.contains(fragment)
            if !ok { print("got: \(error)") }
            return ok
        }
    }

    static let durations: [(String, Duration)] = [
        ("90", .seconds(90)), ("1h30m", .seconds(5400)), ("1.5h", .seconds(5400)), ("300ms", .milliseconds(300)),
        ("2d", .seconds(172_800)), ("", .zero),
    ]

    @Test(arguments: durations)
    func readsVaultDurations(text: String, expected: Duration) {
        #expect(VaultDuration.parse(text) == expected)
    }

    @Test(arguments: ["1x", "-5", "h", "1h-", "..5s", "abc"])
    func refusesMalformedDurations(text: String) {
        #expect(VaultDuration.parse(text) == nil)
    }
}
