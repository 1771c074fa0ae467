import NIOCore

/// The seam between the cluster runtime (Raft, forwarding, snapshots) and the network.
///
/// Guarantees every implementation gives:
/// - `send` never waits on the network or on a slow peer: it enqueues into a per-peer bounded queue and returns.
///   When a peer's queue is full the **oldest** queued message is dropped (see `OutboundQueue`): Raft tolerates
///   loss, and the newest messages (current term, latest commit index) are the ones worth delivering to a peer
///   that comes back. A dropped request fails its `request` call at once with `.dropped`.
/// - Messages to one peer that are delivered arrive in the order they were sent (per-peer FIFO); there is no
///   ordering between peers and no delivery guarantee.
/// - Messages on `inbound` carry the authenticated sender id.
/// - `forwardResponse` messages whose correlation id matches a pending `request` complete that request and do
///   not appear on `inbound`; unmatched responses (late, after a timeout) are dropped.
public protocol ClusterTransport: Sendable {
    /// The event loop every connection of this transport runs on, or nil when it has none (in-memory tests).
    ///
    /// Code that mostly sends and receives (the Raft loop) can run there: a `send` made on this loop is written
    /// to the socket before it returns, and `deliverInbound(to:)` hands it messages on the same thread, so a
    /// message costs no thread hop either way. Work on this loop must not wait on anything but the disk.
    var eventLoop: (any EventLoop)? { get }

    /// From now on hands every inbound message to `handler`, called on `eventLoop`, in arrival order per peer,
    /// instead of yielding it on `inbound`. Only for transports with an `eventLoop`; the others ignore it.
    func deliverInbound(to handler: @escaping @Sendable (InboundClusterMessage) -> Void) async

    /// This node.
    var localNode: ClusterNodeID { get }

    /// Messages from peers, in arrival order per peer. Finishes when the transport shuts down.
    var inbound: AsyncStream<InboundClusterMessage> { get }

    /// Enqueues `message` for `peer` and returns at once. Messages to a peer with no known address, or larger
    /// than the frame limit, are dropped and logged.
    func send(to peer: ClusterNodeID, _ message: ClusterMessage)

    /// Sends `message` (of any kind but `forwardResponse`) as a request with a fresh correlation id and waits for
    /// the peer's response.
    ///
    /// The peer answers with `send(to:_:)` of `request.response(payload:)`. Correlation ids on non-response
    /// messages are the transport's to assign; `send` callers leave them 0. Snapshot install uses this too: each
    /// `snapshotChunk` is a request the receiver acknowledges, so the sender is paced by the receiver and a chunk
    /// lost to overflow or a broken connection surfaces as an error to retry, never as a silent gap.
    /// - Throws: `ClusterTransportError.timedOut` after `timeout`, `.dropped` if the request was evicted from the
    ///   outbound queue, `.shutDown` if the transport stops, `CancellationError` if the task is cancelled.
    func request(to peer: ClusterNodeID, _ message: ClusterMessage, timeout: Duration) async throws -> ClusterMessage

    /// Sets (or replaces) where `peer` listens. Queued messages are kept; a connection to the old address is closed
    /// and the next one goes to the new address.
    func updatePeer(_ peer: ClusterNodeID, address: PeerAddress) async

    /// Forgets `peer`: closes its connection and drops its queue.
    func removePeer(_ peer: ClusterNodeID) async

    /// Closes every connection and the listener, fails pending requests, and finishes `inbound`.
    func shutdown() async
}

extension ClusterTransport {
    public var eventLoop: (any EventLoop)? { nil }

    public func deliverInbound(to handler: @escaping @Sendable (InboundClusterMessage) -> Void) async {}
}
