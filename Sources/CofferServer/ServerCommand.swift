import API
import AppRole
import Core
import Engines
import Cluster
import Foundation
import HA
import Raft
import Hummingbird
import Logging
import Storage

/// What `coffer server` was asked to do, as parsed from its command line.
public struct ServerOptions: Sendable {
    /// Config files given with `-config` (Vault allows the flag more than once).
    public var configPaths: [String]
    /// `-dev`: an in-memory, initialised and unsealed node with one key share.
    public var dev: Bool
    /// `-dev-listen-address`, default 127.0.0.1:8200.
    public var devListenAddress: String?
    /// `-dev-root-token-id`: use this root token in dev mode instead of a random one.
    public var devRootTokenID: String?
    /// `-log-level` overriding the config file's `log_level`.
    public var logLevel: String?

    public init(
        configPaths: [String] = [],
        dev: Bool = false,
        devListenAddress: String? = nil,
        devRootTokenID: String? = nil,
        logLevel: String? = nil
    ) {
        self.configPaths = configPaths
        self.dev = dev
        self.devListenAddress = devListenAddress
        self.devRootTokenID = devRootTokenID
        self.logLevel = logLevel
    }
}

/// Runs a Coffer server until it is told to stop (SIGINT/SIGTERM).
public enum ServerCommand {
    public static func run(_ options: ServerOptions) async throws {
        let config = try loadConfig(options)
        let level = Logger.Level(vaultName: options.logLevel ?? config.logLevel ?? "info")
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "coffer.server")
        for warning in config.warnings {
            logger.warning("config: \(warning)")
        }
        guard let listener = config.listeners.first else {
            throw ServerStartError.config("no listener block: add listener \"tcp\" { address = \"...\" }")
        }
        let (host, port) = try parseAddress(listener.address)
        let cluster = try makeCluster(config, listener: listener, logger: logger)
        let physical: any Storage = cluster?.storage ?? MemoryStorage()
        let core = try await CofferCore(
            physical: physical,
            options: CoreOptions(
                disableUnauthedRekeyEndpoints: listener.disableUnauthedRekeyEndpoints,
                disableUnauthedGenerateRootEndpoints: listener.disableUnauthedGenerateRootEndpoints,
                storageType: storageType(config.storage),
                standbyReads: !config.disablePerformanceStandby
            ),
            backendFactory: backendFactory,
            logger: Logger(label: "coffer.core")
        )
        let hardening = try await ServerHardening.start(config: config, options: options, core: core, logger: logger)
        defer { hardening.stop() }
        if options.dev {
            try await bootstrapDev(core: core, options: options, address: listener.address)
        }
        var forwarder: (@Sendable ([UInt8]) async throws(CoreError) -> [UInt8])?
        if let cluster {
            await core.attach(cluster)
            forwarder = { request throws(CoreError) in try await cluster.forward(request) }
        }
        let responder = VaultHTTPResponder(
            core: core,
            maxRequestSize: listener.maxRequestSize ?? VaultHTTPResponder.defaultMaxRequestSize,
            logger: Logger(label: "coffer.api"),
            forwarder: forwarder,
            snapshots: cluster
        )
        if let cluster {
            let raftMetrics = hardening.metrics.raft
            await cluster.setRaftStatusObserver { status in
                raftMetrics.observe(
                    term: status.term, commitIndex: status.commit, appliedIndex: status.applied,
                    leaderID: status.leader.map { String($0, radix: 16) }, isLeader: status.role == .leader)
            }
            await cluster.setForwardedRequestHandler { request in await responder.serveForwarded(request) }
            await cluster.setConfiguredSnapshotSchedules(config.snapshotSchedules.map {
                SnapshotSchedule(
                    name: $0.name, interval: $0.interval, retain: $0.retain, pathPrefix: $0.pathPrefix,
                    filePrefix: $0.filePrefix)
            })
            let metrics = hardening.metrics
            await cluster.setSnapshotScheduleObserver { schedule, succeeded in
                metrics.recordScheduledSnapshot(schedule: schedule, succeeded: succeeded)
            }
            await cluster.startRetryJoin(core: core)
        }
        let app = Application(
            responder: hardening.metered(responder, core: core),
            // Vault clients send the LIST method; swift-nio's parser refuses it, so it is
            // rewritten to GET ?list=true before the decoder. TLS and read deadlines: ServerHardening.
            server: hardening.serverBuilder(listener),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { _ in
                logger.info("listening", metadata: ["address": "\(listener.address)"])
            },
            logger: Logger(label: "coffer.http")
        )
        // The expiration manager's clock; the core itself reads time only through its environment.
        let expiration = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await core.revokeExpired()
            }
        }
        defer { expiration.cancel() }
        try await app.runService()
        await cluster?.nodeSealed()
    }

    /// The node's place in a Raft cluster for `storage "raft"`; nil for in-memory storage.
    static func makeCluster(
        _ config: ServerConfig, listener: ServerConfig.Listener, logger: Logger
    ) throws -> RaftCluster? {
        guard case .raft(let path, let configuredID, let retryJoin) = config.storage else { return nil }
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let rawID = try configuredID ?? persistedNodeID(in: path)
        guard let name = ClusterNodeID(rawID) else {
            throw ServerStartError.config(
                "node_id \"\(rawID)\" must be a lowercase DNS label: a-z, 0-9 and '-', at most 63 characters")
        }
        let (apiHost, apiPort) = try parseAddress(listener.address)
        let clusterListen = listener.clusterAddress ?? "\(apiHost):\(apiPort + 1)"
        let (clusterHost, clusterPort) = try parseAddress(clusterListen)
        let advertisedAPI = config.apiAddr ?? "http://\(listener.address)"
        let advertisedCluster = config.clusterAddr ?? clusterListen
        var runtime = RaftRuntime.Options()
        let environment = ProcessInfo.processInfo.environment
        if let tick = environment["COFFER_RAFT_TICK_MS"].flatMap(Int.init), tick > 0 {
            runtime.tickInterval = .milliseconds(tick)
        }
        // Compact the Raft log after this many applied entries (default 8192); small values let tests make a DR
        // secondary fall behind the retained log.
        if let entries = environment["COFFER_RAFT_COMPACTION_ENTRIES"].flatMap(UInt64.init), entries > 0 {
            runtime.compactionThreshold = entries
        }
        var settings = RaftCluster.Settings(
            name: name, apiAddress: advertisedAPI, clusterAddress: advertisedCluster, listenHost: clusterHost,
            listenPort: clusterPort, retryJoin: retryJoin.compactMap(\.leaderAPIAddr), runtime: runtime)
        #if DEBUG
        // Planted faults for the chaos harness to prove its checkers can fail. Debug builds only.
        switch environment["COFFER_DEBUG_FAULT"] {
        case "stale-reads":
            // Reads without ReadIndex on a leader that does not notice it was cut off: the classic stale read.
            settings.unsafeStaleReads = true
            settings.runtime.keepLeadershipWhenIsolated = true
        case "early-ack": settings.runtime.acknowledgeBeforeCommit = true
        default: break
        }
        #endif
        logger.info("raft storage", metadata: ["node_id": "\(name)", "cluster_address": "\(clusterListen)"])
        return try RaftCluster(settings: settings, path: path)
    }

    /// Vault's rule when `node_id` is not set: a random id, kept in the data directory.
    static func persistedNodeID(in path: String) throws -> String {
        let file = (path as NSString).appendingPathComponent("node-id")
        if let data = FileManager.default.contents(atPath: file) {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let id = "node-" + UUID().uuidString.lowercased().prefix(8)
        FileManager.default.createFile(atPath: file, contents: Data(id.utf8), attributes: [.posixPermissions: 0o600])
        return id
    }

    /// Every engine and auth method this build can mount, by type.
    public static let backendFactory: BackendFactory = { type, options in
        if let engine = EngineRegistry.makeBackend(type: type, options: options) { return engine }
        switch type {
        case "approle": return AppRoleBackend()
        default: return nil
        }
    }

    static func loadConfig(_ options: ServerOptions) throws -> ServerConfig {
        if options.dev {
            var config = ServerConfig()
            config.storage = .inmem
            var listener = ServerConfig.Listener()
            listener.address = options.devListenAddress ?? "127.0.0.1:8200"
            listener.tlsDisable = true
            listener.disableUnauthedRekeyEndpoints = false
            listener.disableUnauthedGenerateRootEndpoints = false
            config.listeners = [listener]
            return config
        }
        guard !options.configPaths.isEmpty else {
            throw ServerStartError.config("a config file is required: coffer server -config=FILE (or -dev)")
        }
        var merged: ServerConfig?
        for path in options.configPaths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ServerStartError.config("cannot read config file \(path)")
            }
            let text = String(decoding: data, as: UTF8.self)
            let parsed: ServerConfig
            do {
                parsed = try ServerConfig.parse(text)
            } catch {
                throw ServerStartError.config("\(path): \(error.message)")
            }
            if var current = merged {
                current.listeners += parsed.listeners
                current.warnings += parsed.warnings
                merged = current
            } else {
                merged = parsed
            }
        }
        guard let config = merged else { throw ServerStartError.config("no config") }
        return config
    }

    static func storageType(_ backend: ServerConfig.StorageBackend) -> String {
        switch backend {
        case .inmem: "inmem"
        case .raft: "raft"
        }
    }

    static func parseAddress(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ServerStartError.config("listener address \"\(address)\" must be host:port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// Dev mode: initialise with one share, unseal, and print the share and root token.
    /// The only mode that prints them.
    static func bootstrapDev(core: CofferCore, options: ServerOptions, address: String) async throws {
        let result = try await core.initialize(shares: 1, threshold: 1, rootTokenID: options.devRootTokenID)
        let share = KeyShare(copying: result.shares[0])
        try await core.submitUnsealShare(share)
        // As in OpenBao's dev mode: KV version 2 at secret/.
        _ = try await core.handle(Core.Request(
            operation: .update, path: "sys/mounts/secret",
            data: ["type": "kv", "options": ["version": "2"], "description": "key/value secret storage"],
            clientToken: result.rootToken))
        let key = Data(result.shares[0]).base64EncodedString()
        let banner = """
            WARNING: dev mode. Coffer runs in memory, unsealed, with a single unseal key.
            Nothing is kept after it stops. Do not use dev mode for real secrets.

                $ export VAULT_ADDR='http://\(address)'

            Unseal Key: \(key)
            Root Token: \(result.rootToken)

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
    }
}

public enum ServerStartError: Error, CustomStringConvertible {
    case config(String)

    public var description: String {
        switch self {
        case .config(let message): message
        }
    }
}

extension Logger.Level {
    init(vaultName: String) {
        switch vaultName.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "warn", "warning": self = .warning
        case "err", "error": self = .error
        default: self = .info
        }
    }
}
