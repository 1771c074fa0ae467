import Testing

@testable import Audit
@testable import CofferServer

struct AuditConfigTests {
    let base = """
        storage "inmem" {}
        listener "tcp" {
          address = "127.0.0.1:8200"
          tls_disable = true
        }

        """

    @Test func auditStanzasAreRead() throws {
        let config = try ServerConfig.parse(base + """
            unsafe_allow_api_audit_creation = true
            allow_audit_log_prefixing = true
            audit "file" "primary" {
              description = "main log"
              options {
                file_path = "/var/log/coffer/audit.log"
                log_raw = false
                hmac_accessor = "false"
                mode = "0640"
                prefix = "coffer:"
              }
            }
            audit "socket" "collector" {
              options = {
                address = "127.0.0.1:9090"
                socket_type = "tcp"
              }
            }
            """)
        #expect(config.unsafeAllowAPIAuditCreation)
        #expect(config.auditDevices == [
            AuditDeviceConfig(
                name: "primary", type: "file", description: "main log",
                options: [
                    "file_path": "/var/log/coffer/audit.log", "log_raw": "false", "hmac_accessor": "false",
                    "mode": "0640", "prefix": "coffer:",
                ]),
            AuditDeviceConfig(
                name: "collector", type: "socket", options: ["address": "127.0.0.1:9090", "socket_type": "tcp"]),
        ])
        #expect(config.warnings.isEmpty)
    }

    @Test func badStanzasNameTheProblem() {
        #expect(throws: ConfigError(message: "line 6: audit log prefixing is not allowed")) {
            try ServerConfig.parse(base + "audit \"file\" \"a\" {\n options { \nfile_path = \"x\"\nprefix = \"p\" }\n}")
        }
        #expect(throws: ConfigError(message: "line 6: audit device \"a/\": file_path is required")) {
            try ServerConfig.parse(base + "audit \"file\" \"a\" {}")
        }
        #expect(throws: ConfigError(message: "line 6: audit device \"a/\": unknown option \"colour\"")) {
            try ServerConfig.parse(base + "audit \"file\" \"a\" { options { file_path = \"x\"\ncolour = \"red\" } }")
        }
        #expect(throws: ConfigError.self) {
            try ServerConfig.parse(base + "audit \"file\" { options { file_path = \"x\" } }")
        }
        #expect(throws: ConfigError(message: "line 6: audit device \"a/\": unknown option \"filter\"")) {
            try ServerConfig.parse(base + "audit \"file\" \"a\" { options { file_path = \"x\"\nfilter = \"y\" } }")
        }
    }
}
