/// Counters for one peer's outbound link, for metrics, logs and tests. A snapshot; it does not update.
public struct PeerLinkStatistics: Sendable, Hashable {
    /// TCP connects started (first attempts and reconnects).
    public var connectAttempts = 0
    /// Connections that completed TLS and the node-id handshake.
    public var connectionsEstablished = 0
    /// Messages handed to a connection.
    public var messagesWritten = 0
    /// Messages dropped from the queue (overflow, removal, shutdown).
    public var messagesDropped = 0
    /// Messages waiting in the queue now.
    public var queuedMessages = 0
    /// Encoded bytes waiting in the queue now.
    public var queuedBytes = 0
    /// Whether a connection is established now.
    public var isConnected = false

    public init() {}
}
