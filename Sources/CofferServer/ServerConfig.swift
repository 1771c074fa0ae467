import Audit
import HCL

/// A server config file in Vault's format, as Coffer reads it. The same file can start
/// `bao server`: keys Vault knows that Coffer does not use are accepted with a warning
/// naming them; any other key is an error naming it and its line.
public struct ServerConfig: Sendable, Equatable {
    public enum StorageBackend: Sendable, Equatable {
        /// `storage "raft" { path, node_id }`: LMDB under `path`.
        case raft(path: String, nodeID: String?, retryJoin: [RetryJoin])
        /// `storage "inmem" {}`: nothing survives a restart (tests and dev mode).
        case inmem
    }

    public struct RetryJoin: Sendable, Equatable {
        public var leaderAPIAddr: String?
    }

    public struct Listener: Sendable, Equatable {
        public var address: String = "127.0.0.1:8200"
        public var clusterAddress: String?
        public var tlsDisable: Bool = false
        public var tlsCertFile: String?
        public var tlsKeyFile: String?
        public var tlsMinVersion: String?
        public var disableUnauthedRekeyEndpoints: Bool = true
        public var disableUnauthedGenerateRootEndpoints: Bool = true
        public var maxRequestSize: Int?
        public var tlsClientCAFile: String?
        public var tlsRequireAndVerifyClientCert: Bool = false
        /// Seconds a client may take to send a request head (Vault's default 10s).
        public var readHeaderTimeout: Int64 = 10
        /// Seconds a client may take to send a request body once its head arrived (30s).
        public var readTimeout: Int64 = 30
        /// Seconds an idle keep-alive connection is kept (5m).
        public var idleTimeout: Int64 = 300
    }

    public var storage: StorageBackend = .inmem
    public var listeners: [Listener] = []
    public var apiAddr: String?
    public var clusterAddr: String?
    public var clusterName: String?
    public var disableMlock: Bool = false
    /// `disable_performance_standby = true`: standbys forward every request, reads too, instead of answering
    /// reads from their own copy of the state after a read-index round.
    public var disablePerformanceStandby = false
    public var logLevel: String?
    /// `audit "TYPE" "NAME" { ... }` stanzas (ServerConfig+Audit.swift).
    public var auditDevices: [AuditDeviceConfig] = []
    public var unsafeAllowAPIAuditCreation = false
    public var allowAuditLogPrefixing = false
    /// `snapshot_schedule "NAME" { ... }` stanzas (ServerConfig+SnapshotSchedule.swift).
    public var snapshotSchedules: [SnapshotScheduleConfig] = []
    /// Human-readable notes about accepted-but-unused keys, one per key.
    public var warnings: [String] = []

    public init() {}

    /// Top-level keys Coffer reads.
    static let topLevelKeys: Set<String> = [
        "storage", "listener", "api_addr", "cluster_addr", "cluster_name", "disable_mlock", "log_level",
        "audit", "unsafe_allow_api_audit_creation", "allow_audit_log_prefixing", "snapshot_schedule",
        "disable_performance_standby",
    ]

    /// Top-level keys Vault or OpenBao know that Coffer accepts and ignores.
    static let ignoredTopLevelKeys: Set<String> = [
        "ui", "telemetry", "disable_cache", "plugin_directory", "log_format", "log_file", "log_rotate_bytes",
        "log_rotate_duration", "log_rotate_max_files", "pid_file", "default_lease_ttl", "max_lease_ttl",
        "default_max_request_duration", "raw_storage_endpoint", "introspection_endpoint", "disable_clustering",
        "disable_sealwrap", "disable_printable_check",
        "enable_response_header_hostname", "enable_response_header_raft_node_id", "log_requests_level",
        "detect_deadlocks", "service_registration", "plugin_file_uid", "plugin_file_permissions",
        "cache_size", "imprecise_lease_role_tracking", "enable_ui", "max_lease_ttl", "ha_storage",
        "user_lockout",
        "plugin_auto_download", "plugin_auto_register", "plugin_download_behavior", "initialize",
    ]

    static let listenerKeys: Set<String> = [
        "address", "cluster_address", "tls_disable", "tls_cert_file", "tls_key_file", "tls_min_version",
        "disable_unauthed_rekey_endpoints", "disable_unauthed_generate_root_endpoints", "max_request_size",
        "tls_client_ca_file", "tls_require_and_verify_client_cert", "http_read_header_timeout", "http_read_timeout",
        "http_idle_timeout",
    ]

    static let ignoredListenerKeys: Set<String> = [
        "tls_max_version", "tls_cipher_suites", "tls_disable_client_certs", "proxy_protocol_behavior", "proxy_protocol_authorized_addrs",
        "x_forwarded_for_authorized_addrs", "x_forwarded_for_hop_skips", "x_forwarded_for_reject_not_present",
        "x_forwarded_for_reject_not_authorized", "max_request_duration", "http_write_timeout", "telemetry", "profiling",
        "inflight_requests_logging", "custom_response_headers", "unauthenticated_metrics_access",
        "agent_api", "purpose", "redact_addresses", "redact_cluster_name", "redact_version",
        "disable_request_limiter", "chroot_namespace", "tls_prefer_server_cipher_suites",
    ]

    static let raftKeys: Set<String> = ["path", "node_id", "retry_join"]

    static let ignoredRaftKeys: Set<String> = [
        "performance_multiplier", "trailing_logs", "snapshot_threshold", "snapshot_interval",
        "max_entry_size", "autopilot_reconcile_interval", "autopilot_update_interval", "retry_join_as_non_voter",
        "max_transaction_size", "autopilot_upgrade_version", "autopilot_redundancy_zone",
    ]

    static let retryJoinKeys: Set<String> = [
        "leader_api_addr", "leader_tls_servername", "leader_ca_cert_file", "leader_client_cert_file",
        "leader_client_key_file", "leader_ca_cert", "leader_client_cert", "leader_client_key",
        "auto_join", "auto_join_scheme", "auto_join_port", "retry_join_as_non_voter",
    ]

    /// Parses HCL (or JSON when the text starts with `{`).
    public static func parse(_ text: String) throws(ConfigError) -> ServerConfig {
        let body: HCLBody
        do {
            body = try HCLParser.parseDocument(text)
        } catch {
            throw ConfigError(message: error.description)
        }
        var config = ServerConfig()
        try config.readTopLevel(body)
        return config
    }

    private mutating func readTopLevel(_ body: HCLBody) throws(ConfigError) {
        try checkKeys(body, known: Self.topLevelKeys, ignored: Self.ignoredTopLevelKeys, context: "")
        do {
            apiAddr = try body.string("api_addr")
            clusterAddr = try body.string("cluster_addr")
            clusterName = try body.string("cluster_name")
            disableMlock = try body.bool("disable_mlock") ?? false
            disablePerformanceStandby = try body.bool("disable_performance_standby") ?? false
            logLevel = try body.string("log_level")
        } catch {
            throw ConfigError(message: error.description)
        }
        let storages = body.blocks(named: "storage")
        if storages.count > 1 {
            throw ConfigError(message: "line \(storages[1].line): only one storage block is allowed")
        }
        if let storage = storages.first {
            try readStorage(storage)
        } else {
            throw ConfigError(message: "no storage block: add storage \"raft\" { path = \"...\" }")
        }
        for block in body.blocks(named: "listener") {
            try readListener(block)
        }
        try readAudit(body)
        try readSnapshotSchedules(body)
    }

    private mutating func readStorage(_ block: HCLBlock) throws(ConfigError) {
        guard let type = block.labels.first else {
            throw ConfigError(message: "line \(block.line): storage block needs a type, e.g. storage \"raft\"")
        }
        switch type {
        case "raft":
            try checkKeys(block.body, known: Self.raftKeys, ignored: Self.ignoredRaftKeys, context: "storage \"raft\"")
            do {
                guard let path = try block.body.string("path"), !path.isEmpty else {
                    throw ConfigError(message: "line \(block.line): storage \"raft\" needs a path")
                }
                var joins: [RetryJoin] = []
                for join in block.body.blocks(named: "retry_join") {
                    try checkKeys(join.body, known: Self.retryJoinKeys, ignored: [], context: "retry_join")
                    joins.append(RetryJoin(leaderAPIAddr: try join.body.string("leader_api_addr")))
                }
                storage = .raft(path: path, nodeID: try block.body.string("node_id"), retryJoin: joins)
            } catch let error as ConfigError {
                throw error
            } catch let error as HCLError {
                throw ConfigError(message: error.description)
            } catch {
                throw ConfigError(message: "line \(block.line): invalid storage block")
            }
        case "inmem":
            try checkKeys(block.body, known: [], ignored: [], context: "storage \"inmem\"")
            storage = .inmem
        default:
            throw ConfigError(
                message: "line \(block.line): storage \"\(type)\" is not supported; use storage \"raft\"")
        }
    }

    private mutating func readListener(_ block: HCLBlock) throws(ConfigError) {
        guard block.labels.first == "tcp" else {
            throw ConfigError(
                message: "line \(block.line): listener \"\(block.labels.first ?? "")\" is not supported; use \"tcp\"")
        }
        try checkKeys(block.body, known: Self.listenerKeys, ignored: Self.ignoredListenerKeys, context: "listener")
        var listener = Listener()
        do {
            listener.address = try block.body.string("address") ?? listener.address
            listener.clusterAddress = try block.body.string("cluster_address")
            listener.tlsDisable = try block.body.bool("tls_disable") ?? false
            listener.tlsCertFile = try block.body.string("tls_cert_file")
            listener.tlsKeyFile = try block.body.string("tls_key_file")
            listener.tlsMinVersion = try block.body.string("tls_min_version")
            listener.disableUnauthedRekeyEndpoints = try block.body.bool("disable_unauthed_rekey_endpoints") ?? true
            listener.disableUnauthedGenerateRootEndpoints =
                try block.body.bool("disable_unauthed_generate_root_endpoints") ?? true
            listener.maxRequestSize = try block.body.int("max_request_size")
            try readListenerHardening(block, into: &listener)
        } catch {
            throw ConfigError(message: error.description)
        }
        if !listener.tlsDisable && (listener.tlsCertFile == nil || listener.tlsKeyFile == nil) {
            throw ConfigError(
                message: "line \(block.line): listener needs tls_cert_file and tls_key_file, or tls_disable = true")
        }
        listeners.append(listener)
    }

    mutating func checkKeys(
        _ body: HCLBody, known: Set<String>, ignored: Set<String>, context: String
    ) throws(ConfigError) {
        let place = context.isEmpty ? "" : " in \(context)"
        for item in body.items {
            if known.contains(item.key) { continue }
            if ignored.contains(item.key) {
                warnings.append("line \(item.position.line): \(item.key)\(place) is not used by Coffer; ignored")
                continue
            }
            throw ConfigError(message: "line \(item.position.line): unknown key \"\(item.key)\"\(place)")
        }
    }
}

/// A config file Coffer cannot use; the message names the key and line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
