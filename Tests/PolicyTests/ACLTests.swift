import HCL
import Testing
@testable import Policy

@Suite("ACL matching rules")
struct ACLTests {
    static func acl(_ texts: String...) throws -> ACL {
        ACL(policies: try texts.enumerated().map { index, text in try Policy.parse(name: "p\(index)", text: text) })
    }

    @Test func exactBeatsEveryGlob() throws {
        let acl = try Self.acl("""
            path "a/*" { capabilities = ["read"] }
            path "a/b" { capabilities = ["update"] }
            path "a/+" { capabilities = ["delete"] }
            """)
        #expect(acl.capabilities(for: "a/b") == [.update])
        #expect(acl.capabilities(for: "a/c") == [.delete])
        #expect(acl.capabilities(for: "a/c/d") == [.read])
        #expect(acl.capabilities(for: "b") == [])
    }

    @Test func priorityFollowsVaultsOrder() throws {
        // Later first wildcard wins.
        let position = try Self.acl("""
            path "x/+/c/d" { capabilities = ["read"] }
            path "x/b/+/d" { capabilities = ["update"] }
            """)
        #expect(position.capabilities(for: "x/b/c/d") == [.update])
        // Same position: not ending in * wins.
        let glob = try Self.acl("""
            path "y/+/z*" { capabilities = ["read"] }
            path "y/+/z" { capabilities = ["update"] }
            """)
        #expect(glob.capabilities(for: "y/q/z") == [.update])
        // Same position and kind: fewer + segments win.
        let count = try Self.acl("""
            path "w/+/+/c" { capabilities = ["read"] }
            path "w/+/b/c" { capabilities = ["update"] }
            """)
        #expect(count.capabilities(for: "w/a/b/c") == [.update])
        // Then the longer pattern wins.
        let length = try Self.acl("""
            path "v/+/ab*" { capabilities = ["read"] }
            path "v/+/a*" { capabilities = ["update"] }
            """)
        #expect(length.capabilities(for: "v/q/abc") == [.read])
        // Then the lexicographically greater pattern wins.
        let lexical = try Self.acl("""
            path "u/+/a" { capabilities = ["read"] }
            path "u/+/+" { capabilities = ["update"] }
            """)
        #expect(lexical.capabilities(for: "u/q/a") == [.read])
        #expect(lexical.capabilities(for: "u/q/b") == [.update])
    }

    @Test func onlyTheChosenMatchCounts() throws {
        let acl = try Self.acl("""
            path "s/*" { capabilities = ["read", "list"] }
            path "s/t/*" { capabilities = ["update"] }
            """)
        #expect(acl.capabilities(for: "s/t/u") == [.update])
        #expect(!acl.allows(operation: .read, path: "s/t/u"))
        #expect(acl.allows(operation: .read, path: "s/u"))
    }

    @Test func denyFromAnotherPolicyWinsOnTheSamePattern() throws {
        let acl = try Self.acl(
            #"path "p/*" { capabilities = ["read", "update"] }"#,
            #"path "p/*" { capabilities = ["deny"] }"#,
            #"path "p/*" { capabilities = ["sudo"] }"#
        )
        #expect(acl.capabilities(for: "p/x") == [.deny])
        #expect(!acl.allows(operation: .read, path: "p/x"))
        #expect(acl.match(for: "p/x", operation: .read)?.policies == ["p0", "p1"])
    }

    @Test func capabilitiesUnionAcrossPolicies() throws {
        let acl = try Self.acl(
            #"path "q/+" { capabilities = ["read"] }"#,
            #"path "q/+" { capabilities = ["create", "update"] }"#
        )
        #expect(acl.capabilities(for: "q/a") == [.read, .create, .update])
        #expect(acl.allows(operation: .create, path: "q/a"))
        #expect(!acl.allows(operation: .delete, path: "q/a"))
    }

    @Test func listFallsBackToThePathWithoutTrailingSlash() throws {
        let acl = try Self.acl("""
            path "d/dir" { capabilities = ["list"] }
            path "d/*" { capabilities = ["read"] }
            """)
        #expect(acl.allows(operation: .list, path: "d/dir/"))
        #expect(!acl.allows(operation: .read, path: "d/dir"))
        #expect(!acl.allows(operation: .list, path: "d/dir/x"))
        // Globs see the path as given: "d/dir/" also matches "d/*".
        #expect(acl.allows(operation: .read, path: "d/dir/"))
        // Only when nothing matches the path as given are globs tried without the trailing slash.
        let plus = try Self.acl(#"path "+/c" { capabilities = ["list"] }"#)
        #expect(plus.allows(operation: .list, path: "a/c/"))
        #expect(!plus.allows(operation: .read, path: "a/c/"))
    }

    @Test func leadingSlashesAreIgnored() throws {
        let acl = try Self.acl(#"path "/l/x" { capabilities = ["read"] }"#)
        #expect(acl.capabilities(for: "//l/x") == [.read])
        #expect(acl.capabilities(for: "l/x") == [.read])
    }

    @Test func rootAllowsEverything() {
        let acl = ACL(policies: [Policy.root])
        #expect(acl.isRoot)
        #expect(acl.allows(operation: .delete, path: "sys/anything"))
        #expect(acl.capabilities(for: "x").contains(.sudo))
        #expect(!acl.capabilities(for: "x").contains(.deny))
    }

    @Test func templatedPatternsDoNotApplyWithoutAnEntity() {
        let acl = ACL(policies: [Policy.defaultPolicy])
        #expect(acl.capabilities(for: "identity/entity/id/{{identity.entity.id}}") == [])
        #expect(acl.capabilities(for: "cubbyhole/x") == [.create, .read, .update, .delete, .list])
        #expect(acl.hasSudo(path: "cubbyhole/x", operation: .read) == false)
    }

    @Test func emptyACLAllowsNothing() {
        let acl = ACL(policies: [])
        for operation in ACL.Operation.allCases {
            #expect(!acl.allows(operation: operation, path: "secret/x"))
        }
    }

    @Test(arguments: [
        ("bl*", "blue", true), ("bl*", "red", false), ("*-unsafe", "rw-unsafe", true), ("*x*", "axb", true),
        ("*x*", "ab", false), ("*", "anything", false), ("*", "*", true), ("exact", "exact", true),
    ])
    func parameterGlobs(pattern: String, text: String, expected: Bool) {
        #expect(ACL.globMatches(pattern, text) == expected)
    }

    @Test func parameterConstraintsMergeAcrossPolicies() throws {
        let acl = try Self.acl(
            #"path "m/*" { capabilities = ["create"] allowed_parameters = { "color" = ["red"] } }"#,
            #"path "m/*" { capabilities = ["update"] allowed_parameters = { "color" = ["blue"] "size" = [] } }"#
        )
        let match = try #require(acl.match(for: "m/x", operation: .create))
        #expect(match.allowedParameters["color"]?.map(\.kind) == [.string("blue"), .string("red")])
        #expect(match.allowedParameters["size"] == [])
        let blue = ["color": HCLValue(.string("blue"))]
        let green = ["color": HCLValue(.string("green"))]
        #expect(acl.allows(operation: .create, path: "m/x", parameters: blue, wrapTTL: nil))
        #expect(!acl.allows(operation: .create, path: "m/x", parameters: green, wrapTTL: nil))
        // Parameters are not checked for delete and list.
        #expect(!acl.allows(operation: .delete, path: "m/x", parameters: green, wrapTTL: nil))
    }

    @Test func wrappingBoundsRequireAWrappedResponse() throws {
        let acl = try Self.acl(#"path "w/*" { capabilities = ["read"] max_wrapping_ttl = "1h" }"#)
        #expect(!acl.allows(operation: .read, path: "w/x"))
        #expect(acl.allows(operation: .read, path: "w/x", parameters: [:], wrapTTL: .seconds(60)))
        #expect(!acl.allows(operation: .read, path: "w/x", parameters: [:], wrapTTL: .seconds(7200)))
    }
}
