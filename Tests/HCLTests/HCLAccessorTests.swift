import Testing
@testable import HCL

@Suite("Typed accessors")
struct HCLAccessorTests {
    let body: HCLBody

    init() throws {
        body = try HCLParser.parse("""
            name = "node-1"
            tls_disable = ["yes"]
            flag_string = "false"
            port = "8200"
            bad_port = "eighty"
            list = ["a", 2]
            block_not_value { }
            obj = "not an object"
            """)
    }

    @Test func readsPresentAndAbsentKeys() throws {
        #expect(try body.string("name") == "node-1")
        #expect(try body.string("missing") == nil)
        #expect(try body.bool("flag_string") == false)
        #expect(try body.int("port") == 8200)
        #expect(try body.stringList("missing") == nil)
    }

    @Test(arguments: [
        ("tls_disable", 2, "tls_disable must be a bool or a string holding one, found list"),
        ("bad_port", 5, "bad_port must be an integer, found \"eighty\""),
        ("list", 6, "list must be a list of strings, found a integer in it"),
        ("name", 1, "name must be a bool or a string holding one, found \"node-1\""),
        ("block_not_value", 7, "block_not_value must be a value assigned with '=', not a block"),
        ("obj", 8, "obj must be an object, found string"),
    ])
    func typeErrorsNameTheKeyAndLine(key: String, line: Int, message: String) {
        #expect {
            switch key {
            case "bad_port": _ = try body.int(key)
            case "list": _ = try body.stringList(key)
            case "obj": _ = try body.object(key)
            case "block_not_value": _ = try body.string(key)
            default: _ = try body.bool(key)
            }
        } throws: { error in
            guard let error = error as? HCLError else { return false }
            if error.line != line || error.message != message { print("got: \(error)") }
            return error.line == line && error.message == message
        }
    }

    @Test func checkKeysNamesTheFirstUnknownKey() {
        #expect(throws: HCLError(line: 2, column: 1, message: "invalid key \"tls_disable\"")) {
            try body.checkKeys(allowed: ["name"])
        }
        #expect(throws: Never.self) {
            try body.checkKeys(allowed: Set(body.items.map(\.key)))
        }
    }
}
