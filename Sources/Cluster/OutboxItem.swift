/// A caller's send or request on its way from any thread to the transport's event loop.
enum OutboxItem: Sendable {
    case message(ClusterMessage, to: NodeID)
    case request(
        ClusterMessage,
        to: NodeID,
        timeout: Duration,
        continuation: CheckedContinuation<ClusterMessage, any Error>
    )
}
