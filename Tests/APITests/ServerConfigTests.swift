import Testing

@testable import CofferServer

/// Vault-format server config files: the same file starts `bao server` and Coffer.
struct ServerConfigTests {
    @Test func readsTheKeysCofferUses() throws {
        let config = try ServerConfig.parse(
            """
            storage "raft" {
              path    = "/var/lib/coffer"
              node_id = "node1"
              retry_join {
                leader_api_addr = "http://10.0.0.2:8200"
              }
            }
            listener "tcp" {
              address         = "127.0.0.1:8200"
              cluster_address = "127.0.0.1:8201"
              tls_disable     = "true"
              disable_unauthed_rekey_endpoints = false
            }
            api_addr      = "http://127.0.0.1:8200"
            cluster_addr  = "https://127.0.0.1:8201"
            disable_mlock = true
            log_level     = "debug"
            """)
        #expect(config.storage == .raft(
            path: "/var/lib/coffer", nodeID: "node1",
            retryJoin: [ServerConfig.RetryJoin(leaderAPIAddr: "http://10.0.0.2:8200")]))
        #expect(config.listeners.count == 1)
        #expect(config.listeners.first?.address == "127.0.0.1:8200")
        #expect(config.listeners.first?.clusterAddress == "127.0.0.1:8201")
        #expect(config.listeners.first?.tlsDisable == true)
        #expect(config.listeners.first?.disableUnauthedRekeyEndpoints == false)
        #expect(config.apiAddr == "http://127.0.0.1:8200")
        #expect(config.clusterAddr == "https://127.0.0.1:8201")
        #expect(config.disableMlock)
        #expect(config.logLevel == "debug")
        #expect(config.warnings.isEmpty)
    }

    @Test func keysVaultKnowsButCofferIgnoresAreWarnings() throws {
        let config = try ServerConfig.parse(
            """
            ui = true
            storage "raft" {
              path = "/tmp/x"
              performance_multiplier = 1
            }
            listener "tcp" {
              address = "127.0.0.1:8200"
              tls_disable = 1
            }
            """)
        #expect(config.warnings.count == 2)
        #expect(config.warnings.contains { $0.contains("line 1") && $0.contains("ui") })
        #expect(config.warnings.contains { $0.contains("line 4") && $0.contains("performance_multiplier") })
    }

    @Test(arguments: [
        ("storage \"raft\" { path = \"/x\" }\nlistenr \"tcp\" {}", "line 2", "listenr"),
        ("storage \"raft\" {\n  path = \"/x\"\n  paht = \"/y\"\n}", "line 3", "paht"),
        ("storage \"raft\" { path = \"/x\" }\nlistener \"tcp\" {\n  adress = \"1\"\n tls_disable = true\n}", "line 3", "adress"),
        ("storage \"raft\" { path = \"/x\" }\nlistener \"tcp\" {\n  address = \"127.0.0.1:1\"\n}", "line 2", "tls_cert_file"),
        ("storage \"file\" { path = \"/x\" }", "line 1", "not supported"),
        ("listener \"tcp\" { tls_disable = true }", "storage", "no storage block"),
        ("storage \"raft\" { path = \"/x\" }\nlistener \"tcp\" { tls_disable = [1] }", "line 2", "tls_disable"),
        ("storage \"raft\" {", "line 1", "end of input"),
    ])
    func mistakesAreErrorsNamingKeyAndLine(text: String, line: String, key: String) {
        do {
            _ = try ServerConfig.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.message.contains(line), "\(error.message)")
            #expect(error.message.contains(key), "\(error.message)")
        }
    }

    @Test func jsonConfigWorksToo() throws {
        let config = try ServerConfig.parse(
            """
            {"storage": {"raft": {"path": "/data", "node_id": "n1"}},
             "listener": [{"tcp": {"address": "127.0.0.1:9200", "tls_disable": true}}],
             "disable_mlock": true}
            """)
        #expect(config.storage == .raft(path: "/data", nodeID: "n1", retryJoin: []))
        #expect(config.listeners.first?.address == "127.0.0.1:9200")
    }

    @Test func listenerAddressesParse() throws {
        #expect(try ServerCommand.parseAddress("127.0.0.1:8200") == ("127.0.0.1", 8200))
        #expect(try ServerCommand.parseAddress("[::1]:8200") == ("::1", 8200))
        #expect(try ServerCommand.parseAddress(":8200") == ("0.0.0.0", 8200))
        #expect(throws: (any Error).self) { try ServerCommand.parseAddress("localhost") }
        #expect(throws: (any Error).self) { try ServerCommand.parseAddress("h:99999") }
    }
}
