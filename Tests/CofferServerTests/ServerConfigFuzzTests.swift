import Testing
import TestSupport

@testable import CofferServer

/// The server config reader (HCL plus Coffer's own checks, audit stanzas and listener keys
/// included) on seeded random documents: a config or a `ConfigError`, never a trap.
@Suite("Server config fuzz")
struct ServerConfigFuzzTests {
    static let pieces = [
        "storage \"inmem\" {}\n", "storage \"raft\" { path = \"/tmp/x\" }\n", "listener \"tcp\" {", "}", "{", "\n",
        "tls_disable = true\n", "tls_cert_file = \"/nonexistent\"\n", "http_read_timeout = \"", "5s\"\n", "1h2m\"\n",
        "audit \"file\" \"a\" {", "audit \"socket\" \"s\" {", "audit \"file\" {", "options {", "options = {",
        "file_path = \"discard\"\n", "prefix = \"p\"\n", "mode = \"0640\"\n", "mode = \"9\"\n", "address = \"h:1\"\n",
        "allow_audit_log_prefixing = true\n", "unsafe_allow_api_audit_creation = \"yes\"\n", "log_raw = 1\n",
        "description = [1, 2]\n", "#", "=", "\"", "[", "]", "ui = true\n", "disable_mlock = \"maybe\"\n",
    ]

    @Test func randomDocuments() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "server config")
        var parsed = 0
        for _ in 0..<5_000 {
            let count = Int.random(in: 1..<16, using: &rng)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &rng) ?? "" }.joined()
            do {
                let config = try ServerConfig.parse(text)
                parsed += 1
                #expect(config.auditDevices.allSatisfy { !$0.name.isEmpty }, "seed \(seed)")
            } catch {
                #expect(!error.message.isEmpty, "seed \(seed): empty message for \(text.debugDescription)")
            }
        }
        #expect(parsed < 5_000)
    }
}
