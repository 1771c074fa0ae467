import API
import Audit
import Core
import Dispatch
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Telemetry

/// What a node adds around its core beyond serving the API: memory locking and no core
/// dumps, audit devices, TLS and slow-client deadlines on the listener, metrics, and
/// reloading on SIGHUP. Created once by ``ServerCommand`` after the core, stopped on
/// shutdown.
///
/// SIGHUP re-reads the config files, makes the declared audit devices match their
/// stanzas, reopens every device (log rotation) and reloads the listener's certificate.
/// Reloads run one at a time on a task of their own; a config that does not parse
/// changes nothing and is logged.
final class ServerHardening: Sendable {
    let audit: AuditDevices
    let metrics: CofferMetrics
    let tls: APIListenerTLS?
    let logger: Logger
    /// Set once in init; only `cancel()` is called on it afterwards, which Dispatch allows
    /// from any thread. Dispatch's source types are not marked Sendable.
    nonisolated(unsafe) private let signalSource: DispatchSourceSignal

    private init(
        audit: AuditDevices, metrics: CofferMetrics, tls: APIListenerTLS?, logger: Logger,
        signalSource: DispatchSourceSignal
    ) {
        self.audit = audit
        self.metrics = metrics
        self.tls = tls
        self.logger = logger
        self.signalSource = signalSource
    }

    static func start(
        config: ServerConfig, options: ServerOptions, core: CofferCore, logger: Logger
    ) async throws -> ServerHardening {
        try MemoryHygiene.forbidCoreDumps()
        if !config.disableMlock && !options.dev {
            try MemoryHygiene.lockMemory()
            logger.info("memory locked (mlockall)")
        }
        let metrics = CofferMetrics()
        var tls: APIListenerTLS?
        if let listener = config.listeners.first, !listener.tlsDisable {
            tls = try APIListenerTLS(.init(
                certFile: listener.tlsCertFile ?? "", keyFile: listener.tlsKeyFile ?? "",
                minVersion: listener.tlsMinVersion, clientCAFile: listener.tlsClientCAFile,
                requireClientCert: listener.tlsRequireAndVerifyClientCert))
        }
        let audit = AuditDevices(
            allowAPICreation: config.unsafeAllowAPIAuditCreation, allowPrefix: config.allowAuditLogPrefixing,
            logger: Logger(label: "coffer.audit"))
        do {
            try await audit.apply(declared: config.auditDevices)
        } catch {
            throw ServerStartError.config(error.description)
        }
        await audit.setFailureObserver { device in metrics.recordAuditFailure(device: device) }
        await core.setAuditBroker(audit)

        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let hardening = ServerHardening(
            audit: audit, metrics: metrics, tls: tls, logger: logger, signalSource: source)
        let reloads = ReloadQueue()
        source.setEventHandler {
            reloads.enqueue {
                await hardening.reload(options: options)
            }
        }
        source.resume()
        return hardening
    }

    func stop() {
        signalSource.cancel()
    }

    /// SIGHUP.
    func reload(options: ServerOptions) async {
        logger.info("SIGHUP: reloading")
        let config: ServerConfig
        do {
            config = try ServerCommand.loadConfig(options)
        } catch {
            logger.error("reload: config not applied", metadata: ["error": "\(error)"])
            return
        }
        do {
            try await audit.apply(declared: config.auditDevices)
        } catch {
            logger.error("reload: audit devices not changed", metadata: ["error": "\(error.description)"])
        }
        await audit.reopenAll()
        if let tls {
            do {
                try tls.reload()
                logger.info("reload: TLS certificate reloaded")
            } catch {
                logger.error("reload: TLS certificate not reloaded", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The API server: Vault's HTTP/1 with the LIST rewriter, read deadlines against slow
    /// clients, and TLS unless the listener disables it.
    func serverBuilder(_ listener: ServerConfig.Listener) -> HTTPServerBuilder {
        let headTimeout = listener.readHeaderTimeout > 0 ? TimeAmount.seconds(listener.readHeaderTimeout) : nil
        let bodyTimeout = listener.readTimeout > 0 ? TimeAmount.seconds(listener.readTimeout) : nil
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                OversizedHeadResponder(), RequestReadDeadline(headTimeout: headTimeout, bodyTimeout: bodyTimeout),
            ],
            idleTimeout: listener.idleTimeout > 0 ? .seconds(listener.idleTimeout) : nil)
        return tls?.serverBuilder(configuration) ?? VaultHTTPServer.http1(configuration: configuration)
    }

    /// `responder` counted and timed, with `sys/metrics` served.
    func metered(_ responder: VaultHTTPResponder, core: CofferCore) -> MeteredResponder {
        MeteredResponder(base: responder, core: core, metrics: metrics)
    }
}

/// Runs reload jobs one after another, in the order the signals came.
final class ReloadQueue: Sendable {
    private let continuation: AsyncStream<@Sendable () async -> Void>.Continuation

    init() {
        let (stream, continuation) = AsyncStream<@Sendable () async -> Void>.makeStream()
        self.continuation = continuation
        Task.detached {
            for await job in stream { await job() }
        }
    }

    func enqueue(_ job: @escaping @Sendable () async -> Void) {
        continuation.yield(job)
    }
}
