import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The mutable heart of `TLSClusterTransport`: peer links, accepted connections, pending requests.
///
/// Owned by one event loop: every method runs on `loop`, every channel of the transport lives on `loop`, so no
/// locks are needed and callbacks from handlers are plain calls. Reached from other threads only through
/// `NIOLoopBound` (which checks the loop) and `loop.execute`.
final class TLSClusterTransportCore {
    private struct PendingRequest {
        var continuation: CheckedContinuation<ClusterMessage, any Error>
        var timer: Scheduled<Void>
    }

    let localNode: ClusterNodeID
    let loop: any EventLoop
    private let configuration: TLSClusterTransportConfiguration
    private let codec: ClusterFrameCodec
    private let continuation: AsyncStream<InboundClusterMessage>.Continuation
    private let logger: Logger
    private var serverContext: NIOSSLContext
    private var clientContext: NIOSSLContext
    private var links: [ClusterNodeID: PeerLink] = [:]
    private var accepted: [UInt64: ClusterConnectionHandler] = [:]
    private var pending: [UInt64: PendingRequest] = [:]
    private var nextID: UInt64 = 1
    private var jitter: SplitMix64
    private var isShutDown = false
    private var inboundPaused = false
    private(set) var inboundDropped = 0
    /// When set (`TLSClusterTransport.deliverInbound(to:)`), inbound messages go here instead of `continuation`.
    var inboundHandler: (@Sendable (InboundClusterMessage) -> Void)?
    var serverChannel: Channel?

    init(
        localNode: ClusterNodeID,
        loop: any EventLoop,
        configuration: TLSClusterTransportConfiguration,
        serverContext: NIOSSLContext,
        clientContext: NIOSSLContext,
        continuation: AsyncStream<InboundClusterMessage>.Continuation,
        logger: Logger
    ) {
        self.localNode = localNode
        self.loop = loop
        self.configuration = configuration
        self.codec = ClusterFrameCodec(maximumFrameSize: configuration.maximumFrameSize)
        self.serverContext = serverContext
        self.clientContext = clientContext
        self.continuation = continuation
        self.logger = logger
        self.jitter = SplitMix64(seed: configuration.jitterSeed ?? UInt64.random(in: .min ... .max))
    }

    private var bound: NIOLoopBound<TLSClusterTransportCore> { NIOLoopBound(self, eventLoop: loop) }

    private func allocateID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: listener

    /// Sets up an accepted child channel's pipeline. Called from the server bootstrap on `loop`.
    func initializeAccepted(_ channel: Channel) throws {
        guard !isShutDown else { throw ChannelError.ioOnClosedChannel }
        let handler = ClusterConnectionHandler(
            role: .accepted,
            connectionID: allocateID(),
            core: self,
            localNode: localNode,
            codec: codec,
            handshakeTimeout: TimeAmount(configuration.handshakeTimeout),
            logger: logger
        )
        try channel.pipeline.syncOperations.addHandlers(
            NIOSSLServerHandler(context: serverContext),
            ByteToMessageHandler(ClusterFrameDecoderHandler(codec: codec)),
            handler
        )
        accepted[handler.connectionID] = handler
        if inboundPaused { channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
    }

    func updateCredentials(_ credentials: ClusterNodeCredentials) throws(ClusterCertificateError) {
        serverContext = try credentials.makeSSLContext(forServer: true)
        clientContext = try credentials.makeSSLContext(forServer: false)
    }

    // MARK: sending

    /// Takes a batch of sends and requests, in the order callers made them, and writes them with one flush per
    /// peer (rather than one TLS record and syscall per message).
    func process(_ batch: [OutboxItem]) {
        var touched: [ClusterNodeID: PeerLink] = [:]
        for item in batch {
            switch item {
            case .message(let message, let peer):
                if let link = enqueue(message, to: peer, drainNow: false) { touched[peer] = link }
            case .request(let message, let peer, let timeout, let continuation):
                startRequest(message, to: peer, timeout: timeout, continuation: continuation)
                if let link = links[peer] { touched[peer] = link }
            }
        }
        for link in touched.values { drain(link) }
    }

    /// Queues `message` for `peer`, dialing if idle. Returns the link when the message was queued.
    @discardableResult
    func enqueue(_ message: ClusterMessage, to peer: ClusterNodeID, drainNow: Bool = true) -> PeerLink? {
        guard !isShutDown else { return nil }
        guard let link = links[peer], link.address != nil else {
            if message.kind == .forwardResponse, answerOnAcceptedConnection(message, to: peer) { return nil }
            logger.debug("dropping message for peer with no address", metadata: [
                "peer": "\(peer)", "kind": "\(message.kind)",
            ])
            failRequest(for: message, with: .unknownPeer(peer))
            return nil
        }
        var frame = ByteBufferAllocator().buffer(capacity: ClusterFrameCodec.lengthPrefixSize
            + ClusterFrameCodec.headerSize + message.payload.count)
        do {
            try codec.encode(.message(message), into: &frame)
        } catch {
            logger.warning("dropping message above the frame limit", metadata: [
                "peer": "\(peer)", "kind": "\(message.kind)", "bytes": "\(message.payload.count)",
            ])
            failRequest(for: message, with: .dropped)
            return nil
        }
        let entry = PeerLink.Entry(frame: frame, kind: message.kind, correlationID: message.correlationID)
        let dropped = link.queue.enqueue(entry, size: frame.readableBytes)
        if !dropped.isEmpty {
            link.statistics.messagesDropped += dropped.count
            logger.debug("outbound queue full, dropped oldest", metadata: [
                "peer": "\(peer)", "dropped": "\(dropped.count)",
            ])
            for entry in dropped where entry.isRequest {
                completeRequest(entry.correlationID, with: .failure(ClusterTransportError.dropped))
            }
        }
        switch link.state {
        case .idle:
            dial(link, attempt: 0)
        case .established:
            if drainNow { drain(link) }
        case .connecting, .backingOff:
            break
        }
        return link
    }

    /// Answers a peer we have no address for (a DR secondary that dials in and does not listen) over the
    /// connection it opened, if one is established. Responses only: requests and Raft traffic still need a link.
    private func answerOnAcceptedConnection(_ message: ClusterMessage, to peer: ClusterNodeID) -> Bool {
        guard let handler = accepted.values.first(where: { $0.peer == peer }) else { return false }
        var frame = ByteBufferAllocator().buffer(capacity: ClusterFrameCodec.lengthPrefixSize
            + ClusterFrameCodec.headerSize + message.payload.count)
        guard (try? codec.encode(.message(message), into: &frame)) != nil else { return false }
        handler.write(frame)
        handler.flush()
        return true
    }

    /// Writes queued frames while the connection is writable, flushing every 256 KiB.
    private func drain(_ link: PeerLink) {
        guard case .established(_, let handler) = link.state else { return }
        var unflushed = 0
        while handler.isWritable, let entry = link.queue.popFirst() {
            unflushed += entry.frame.readableBytes
            handler.write(entry.frame)
            link.statistics.messagesWritten += 1
            if unflushed >= 256 * 1024 {
                handler.flush()
                unflushed = 0
            }
        }
        if unflushed > 0 { handler.flush() }
    }

    // MARK: connection lifecycle

    private func dial(_ link: PeerLink, attempt: Int) {
        guard !isShutDown, let address = link.address else {
            link.state = .idle
            return
        }
        let id = allocateID()
        link.state = .connecting(id: id, attempt: attempt, channel: nil)
        link.statistics.connectAttempts += 1
        let bound = bound
        let peer = link.peer
        let sslContext = clientContext
        let codec = codec
        let localNode = localNode
        let handshakeTimeout = TimeAmount(configuration.handshakeTimeout)
        let logger = logger
        let highWaterMark = max(configuration.writeBufferHighWaterMark, 2)
        ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelOption(
                ChannelOptions.writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(low: highWaterMark / 2, high: highWaterMark)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ClusterConnectionHandler(
                        role: .dialed(expected: peer),
                        connectionID: id,
                        core: bound.value,
                        localNode: localNode,
                        codec: codec,
                        handshakeTimeout: handshakeTimeout,
                        logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOSSLClientHandler(context: sslContext, serverHostname: nil),
                        ByteToMessageHandler(ClusterFrameDecoderHandler(codec: codec)),
                        handler
                    )
                }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { result in
                bound.value.connectCompleted(peer: peer, id: id, result: result)
            }
    }

    private func connectCompleted(peer: ClusterNodeID, id: UInt64, result: Result<Channel, any Error>) {
        let link = links[peer]
        guard let link, case .connecting(id, let attempt, _) = link.state else {
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .success(let channel):
            link.state = .connecting(id: id, attempt: attempt, channel: channel)
        case .failure(let error):
            logger.debug("cluster connect failed", metadata: [
                "peer": "\(peer)", "attempt": "\(attempt)", "error": "\(type(of: error))",
            ])
            scheduleReconnect(link, attempt: attempt + 1)
        }
    }

    private func scheduleReconnect(_ link: PeerLink, attempt: Int) {
        guard !isShutDown else {
            link.state = .idle
            return
        }
        let id = allocateID()
        let delay = configuration.backoff.delay(forAttempt: attempt, using: &jitter)
        let bound = bound
        let peer = link.peer
        let timer = loop.scheduleTask(in: TimeAmount(delay)) {
            bound.value.reconnectTimerFired(peer: peer, id: id)
        }
        link.state = .backingOff(id: id, attempt: attempt, timer: timer)
    }

    private func reconnectTimerFired(peer: ClusterNodeID, id: UInt64) {
        guard let link = links[peer], case .backingOff(id, let attempt, _) = link.state else { return }
        dial(link, attempt: attempt)
    }

    func connectionEstablished(_ handler: ClusterConnectionHandler, peer: ClusterNodeID) {
        switch handler.role {
        case .accepted:
            logger.info("accepted cluster connection", metadata: ["peer": "\(peer)"])
        case .dialed:
            guard let link = links[peer], case .connecting(handler.connectionID, _, _) = link.state else {
                handler.close()
                return
            }
            link.state = .established(id: handler.connectionID, handler: handler)
            link.statistics.connectionsEstablished += 1
            logger.info("cluster connection established", metadata: ["peer": "\(peer)"])
            drain(link)
        }
    }

    /// Decides what a closed connection means from the link's own state: a connection that never finished its
    /// handshake counts as a failed attempt (longer backoff); a lost established one reconnects from attempt 0.
    func connectionClosed(_ handler: ClusterConnectionHandler) {
        switch handler.role {
        case .accepted:
            accepted[handler.connectionID] = nil
        case .dialed(let peer):
            guard let link = links[peer] else { return }
            switch link.state {
            case .connecting(handler.connectionID, let attempt, _):
                scheduleReconnect(link, attempt: attempt + 1)
            case .established(handler.connectionID, _):
                logger.info("cluster connection lost", metadata: ["peer": "\(peer)"])
                if link.queue.isEmpty {
                    link.state = .idle
                } else {
                    scheduleReconnect(link, attempt: 0)
                }
            default:
                return
            }
        }
    }

    func connectionBecameWritable(_ handler: ClusterConnectionHandler) {
        guard case .dialed(let peer) = handler.role, let link = links[peer],
              case .established(handler.connectionID, _) = link.state
        else { return }
        drain(link)
    }

    /// Tears down whatever connection or timer `link` has, leaving it idle.
    private func reset(_ link: PeerLink) {
        switch link.state {
        case .idle:
            break
        case .connecting(_, _, let channel):
            channel?.close(promise: nil)
        case .established(_, let handler):
            handler.close()
        case .backingOff(_, _, let timer):
            timer.cancel()
        }
        link.state = .idle
    }

    // MARK: receiving

    func receive(from peer: ClusterNodeID, _ message: ClusterMessage) {
        if message.kind == .forwardResponse {
            if !completeRequest(message.correlationID, with: .success(message)) {
                logger.debug("dropping unmatched forward response", metadata: ["peer": "\(peer)"])
            }
            return
        }
        if let inboundHandler {
            inboundHandler(InboundClusterMessage(from: peer, message: message))
            return
        }
        if case .dropped = continuation.yield(InboundClusterMessage(from: peer, message: message)) {
            inboundDropped += 1
        }
    }

    // MARK: requests

    func startRequest(
        _ message: ClusterMessage,
        to peer: ClusterNodeID,
        timeout: Duration,
        continuation: CheckedContinuation<ClusterMessage, any Error>
    ) {
        guard !isShutDown else {
            continuation.resume(throwing: ClusterTransportError.shutDown)
            return
        }
        let bound = bound
        let id = message.correlationID
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
            _ = bound.value.completeRequest(id, with: .failure(ClusterTransportError.timedOut))
        }
        pending[id] = PendingRequest(continuation: continuation, timer: timer)
        enqueue(message, to: peer, drainNow: false)
    }

    @discardableResult
    func completeRequest(_ id: UInt64, with result: Result<ClusterMessage, any Error>) -> Bool {
        guard id != 0, let request = pending.removeValue(forKey: id) else { return false }
        request.timer.cancel()
        request.continuation.resume(with: result)
        return true
    }

    private func failRequest(for message: ClusterMessage, with error: ClusterTransportError) {
        if message.kind != .forwardResponse { completeRequest(message.correlationID, with: .failure(error)) }
    }

    // MARK: peers

    func updatePeer(_ peer: ClusterNodeID, address: PeerAddress) {
        guard !isShutDown else { return }
        guard let link = links[peer] else {
            links[peer] = PeerLink(
                peer: peer,
                address: address,
                maximumCount: configuration.maximumQueuedMessagesPerPeer,
                maximumBytes: configuration.maximumQueuedBytesPerPeer
            )
            return
        }
        guard link.address != address else { return }
        link.address = address
        reset(link)
        if !link.queue.isEmpty { dial(link, attempt: 0) }
    }

    func removePeer(_ peer: ClusterNodeID) {
        guard let link = links.removeValue(forKey: peer) else { return }
        reset(link)
        dropQueue(of: link, with: .unknownPeer(peer))
    }

    private func dropQueue(of link: PeerLink, with error: ClusterTransportError) {
        for entry in link.queue.removeAll() {
            link.statistics.messagesDropped += 1
            if entry.isRequest {
                completeRequest(entry.correlationID, with: .failure(error))
            }
        }
    }

    func statistics(for peer: ClusterNodeID) -> PeerLinkStatistics? {
        links[peer]?.snapshot
    }

    func setInboundPaused(_ paused: Bool) {
        inboundPaused = paused
        for handler in accepted.values {
            guard let channel = handler.channel else { continue }
            channel.setOption(ChannelOptions.autoRead, value: !paused).whenComplete { _ in }
            if !paused { channel.read() }
        }
    }

    // MARK: shutdown

    /// Closes everything and returns futures that complete when every channel is closed.
    func shutdown() -> [EventLoopFuture<Void>] {
        guard !isShutDown else { return [] }
        isShutDown = true
        var closing: [EventLoopFuture<Void>] = []
        for link in links.values {
            switch link.state {
            case .connecting(_, _, let channel?):
                closing.append(channel.closeFuture)
            case .established(_, let handler):
                if let channel = handler.channel { closing.append(channel.closeFuture) }
            default:
                break
            }
            reset(link)
            dropQueue(of: link, with: .shutDown)
        }
        for handler in accepted.values {
            if let channel = handler.channel { closing.append(channel.closeFuture) }
            handler.close()
        }
        if let serverChannel {
            closing.append(serverChannel.closeFuture)
            serverChannel.close(promise: nil)
        }
        for id in Array(pending.keys) {
            completeRequest(id, with: .failure(ClusterTransportError.shutDown))
        }
        continuation.finish()
        return closing
    }
}
