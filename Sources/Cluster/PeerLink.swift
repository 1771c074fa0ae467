import NIOCore

/// The outbound side of the transport towards one peer: its address, bounded queue and connection state.
///
/// Owned by the transport's event loop (`TLSClusterTransportCore`); not `Sendable`.
final class PeerLink {
    /// One encoded frame waiting to be written.
    struct Entry {
        var frame: ByteBuffer
        var kind: ClusterMessage.Kind
        var correlationID: UInt64

        /// Whether a local `request` may be waiting on this frame (responses carry the peer's ids, not ours).
        var isRequest: Bool { correlationID != 0 && kind != .forwardResponse }
    }

    /// At most one outbound connection exists per peer; `id`s tell the current one from stale callbacks.
    enum State {
        /// No connection and no timer: the next `send` dials.
        case idle
        /// TCP connect, TLS and node-id handshake in progress for connection `id`.
        case connecting(id: UInt64, attempt: Int, channel: Channel?)
        /// Connection `id` is authenticated; queued frames are written while it is writable.
        case established(id: UInt64, handler: ClusterConnectionHandler)
        /// Waiting before reconnect attempt `attempt`; `id` identifies the timer.
        case backingOff(id: UInt64, attempt: Int, timer: Scheduled<Void>)
    }

    let peer: ClusterNodeID
    var address: PeerAddress?
    var queue: OutboundQueue<Entry>
    var state = State.idle
    var statistics = PeerLinkStatistics()

    init(peer: ClusterNodeID, address: PeerAddress?, maximumCount: Int, maximumBytes: Int) {
        self.peer = peer
        self.address = address
        self.queue = OutboundQueue(maximumCount: maximumCount, maximumBytes: maximumBytes)
    }

    var snapshot: PeerLinkStatistics {
        var statistics = statistics
        statistics.queuedMessages = queue.count
        statistics.queuedBytes = queue.byteCount
        if case .established = state { statistics.isConnected = true } else { statistics.isConnected = false }
        return statistics
    }
}
