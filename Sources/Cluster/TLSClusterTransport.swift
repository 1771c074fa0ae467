import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The production `ClusterTransport`: one listening TCP port, mutual TLS 1.3 with cluster-CA certificates,
/// length-prefixed frames, one outbound connection per peer.
///
/// Guarantees, beyond those of `ClusterTransport`:
/// - Peers are authenticated twice: TLS accepts only certificates that chain to a trusted cluster root (both
///   directions), and the node-id handshake accepts only an id that the peer's certificate names (and, when
///   dialing, only the id we meant to reach). Plaintext and wrong-CA clients never get past TLS.
/// - Each peer has its own bounded queue and connection; a peer that stops reading fills only its own queue
///   (then drops its oldest messages) and never delays writes to other peers.
/// - Messages to a peer are sent over our outbound connection to it; the peer answers over its own outbound
///   connection to us, so both nodes must know each other's address (`updatePeer`).
/// - Failed or lost connections are retried with `ReconnectBackoff` while messages are queued.
/// - Malformed input (bad length, oversize frame, unknown type, garbage) closes that connection only, with a log
///   line naming the peer; the node keeps serving.
///
/// Thread safety: all mutable state lives in a `TLSClusterTransportCore` owned by one event loop of the group;
/// every channel of this transport runs on that loop. Public methods hop onto it.
public final class TLSClusterTransport: ClusterTransport {
    public let localNode: ClusterNodeID
    public let inbound: AsyncStream<InboundClusterMessage>
    /// Where this transport listens (with the port actually bound when the configuration asked for port 0).
    public let localAddress: PeerAddress

    private let loop: any EventLoop
    private let core: NIOLoopBound<TLSClusterTransportCore>
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let nextCorrelationID = Atomic<UInt64>(1)
    private let outbox = TransportOutbox()

    private init(
        localNode: ClusterNodeID,
        inbound: AsyncStream<InboundClusterMessage>,
        localAddress: PeerAddress,
        loop: any EventLoop,
        core: NIOLoopBound<TLSClusterTransportCore>,
        ownedGroup: MultiThreadedEventLoopGroup?
    ) {
        self.localNode = localNode
        self.inbound = inbound
        self.localAddress = localAddress
        self.loop = loop
        self.core = core
        self.ownedGroup = ownedGroup
    }

    /// Binds the listener and returns a running transport.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: the group to use; `nil` creates a one-thread group that `shutdown()` closes.
    /// - Throws: `ClusterCertificateError` for unusable credentials, `ClusterTransportError.startFailed` when the
    ///   port cannot be bound.
    public static func start(
        credentials: ClusterNodeCredentials,
        configuration: TLSClusterTransportConfiguration = TLSClusterTransportConfiguration(),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "coffer.cluster.transport")
    ) async throws -> TLSClusterTransport {
        let serverContext = try credentials.makeSSLContext(forServer: true)
        let clientContext = try credentials.makeSSLContext(forServer: false)
        let ownedGroup = eventLoopGroup == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let loop = (eventLoopGroup ?? ownedGroup ?? MultiThreadedEventLoopGroup.singleton).next()
        var logger = logger
        logger[metadataKey: "node"] = "\(credentials.nodeID)"
        let (inbound, continuation) = AsyncStream.makeStream(
            of: InboundClusterMessage.self,
            bufferingPolicy: .bufferingNewest(max(1, configuration.inboundBufferCapacity))
        )
        let node = credentials.nodeID
        let coreLogger = logger
        let core = try await loop.submit {
            NIOLoopBound(
                TLSClusterTransportCore(
                    localNode: node,
                    loop: loop,
                    configuration: configuration,
                    serverContext: serverContext,
                    clientContext: clientContext,
                    continuation: continuation,
                    logger: coreLogger
                ),
                eventLoop: loop
            )
        }.get()

        let serverChannel: Channel
        do {
            serverChannel = try await ServerBootstrap(group: loop, childGroup: loop)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try core.value.initializeAccepted(channel)
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            continuation.finish()
            try? await ownedGroup?.shutdownGracefully()
            throw ClusterTransportError.startFailed("bind \(configuration.host):\(configuration.port): \(error)")
        }
        try await loop.submit { core.value.serverChannel = serverChannel }.get()
        let port = serverChannel.localAddress?.port ?? configuration.port
        logger.info("cluster transport listening", metadata: ["address": "\(configuration.host):\(port)"])
        return TLSClusterTransport(
            localNode: node,
            inbound: inbound,
            localAddress: PeerAddress(host: configuration.host, port: port),
            loop: loop,
            core: core,
            ownedGroup: ownedGroup
        )
    }

    public func send(to peer: ClusterNodeID, _ message: ClusterMessage) {
        post(.message(message, to: peer))
    }

    public var eventLoop: (any EventLoop)? { loop }

    public func deliverInbound(to handler: @escaping @Sendable (InboundClusterMessage) -> Void) async {
        let core = core
        try? await loop.submit { core.value.inboundHandler = handler }.get()
    }

    /// Hands `item` to the loop, scheduling a drain unless one is already pending. On the loop itself the
    /// outbox is drained at once: the caller (the Raft loop, before it makes its own append durable) wants
    /// the bytes on the wire now, not after its current task.
    private func post(_ item: OutboxItem) {
        let mustSchedule = outbox.append(item)
        if loop.inEventLoop {
            core.value.process(outbox.take())
            return
        }
        guard mustSchedule else { return }
        let core = core
        let outbox = outbox
        loop.execute { core.value.process(outbox.take()) }
    }

    public func request(
        to peer: ClusterNodeID,
        _ message: ClusterMessage,
        timeout: Duration
    ) async throws -> ClusterMessage {
        let id = nextCorrelationID.add(1, ordering: .relaxed).newValue
        let outgoing = ClusterMessage(kind: message.kind, correlationID: id, payload: message.payload)
        let core = core
        let loop = loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: ResponseContinuation) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                self.post(.request(outgoing, to: peer, timeout: timeout, continuation: continuation))
            }
        } onCancel: {
            loop.execute { core.value.completeRequest(id, with: .failure(CancellationError())) }
        }
    }

    public func updatePeer(_ peer: ClusterNodeID, address: PeerAddress) async {
        let core = core
        try? await loop.submit { core.value.updatePeer(peer, address: address) }.get()
    }

    public func removePeer(_ peer: ClusterNodeID) async {
        let core = core
        try? await loop.submit { core.value.removePeer(peer) }.get()
    }

    /// Replaces this node's certificate, key and trusted roots (CA rotation). New connections use them at once;
    /// established connections keep the identity they were authenticated with until they reconnect.
    public func updateCredentials(_ credentials: ClusterNodeCredentials) async throws {
        guard credentials.nodeID == localNode else {
            throw ClusterCertificateError.certificateDoesNotNameNode(localNode)
        }
        let core = core
        try await loop.submit { try core.value.updateCredentials(credentials) }.get()
    }

    /// Counters for the link to `peer`, or `nil` for an unknown peer.
    public func statistics(for peer: ClusterNodeID) async -> PeerLinkStatistics? {
        let core = core
        return try? await loop.submit { core.value.statistics(for: peer) }.get()
    }

    /// Inbound messages dropped because the `inbound` consumer fell behind.
    public func inboundDroppedCount() async -> Int {
        let core = core
        return (try? await loop.submit { core.value.inboundDropped }.get()) ?? 0
    }

    /// Stops reading from accepted connections (tests: simulates a peer that stops reading).
    func setInboundPaused(_ paused: Bool) async {
        let core = core
        try? await loop.submit { core.value.setInboundPaused(paused) }.get()
    }

    public func shutdown() async {
        let core = core
        let closing = (try? await loop.submit { core.value.shutdown() }.get()) ?? []
        for future in closing { try? await future.get() }
        try? await ownedGroup?.shutdownGracefully()
    }
}
