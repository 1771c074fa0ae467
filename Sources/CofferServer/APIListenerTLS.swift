import API
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// TLS on the API listener, with a certificate that can be replaced while serving.
///
/// The current `NIOSSLContext` sits in a lock; each accepted connection takes the one
/// current at that moment, so ``reload()`` (SIGHUP) affects new connections only and
/// open ones keep theirs. A reload that fails (unreadable or mismatched files) keeps the
/// previous context and throws.
final class APIListenerTLS: Sendable {
    struct Settings: Sendable, Equatable {
        var certFile: String
        var keyFile: String
        var minVersion: String?
        var clientCAFile: String?
        var requireClientCert: Bool
    }

    let settings: Settings
    private let context: NIOLockedValueBox<NIOSSLContext>

    init(_ settings: Settings) throws(ServerStartError) {
        self.settings = settings
        self.context = NIOLockedValueBox(try Self.makeContext(settings))
    }

    var current: NIOSSLContext { context.withLockedValue { $0 } }

    /// Reads the certificate and key files again.
    func reload() throws(ServerStartError) {
        let fresh = try Self.makeContext(settings)
        context.withLockedValue { $0 = fresh }
    }

    static func makeContext(_ settings: Settings) throws(ServerStartError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(settings.certFile)
        } catch {
            throw .config("tls_cert_file \(settings.certFile): cannot read a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw .config("tls_cert_file \(settings.certFile): no certificate in the file")
        }
        do {
            key = try NIOSSLPrivateKey(file: settings.keyFile, format: .pem)
        } catch {
            throw .config("tls_key_file \(settings.keyFile): cannot read a PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = try tlsVersion(settings.minVersion ?? "tls12")
        if let ca = settings.clientCAFile {
            configuration.trustRoots = .file(ca)
            configuration.certificateVerification = settings.requireClientCert ? .noHostnameVerification : .none
        } else if settings.requireClientCert {
            throw .config("tls_require_and_verify_client_cert needs tls_client_ca_file")
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .config("TLS: the certificate and key cannot be used together (\(error))")
        }
    }

    /// Vault's `tls_min_version` names.
    static func tlsVersion(_ name: String) throws(ServerStartError) -> TLSVersion {
        switch name {
        case "tls10": .tlsv1
        case "tls11": .tlsv11
        case "tls12": .tlsv12
        case "tls13": .tlsv13
        default: throw .config("tls_min_version \"\(name)\" is not one of tls10, tls11, tls12, tls13")
        }
    }

    /// Vault's HTTP/1 channel (``VaultHTTPServer``) with TLS in front of it.
    func serverBuilder(_ configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            ReloadableTLSChannel(
                base: VaultHTTPServer.childChannel(responder: responder, configuration: configuration), tls: self)
        }
    }
}

/// A child channel with a TLS handler first in its pipeline, ahead of everything the
/// base channel adds (the LIST rewriter inserts itself first too, so TLS is added after
/// the base's setup, at the very front).
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: APIListenerTLS

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = tls.current
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
