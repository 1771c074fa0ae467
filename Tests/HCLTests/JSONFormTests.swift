import Testing
@testable import HCL

@Suite("JSON form")
struct JSONFormTests {
    @Test func policyJSONBuildsTheSameTreeAsHCL() throws {
        let json = try HCLParser.parseJSON("""
            {"path": {"secret/*": {"capabilities": ["read", "list"]},
                      "auth/token/lookup-self": {"capabilities": ["read"]}}}
            """)
        let hcl = try HCLParser.parse("""
            path "secret/*" { capabilities = ["read", "list"] }
            path "auth/token/lookup-self" { capabilities = ["read"] }
            """)
        #expect(json == hcl)
        #expect(json.blocks(named: "path").map(\.labels) == [["secret/*"], ["auth/token/lookup-self"]])
    }

    @Test func serverConfigJSONFlattensLabelsAndListsOfObjects() throws {
        let body = try HCLParser.parseDocument("""
              {
              "ui": true,
              "listener": {"tcp": {"address": "0.0.0.0:8200", "tls_disable": "1"}},
              "storage": {"raft": {"path": "/data", "retry_join": [
                  {"leader_api_addr": "https://a:8200"}, {"leader_api_addr": "https://b:8200"}]}},
              "audit": [{"file": {"primary": {"options": {"file_path": "/log"}}}}],
              "max_lease_ttl": 3600,
              "ratio": 0.5,
              "nothing": null,
              "empty": {}
            }
            """)
        #expect(body.items.map(\.key) == [
            "ui", "listener", "storage", "audit", "max_lease_ttl", "ratio", "nothing", "empty",
        ])
        #expect(try body.bool("ui") == true)
        let listener = try #require(body.blocks(named: "listener").first)
        #expect(listener.labels == ["tcp"])
        #expect(try listener.body.bool("tls_disable") == true)
        let storage = try #require(body.blocks(named: "storage").first)
        #expect(storage.labels == ["raft"])
        #expect(try storage.body.blocks(named: "retry_join").map { try $0.body.string("leader_api_addr") }
            == ["https://a:8200", "https://b:8200"])
        // HCL1's flattening turns nested single-object chains into labels, so "options" becomes a label here.
        #expect(body.blocks(named: "audit").first?.labels == ["file", "primary", "options"])
        #expect(try body.int("max_lease_ttl") == 3600)
        #expect(try body.double("ratio") == 0.5)
        #expect(body.attribute(named: "nothing")?.value.kind == .null)
        #expect(body.blocks(named: "empty").first?.body.isEmpty == true)
        #expect(body.blocks(named: "listener").first?.line == 3)
    }

    @Test func decodesJSONStringEscapes() throws {
        let body = try HCLParser.parseJSON(#"{"k": "a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#)
        #expect(try body.string("k") == "a\"b\\c/d\né😀")
    }

    @Test func toleratesOneTrailingCommaLikeHCL1() throws {
        let body = try HCLParser.parseJSON(#"{"a": [1, 2,], "b": {"c": 3,},}"#)
        #expect(body.attribute(named: "a")?.value.listValue?.count == 2)
        #expect(try body.blocks(named: "b").first?.body.int("c") == 3)
    }

    @Test func keepsDuplicateKeysInOrder() throws {
        let body = try HCLParser.parseJSON(#"{"a": 1, "b": 2, "a": 3}"#)
        #expect(body.attributes.map(\.key) == ["a", "b", "a"])
        #expect(try body.int("a") == 3)
    }

    static let errors: [(source: String, line: Int, column: Int, fragment: String)] = [
        ("[1, 2]", 1, 1, "must be an object at the top level"),
        ("{\"a\": 1,,}", 1, 9, "expected a quoted object key"),
        ("[1,,]", 1, 4, "expected a JSON value"),
        ("{\n  \"a\" 1}", 2, 7, "expected ':' after object key \"a\""),
        ("{\"a\": tru}", 1, 7, "expected 'true'"),
        ("{\"a\": \"x\n\"}", 1, 9, "control character"),
        ("{\"a\": 01}", 1, 8, "expected ',' or '}'"),
        ("{\"a\": 1} x", 1, 10, "after the JSON document"),
        ("{\"a\": \"\\ud800\"}", 1, 8, "unpaired UTF-16 surrogate"),
        ("{\"a\": 1e999}", 1, 7, "out of range"),
        ("{", 1, 2, "expected a quoted object key, found end of input"),
        ("", 1, 1, "found end of input"),
    ]

    @Test(arguments: errors)
    func reportsPositionAndMessage(source: String, line: Int, column: Int, fragment: String) {
        #expect {
            _ = try HCLParser.parseJSON(source)
        } throws: { error in
            guard let error = error as? HCLError else { return false }
            let ok = error.line == line && error.column == column && error.message.contains(fragment)
            if !ok { print("got: \(error)") }
            return ok
        }
    }

    @Test func deepJSONNestingIsAnError() {
        let sources = [String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 100_000)]
        for source in sources {
            #expect {
                _ = try HCLParser.parseJSON(source)
            } throws: { error in
                (error as? HCLError)?.message.contains("nesting is deeper than the limit") == true
            }
        }
    }
}
