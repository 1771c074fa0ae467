/// Why a transport operation failed.
public enum ClusterTransportError: Error, Hashable, Sendable {
    /// No response arrived within the request's timeout.
    case timedOut
    /// The request was dropped before it reached the wire (outbound queue overflow, no known address, or a
    /// frame above the size limit). Loss on the wire shows up as `timedOut` instead.
    case dropped
    /// The transport was shut down.
    case shutDown
    /// The peer is not known to the transport.
    case unknownPeer(ClusterNodeID)
    /// The listener could not bind or TLS could not be configured.
    case startFailed(String)
}
