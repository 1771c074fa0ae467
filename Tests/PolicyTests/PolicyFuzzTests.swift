import Testing
import TestSupport
@testable import Policy

@Suite("Policy fuzz: no input crashes the parser or the ACL")
struct PolicyFuzzTests {
    static let vocabulary = [
        "path", "\"secret/*\"", "\"a/+/b\"", "\"+\"", "\"*\"", "\"\"", "{", "}", "[", "]", "=", ",", "capabilities",
        "policy", "\"read\"", "\"deny\"", "\"write\"", "\"sudo\"", "\"bogus\"", "allowed_parameters",
        "denied_parameters", "required_parameters", "min_wrapping_ttl", "max_wrapping_ttl", "\"1h\"", "30",
        "name", "comment", "\n", "#x\n", "{\"path\":", "\"capabilities\":", ":", "null", "true", "-1", "\"+*\"",
    ]
    static let segments = ["secret", "data", "a", "b", "+", "x*", "", "team", "sys", "*"]

    /// The properties a fuzzer can check: parsing succeeds or fails with a positioned error; the ACL answers
    /// and `deny` never comes with anything else.
    static func check(_ text: String, paths: [String], seed: UInt64) {
        do {
            let policy = try Policy.parse(name: "f", text: text)
            let acl = ACL(policies: [policy, Policy.defaultPolicy])
            for path in paths {
                let held = acl.capabilities(for: path)
                #expect(!held.contains(.deny) || held == [.deny], "seed \(seed): \(path) \(held)")
                for operation in ACL.Operation.allCases where acl.allows(operation: operation, path: path) {
                    #expect(held.contains(operation.capability) || operation != .list,
                            "seed \(seed): \(operation) allowed on \(path) but not held")
                }
            }
        } catch {
            #expect(error.line >= 0 && error.column >= 0, "seed \(seed): \(error)")
        }
    }

    static func randomPath(_ rng: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...5, using: &rng)).map { _ in segments.randomElement(using: &rng) ?? "" }
            .joined(separator: "/")
    }

    @Test func tokenSoup() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "Policy tokenSoup")
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0..<40, using: &rng))
                .map { _ in Self.vocabulary.randomElement(using: &rng) ?? "" }.joined(separator: " ")
            Self.check(text, paths: [Self.randomPath(&rng)], seed: seed)
        }
    }

    @Test func randomBytes() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "Policy randomBytes")
        for _ in 0..<1_000 {
            let bytes = (0..<Int.random(in: 0..<120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            Self.check(String(decoding: bytes, as: UTF8.self), paths: [], seed: seed)
        }
    }

    @Test func randomWellFormedPolicies() throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "Policy randomWellFormed")
        let capabilities = Capability.allCases.map(\.rawValue)
        var accepted = 0
        for _ in 0..<500 {
            let rules = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                let caps = (0..<Int.random(in: 0...3, using: &rng))
                    .map { _ in "\"\(capabilities.randomElement(using: &rng) ?? "read")\"" }
                return "path \"\(Self.randomPath(&rng))\" { capabilities = [\(caps.joined(separator: ", "))] }"
            }
            let text = rules.joined(separator: "\n")
            if (try? Policy.parse(name: "w", text: text)) != nil { accepted += 1 }
            Self.check(text, paths: (0..<20).map { _ in Self.randomPath(&rng) }, seed: seed)
        }
        // Only patterns containing "+*" may be refused, so most random policies must parse.
        #expect(accepted > 100, "seed \(seed): only \(accepted) of 500 well-formed policies parsed")
    }

    @Test func truncationsOfTheDefaultPolicy() {
        let scalars = Array(Policy.defaultPolicyText.unicodeScalars)
        for cut in stride(from: 0, through: scalars.count, by: 3) {
            var prefix = String.UnicodeScalarView()
            prefix.append(contentsOf: scalars[..<cut])
            Self.check(String(prefix), paths: ["cubbyhole/x", "sys/tools/hash/x"], seed: 0)
        }
    }
}
