/// A message received from a peer, as delivered on `ClusterTransport.inbound`.
public struct InboundClusterMessage: Sendable, Hashable {
    /// The authenticated sender (for TLS: the node id bound to its certificate).
    public let from: ClusterNodeID
    public let message: ClusterMessage

    public init(from: ClusterNodeID, message: ClusterMessage) {
        self.from = from
        self.message = message
    }
}
