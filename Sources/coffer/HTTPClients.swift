import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The CLI's HTTP clients: at most one per kind of exchange in a process, made on first use on NIO's shared
/// event loop group, and shut down by `CofferMain` before the process exits (AsyncHTTPClient requires it).
/// They verify servers against the system's trust roots, as the URLSession (libcurl) client did.
enum HTTPClients {
    enum Kind: Hashable {
        /// API requests with in-memory bodies: 60 s to connect and between reads (URLRequest's default
        /// `timeoutInterval`); redirects followed, keeping method and body for 307 and 308.
        case api
        /// Snapshot streams: 3600 s between reads; redirects are followed by `SnapshotTransfer` itself, which
        /// can send a streamed body again.
        case transfer
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var clients: [Kind: HTTPClient] = [:]

    static func client(_ kind: Kind) -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        if let client = clients[kind] { return client }
        var configuration: HTTPClient.Configuration
        switch kind {
        case .api:
            configuration = HTTPClient.Configuration(
                redirectConfiguration: .follow(max: 10, allowCycles: false),
                timeout: .init(connect: .seconds(60), read: .seconds(60)))
        case .transfer:
            configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(60), read: .seconds(3600)))
        }
        // A refused connection fails the request at once, as it did with URLSession, instead of retrying
        // until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[kind] = client
        return client
    }

    /// Shuts down every client made so far. Called once, as the process ends.
    static func shutdown() async {
        let made: [HTTPClient] = {
            lock.lock()
            defer { lock.unlock() }
            let made = Array(clients.values)
            clients = [:]
            return made
        }()
        for client in made {
            try? await client.shutdown()
        }
    }

    /// Words a transport failure like Go's `net/http` does for the common cases.
    static func describe(_ error: any Error, url: URL) -> String {
        let host = url.host ?? ""
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        let refused = "dial tcp \(host):\(port): connect: connection refused"
        let noHost = "dial tcp: lookup \(host): no such host"
        switch error {
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return noHost
            }
            if let first = error.connectionErrors.first {
                return describe(first.error, url: url)
            }
        case let error as IOError:
            if error.errnoCode == ECONNREFUSED || error.errnoCode == ECONNRESET {
                return refused
            }
        case is SocketAddressError:
            return noHost
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .tlsHandshakeTimeout:
                return "context deadline exceeded"
            case .remoteConnectionClosed:
                return "EOF"
            default:
                break
            }
        case let error as ChannelError:
            if case .connectTimeout = error {
                return "context deadline exceeded"
            }
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return "tls: failed to verify certificate: " + tlsReason(error)
        default:
            break
        }
        return String(describing: error)
    }

    /// BoringSSL's reason (`CERTIFICATE_VERIFY_FAILED`) without the error codes and source paths around it.
    private static func tlsReason(_ error: any Error) -> String {
        let text = String(describing: error)
        guard let marker = text.range(of: "OPENSSL_internal:") else { return text }
        let reason = text[marker.upperBound...].prefix { $0 != " " && $0 != "]" && $0 != ")" }
        return reason.isEmpty ? text : String(reason)
    }
}
