/// Resumed with a request's response (or its failure).
typealias ResponseContinuation = CheckedContinuation<ClusterMessage, any Error>

/// A caller's send or request on its way from any thread to the transport's event loop.
enum OutboxItem: Sendable {
    case message(ClusterMessage, to: ClusterNodeID)
    case request(
        ClusterMessage,
        to: ClusterNodeID,
        timeout: Duration,
        continuation: CheckedContinuation<ClusterMessage, any Error>
    )
}
