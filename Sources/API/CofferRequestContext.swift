import Hummingbird
import NIOCore

/// Per-request context: Hummingbird's core storage plus the peer address, which the
/// core needs for CIDR-bound tokens and audit records.
public struct CofferRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
