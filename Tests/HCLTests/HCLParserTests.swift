import Testing
@testable import HCL

/// A server config in the shape Vault/OpenBao operators write, used by several tests.
let sampleServerConfig = """
    # Coffer node 1
    ui            = true
    cluster_name  = "trading-prod"
    disable_mlock = false
    max_lease_ttl = "768h"

    storage "raft" {
      path    = "/var/lib/coffer/raft"
      node_id = "node-1"
      retry_join {
        leader_api_addr = "https://10.0.0.2:8200"
      }
      retry_join {
        leader_api_addr = "https://10.0.0.3:8200"
      }
    }

    listener "tcp" {
      address       = "0.0.0.0:8200"   // all interfaces
      tls_disable   = "true"
      tls_cipher_suites = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",]
      /* a block
         comment */
    }

    audit "file" "primary" {
      options {
        file_path = "/var/log/coffer/audit.log"
        mode      = "0600"
      }
    }

    telemetry = {
      prometheus_retention_time = "30s",
      disable_hostname = true
    }
    seal "shamir" {}
    api_addr = "https://10.0.0.1:8200"
    cache_size = 131072
    ratio = -2.5e3
    """

@Suite("HCL1 syntax")
struct HCLParserTests {
    @Test func parsesAServerConfigInOrder() throws {
        let body = try HCLParser.parse(sampleServerConfig)
        #expect(body.items.map(\.key) == [
            "ui", "cluster_name", "disable_mlock", "max_lease_ttl", "storage", "listener", "audit", "telemetry",
            "seal", "api_addr", "cache_size", "ratio",
        ])
        #expect(body.attribute(named: "ui")?.value.kind == .bool(true))
        #expect(body.attribute(named: "cluster_name")?.line == 3)
        #expect(body.attribute(named: "cache_size")?.value.kind == .number(.int(131072)))
        #expect(body.attribute(named: "ratio")?.value.kind == .number(.float(-2500)))

        let storage = try #require(body.blocks(named: "storage").first)
        #expect(storage.labels == ["raft"])
        #expect(storage.line == 7)
        #expect(storage.position.column == 1)
        let joins = storage.body.blocks(named: "retry_join")
        #expect(joins.count == 2)
        #expect(try joins.map { try $0.body.string("leader_api_addr") } == [
            "https://10.0.0.2:8200", "https://10.0.0.3:8200",
        ])

        let listener = try #require(body.blocks(named: "listener").first)
        #expect(listener.labels == ["tcp"])
        #expect(try listener.body.stringList("tls_cipher_suites")?.count == 2)
        #expect(try listener.body.bool("tls_disable") == true)

        let audit = try #require(body.blocks(named: "audit").first)
        #expect(audit.labels == ["file", "primary"])
        #expect(try audit.body.object("options")?.string("mode") == "0600")

        let telemetry = try #require(try body.object("telemetry"))
        #expect(try telemetry.bool("disable_hostname") == true)
        #expect(body.blocks(named: "seal").first?.body.isEmpty == true)
    }

    @Test func parsesPolicyStyleBlocks() throws {
        let body = try HCLParser.parse("""
            path "secret/*" { capabilities = ["read", "list"] }
            path "secret/+/x" {
              capabilities = ["deny"]
            }
            """)
        let paths = body.blocks(named: "path")
        #expect(paths.map(\.labels) == [["secret/*"], ["secret/+/x"]])
        #expect(paths.map(\.line) == [1, 2])
        #expect(try paths[0].body.stringList("capabilities") == ["read", "list"])
    }

    @Test func keepsRepeatedAttributesAndMixedForms() throws {
        let body = try HCLParser.parse("""
            a = 1
            a = 2
            "quoted key" = "v"
            b { x = 1 }
            b = { x = 2 }
            unquoted label { }
            """)
        #expect(body.attributes(named: "a").map(\.value.kind) == [.number(.int(1)), .number(.int(2))])
        #expect(body.attribute(named: "a")?.value.kind == .number(.int(2)))
        #expect(try body.string("quoted key") == "v")
        #expect(try body.blocks(named: "b").map { try $0.body.int("x") } == [1, 2])
        #expect(body.blocks(named: "unquoted").first?.labels == ["label"])
    }

    @Test(arguments: [
        (#""a\"b\\c\n\t""#, "a\"b\\c\n\t"),
        (#""\u00e9\U0001F600\x41\101""#, "é😀AA"),
        (#""${var.name} and ${lookup("k", "v")}""#, #"${var.name} and ${lookup("k", "v")}"#),
        (#""unicode ✓ kept""#, "unicode ✓ kept"),
        ("\"\"", ""),
    ])
    func decodesStringEscapes(source: String, expected: String) throws {
        let body = try HCLParser.parse("k = \(source)")
        #expect(try body.string("k") == expected)
    }

    @Test(arguments: [
        ("1", HCLNumber.int(1)), ("-42", .int(-42)), ("0x1F", .int(31)), ("0755", .int(493)),
        ("1.5", .float(1.5)), ("1e3", .float(1000)), ("-0.25E-2", .float(-0.0025)), ("0", .int(0)),
    ])
    func parsesNumbers(source: String, expected: HCLNumber) throws {
        let body = try HCLParser.parse("n = \(source)")
        #expect(body.attribute(named: "n")?.value.kind == .number(expected))
    }

    @Test func parsesHeredocs() throws {
        let body = try HCLParser.parse("""
            plain = <<EOF
            line one
              line two
            EOF
            indented = <<-EOT
                alpha
                  beta
                EOT
            after = "x"
            """)
        #expect(try body.string("plain") == "line one\n  line two\n")
        #expect(try body.string("indented") == "alpha\n  beta\n")
        #expect(try body.string("after") == "x")
        #expect(body.attribute(named: "after")?.line == 9)
    }

    /// HCL1 quirks, confirmed against OpenBao through tests/acl-oracle (literal probes).
    @Test func heredocsFollowHCL1Quirks() throws {
        let body = try HCLParser.parse("""
            keeps = <<EOF
            x
              EOF
            ragged = <<-EOF
              a
             b
              EOF

            """)
        #expect(try body.string("keeps") == "x\n  ")
        #expect(try body.string("ragged") == "  a\n b\n")
        #expect(throws: HCLError.self) { try HCLParser.parse("a = <<EOF\nx\nEOF") }
    }

    @Test func acceptsCommentsEverywhere() throws {
        let body = try HCLParser.parse("""
            // leading
            a /* inline */ = /* here */ [ # list comment
              "x", // after element
              /* before */ "y"
            ]
            # trailing
            """)
        #expect(try body.stringList("a") == ["x", "y"])
    }

    @Test func parsesNestedListsAndObjects() throws {
        let body = try HCLParser.parse("""
            v = [[1, 2], { k = "v" }, [], true]
            empty = {}
            """)
        let list = try #require(body.attribute(named: "v")?.value.listValue)
        #expect(list.count == 4)
        #expect(list[0].kind == .list([HCLValue(.number(.int(1))), HCLValue(.number(.int(2)))]))
        #expect(try list[1].objectValue?.string("k") == "v")
        #expect(list[2].kind == .list([]))
        #expect(body.attribute(named: "empty")?.value.objectValue?.isEmpty == true)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let body = try HCLParser.parse("é = \"ü\" k = 1")
        #expect(body.attribute(named: "k")?.position == SourcePosition(line: 1, column: 9))
    }

    @Test func emptyAndCommentOnlyDocumentsAreEmpty() throws {
        #expect(try HCLParser.parse("").isEmpty)
        #expect(try HCLParser.parse("  # nothing\n// here\n/* at all */\n").isEmpty)
    }
}

@Suite("HCL1 syntax errors")
struct HCLErrorTests {
    static let cases: [(source: String, line: Int, column: Int, fragment: String)] = [
        ("a = 1\nb = 2\n\n   foo bar baz\n", 5, 1, "expected '=' or '{' after labels of \"foo\", found end of input"),
        ("\n\n\nfoo 12", 4, 5, "expected '=' or '{' after key \"foo\", found number 12"),
        ("a = \"unterminated\n", 1, 5, "string not terminated"),
        ("a = \"x\\q\"", 1, 7, "unknown escape sequence"),
        ("path \"x\" {\n  capabilities = [\"read\"]\n", 3, 1, "expected '}' before end of input"),
        ("a = [1 2]", 1, 8, "expected ',' or ']' in list"),
        ("a = foo", 1, 5, "unexpected identifier \"foo\""),
        ("a b = 1", 1, 5, "expected '{' after block labels"),
        ("}", 1, 1, "unexpected '}'"),
        ("a = 1h", 1, 5, "malformed number"),
        ("/* open", 1, 1, "comment not terminated"),
        ("a = <<EOF\nno end", 1, 5, "heredoc not terminated"),
        ("a = <<EOF x\n", 1, 5, "anchor must be followed by a new line"),
        ("a = 99999999999999999999", 1, 5, "out of range"),
        ("= 1", 1, 1, "expected a key"),
        ("a = ", 1, 5, "expected a value, found end of input"),
        ("a = @", 1, 5, "unexpected character '@'"),
        ("true = 1", 1, 1, "expected a key"),
        ("a = \"it\\'s\"", 1, 8, "unknown escape sequence"),
        ("a = <<E-F\nx\nE-F\n", 1, 5, "anchor must be followed by a new line"),
    ]

    @Test(arguments: cases)
    func reportsPositionAndMessage(source: String, line: Int, column: Int, fragment: String) {
        #expect {
            _ = try HCLParser.parse(source)
        } throws: { error in
            guard let error = error as? HCLError else { return false }
            let ok = error.line == line && error.column == column && error.message.contains(fragment)
            if !ok { print("got: \(error)") }
            return ok
        }
    }

    @Test func descriptionStartsWithPosition() {
        let error = HCLError(line: 4, column: 12, message: "expected '=' or '{' after key \"foo\"")
        #expect(error.description == "line 4, column 12: expected '=' or '{' after key \"foo\"")
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let depth = 100_000
        let sources = [
            String(repeating: "a {", count: depth),
            "x = " + String(repeating: "[", count: depth),
            "x = " + String(repeating: "{ a = ", count: depth),
        ]
        for source in sources {
            #expect {
                _ = try HCLParser.parse(source)
            } throws: { error in
                (error as? HCLError)?.message.contains("nesting is deeper than the limit") == true
            }
        }
        let fine = String(repeating: "a {", count: 60) + String(repeating: "}", count: 60)
        #expect(try HCLParser.parse(fine).blocks.count == 1)
        let tooDeep = String(repeating: "a {", count: 65) + String(repeating: "}", count: 65)
        #expect(throws: HCLError.self) { try HCLParser.parse(tooDeep) }
        #expect(try HCLParser(maxDepth: 100).parse(tooDeep).blocks.count == 1)
    }
}
