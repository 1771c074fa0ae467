/// Tunables of a `TLSClusterTransport`. Defaults suit a LAN cluster.
public struct TLSClusterTransportConfiguration: Sendable {
    /// Address to listen on. Tests use `127.0.0.1`.
    public var host: String
    /// Port to listen on; `0` picks a free port (read it back from `TLSClusterTransport.localAddress`).
    public var port: Int
    /// Largest accepted frame (header + payload); larger inbound frames close the connection, larger outbound
    /// messages are dropped at `send`.
    public var maximumFrameSize: Int
    /// Per-peer outbound queue bound, in messages. Overflow drops the oldest queued message.
    public var maximumQueuedMessagesPerPeer: Int
    /// Per-peer outbound queue bound, in encoded bytes. Overflow drops the oldest queued message.
    public var maximumQueuedBytesPerPeer: Int
    /// Messages the `inbound` stream buffers for a slow consumer before dropping the oldest.
    public var inboundBufferCapacity: Int
    /// Bytes written to a connection but not yet accepted by the kernel above which the transport stops
    /// writing to that peer (messages wait in, and overflow from, the bounded queue instead).
    public var writeBufferHighWaterMark: Int
    /// Reconnect delays.
    public var backoff: ReconnectBackoff
    /// Seed for reconnect jitter; `nil` seeds from the system generator. Set it to replay a schedule.
    public var jitterSeed: UInt64?
    /// Limit for the TCP connect.
    public var connectTimeout: Duration
    /// Limit for TLS plus the node-id handshake on a new connection, inbound or outbound.
    public var handshakeTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        maximumFrameSize: Int = ClusterFrameCodec.defaultMaximumFrameSize,
        maximumQueuedMessagesPerPeer: Int = 4096,
        maximumQueuedBytesPerPeer: Int = 64 * 1024 * 1024,
        inboundBufferCapacity: Int = 16384,
        writeBufferHighWaterMark: Int = 1024 * 1024,
        backoff: ReconnectBackoff = ReconnectBackoff(),
        jitterSeed: UInt64? = nil,
        connectTimeout: Duration = .seconds(3),
        handshakeTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.maximumFrameSize = maximumFrameSize
        self.maximumQueuedMessagesPerPeer = maximumQueuedMessagesPerPeer
        self.maximumQueuedBytesPerPeer = maximumQueuedBytesPerPeer
        self.inboundBufferCapacity = inboundBufferCapacity
        self.writeBufferHighWaterMark = writeBufferHighWaterMark
        self.backoff = backoff
        self.jitterSeed = jitterSeed
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
    }
}
