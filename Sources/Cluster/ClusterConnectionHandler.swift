import Logging
import NIOCore
import NIOSSL

/// The last handler of a cluster connection's pipeline: runs the node-id handshake, then hands frames to the
/// transport core and writes frames the core gives it.
///
/// Handshake: the dialing side sends `hello(localNode)` when the channel becomes active (NIOSSL holds it until
/// TLS completes). The accepting side checks that the claimed id is named by the peer's (already CA-verified)
/// certificate and answers with its own `hello`; the dialing side checks that the answer names the peer it meant
/// to reach and that the certificate names it too. Anything else before the handshake, a second `hello`, a
/// malformed frame, a TLS failure or the handshake timeout closes the connection with a log line naming the peer.
///
/// Owned by the channel's event loop (the transport's loop); not `Sendable`.
final class ClusterConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ClusterFrame
    typealias OutboundOut = ByteBuffer

    enum Role {
        /// Accepted by our listener; the peer is whoever its certificate and hello say.
        case accepted
        /// Dialed by us to reach `expected`.
        case dialed(expected: ClusterNodeID)
    }

    private enum State {
        case awaitingHello
        case established(ClusterNodeID)
        case closed
    }

    let role: Role
    let connectionID: UInt64
    private weak var core: TLSClusterTransportCore?
    private let localNode: ClusterNodeID
    private let codec: ClusterFrameCodec
    private let handshakeTimeout: TimeAmount
    private var logger: Logger
    private var state = State.awaitingHello
    private var context: ChannelHandlerContext?
    private var handshakeTimer: Scheduled<Void>?

    init(
        role: Role,
        connectionID: UInt64,
        core: TLSClusterTransportCore,
        localNode: ClusterNodeID,
        codec: ClusterFrameCodec,
        handshakeTimeout: TimeAmount,
        logger: Logger
    ) {
        self.role = role
        self.connectionID = connectionID
        self.core = core
        self.localNode = localNode
        self.codec = codec
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
        if case .dialed(let expected) = role { self.logger[metadataKey: "peer"] = "\(expected)" }
    }

    /// The authenticated peer, once the handshake is done.
    var peer: ClusterNodeID? {
        if case .established(let peer) = state { return peer }
        return nil
    }

    var channel: Channel? { context?.channel }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if case .accepted = role, let remote = context.channel.remoteAddress {
            logger[metadataKey: "remote"] = "\(remote)"
        }
        let channel = context.channel
        let connectionID = connectionID
        let logger = logger
        handshakeTimer = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            logger.warning("cluster connection handshake timed out", metadata: ["connection": "\(connectionID)"])
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .dialed = role {
            writeFrame(.hello(localNode), context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        state = .closed
        core?.connectionClosed(self)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, peer != nil { core?.connectionBecameWritable(self) }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch (state, frame) {
        case (.awaitingHello, .hello(let claimed)):
            completeHandshake(claimed: claimed, context: context)
        case (.awaitingHello, .message(let message)):
            reject("\(message.kind) frame before hello", context: context)
        case (.established(let peer), .message(let message)):
            core?.receive(from: peer, message)
        case (.established, .hello):
            reject("second hello", context: context)
        case (.closed, _):
            return
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reject("\(Self.describe(error))", context: context)
    }

    /// Queues `buffer` (one encoded frame) on the connection; `flush()` sends it.
    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        context?.close(promise: nil)
    }

    private func completeHandshake(claimed: ClusterNodeID, context: ChannelHandlerContext) {
        let certificateDER = (try? context.pipeline.syncOperations.nioSSL_peerCertificate()?.toDERBytes()) ?? []
        guard ClusterNodeCredentials.nodeIDs(inCertificateDER: certificateDER).contains(claimed) else {
            reject("hello claims node \(claimed), which its certificate does not name", context: context)
            return
        }
        if case .dialed(let expected) = role, claimed != expected {
            reject("dialed \(expected) but the peer is \(claimed)", context: context)
            return
        }
        handshakeTimer?.cancel()
        handshakeTimer = nil
        logger[metadataKey: "peer"] = "\(claimed)"
        state = .established(claimed)
        if case .accepted = role {
            writeFrame(.hello(localNode), context: context)
        }
        core?.connectionEstablished(self, peer: claimed)
    }

    private func reject(_ reason: String, context: ChannelHandlerContext) {
        if case .closed = state { return }
        state = .closed
        logger.warning("closing cluster connection", metadata: ["reason": "\(reason)"])
        context.close(promise: nil)
    }

    private func writeFrame(_ frame: ClusterFrame, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 96)
        do {
            try codec.encode(frame, into: &buffer)
        } catch {
            reject("cannot encode \(frame.typeName) frame", context: context)
            return
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// A log-safe description: frame and TLS errors describe the failure, never message contents.
    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ClusterFrameError: "malformed frame: \(error)"
        case let error as NIOSSLError: "TLS: \(error)"
        case let error as BoringSSLError: "TLS: \(error)"
        default: "\(type(of: error))"
        }
    }
}
