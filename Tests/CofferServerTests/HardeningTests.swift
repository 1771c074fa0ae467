import Foundation
import Glibc
import Telemetry
import Testing

@testable import CofferServer

struct MemoryHygieneTests {
    @Test func coreDumpsAreForbidden() throws {
        try MemoryHygiene.forbidCoreDumps()
        #expect(!MemoryHygiene.isDumpable)
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit) == 0)
        #expect(limit.rlim_cur == 0 && limit.rlim_max == 0)
    }
}

struct ListenerConfigTests {
    @Test func tlsAndTimeoutKeysAreRead() throws {
        let config = try ServerConfig.parse("""
            storage "inmem" {}
            listener "tcp" {
              address = "127.0.0.1:8200"
              tls_cert_file = "/etc/coffer/api.crt"
              tls_key_file = "/etc/coffer/api.key"
              tls_min_version = "tls13"
              tls_client_ca_file = "/etc/coffer/ca.crt"
              tls_require_and_verify_client_cert = true
              http_read_header_timeout = "2s"
              http_read_timeout = "1m30s"
              http_idle_timeout = 0
            }
            """)
        let listener = try #require(config.listeners.first)
        #expect(listener.tlsClientCAFile == "/etc/coffer/ca.crt")
        #expect(listener.tlsRequireAndVerifyClientCert)
        #expect(listener.readHeaderTimeout == 2)
        #expect(listener.readTimeout == 90)
        #expect(listener.idleTimeout == 0)
        #expect(config.warnings.isEmpty)
    }

    @Test func badDurationsAndVersionsAreNamed() {
        #expect(throws: ConfigError.self) {
            try ServerConfig.parse("storage \"inmem\" {}\nlistener \"tcp\" {\ntls_disable = true\nhttp_read_timeout = \"soon\"\n}")
        }
        #expect(throws: ServerStartError.self) { try APIListenerTLS.tlsVersion("ssl3") }
        #expect(ServerConfig.goDurationSeconds("500ms") == 1)
        #expect(ServerConfig.goDurationSeconds("1h") == 3600)
        #expect(ServerConfig.goDurationSeconds("5x") == nil)
    }

    @Test func missingCertificateFilesAreAClearError() {
        do {
            _ = try APIListenerTLS(.init(
                certFile: "/nonexistent/api.crt", keyFile: "/nonexistent/api.key", minVersion: nil, clientCAFile: nil,
                requireClientCert: false))
            Issue.record("TLS set up without a certificate")
        } catch {
            #expect(error.description.hasPrefix("tls_cert_file /nonexistent/api.crt"))
        }
    }
}

struct MetricsTests {
    @Test func routesAreMountLevel() {
        #expect(CofferMetrics.route(for: "secret/data/a/b") == "secret")
        #expect(CofferMetrics.route(for: "sys/policies/acl/x") == "sys/policies")
        #expect(CofferMetrics.route(for: "auth/approle/login") == "auth/approle")
        #expect(CofferMetrics.route(for: "") == "/")
    }

    @Test func raftSeamExposesTermIndicesAndLeaderChanges() {
        let metrics = CofferMetrics()
        metrics.raft.observe(term: 3, commitIndex: 10, appliedIndex: 9, leaderID: "n1", isLeader: true)
        metrics.raft.observe(term: 3, commitIndex: 12, appliedIndex: 12, leaderID: "n1", isLeader: true)
        metrics.raft.observe(term: 4, commitIndex: 12, appliedIndex: 12, leaderID: nil, isLeader: false)
        metrics.raft.observe(term: 4, commitIndex: 13, appliedIndex: 13, leaderID: "n2", isLeader: false)
        let text = metrics.exposition()
        #expect(text.contains("coffer_raft_term 4"))
        #expect(text.contains("coffer_raft_commit_index 13"))
        #expect(text.contains("coffer_raft_applied_index 13"))
        #expect(text.contains("coffer_raft_is_leader 0"))
        #expect(text.contains("coffer_raft_leader_changes_total 2"))
    }

    @Test func requestsAndAuditFailuresAreCounted() {
        let metrics = CofferMetrics()
        metrics.recordRequest(route: "secret", method: "GET", status: 200, duration: .milliseconds(3))
        metrics.recordRequest(route: "secret", method: "GET", status: 200, duration: .milliseconds(30))
        metrics.recordAuditFailure(device: "file/")
        let text = metrics.exposition()
        #expect(text.contains("coffer_http_requests_total{route=\"secret\",method=\"GET\",status=\"200\"} 2"))
        #expect(text.contains("coffer_http_request_duration_seconds_count{route=\"secret\"} 2"))
        #expect(text.contains("coffer_audit_failures_total{device=\"file/\"} 1"))
    }
}
