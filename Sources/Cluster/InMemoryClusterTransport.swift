import Synchronization

/// A `ClusterTransport` for tests: messages travel through an `InMemoryClusterNetwork` in the same process.
///
/// It keeps the protocol's guarantees (non-blocking `send`, per-peer order, request/response by correlation id,
/// timeouts) without sockets. Peer addresses are accepted and ignored: the network routes by node id. The inbound
/// stream buffers at most `inboundCapacity` messages and then drops the oldest, like the TLS transport's queues.
/// Mutable state (pending requests) is behind a `Mutex`; the class is `Sendable`.
public final class InMemoryClusterTransport: ClusterTransport {
    private struct State {
        var pending: [UInt64: CheckedContinuation<ClusterMessage, any Error>] = [:]
        var nextCorrelationID: UInt64 = 1
        var isShutDown = false
    }

    public let localNode: ClusterNodeID
    public let inbound: AsyncStream<InboundClusterMessage>
    private let continuation: AsyncStream<InboundClusterMessage>.Continuation
    private let network: InMemoryClusterNetwork
    private let state = Mutex(State())

    init(localNode: ClusterNodeID, network: InMemoryClusterNetwork, inboundCapacity: Int) {
        self.localNode = localNode
        self.network = network
        (inbound, continuation) = AsyncStream.makeStream(
            of: InboundClusterMessage.self,
            bufferingPolicy: .bufferingNewest(max(1, inboundCapacity))
        )
    }

    public func send(to peer: ClusterNodeID, _ message: ClusterMessage) {
        guard !state.withLock({ $0.isShutDown }) else { return }
        network.deliver(from: localNode, to: peer, message)
    }

    public func request(
        to peer: ClusterNodeID,
        _ message: ClusterMessage,
        timeout: Duration
    ) async throws -> ClusterMessage {
        let id = state.withLock { state in
            defer { state.nextCorrelationID += 1 }
            return state.nextCorrelationID
        }
        var outgoing = message
        outgoing.correlationID = id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: ResponseContinuation) in
                let registered = state.withLock { state in
                    guard !state.isShutDown else { return false }
                    state.pending[id] = continuation
                    return true
                }
                guard registered else {
                    continuation.resume(throwing: ClusterTransportError.shutDown)
                    return
                }
                if Task.isCancelled {
                    complete(id, with: .failure(CancellationError()))
                    return
                }
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.complete(id, with: .failure(ClusterTransportError.timedOut))
                }
                network.deliver(from: localNode, to: peer, outgoing)
            }
        } onCancel: {
            self.complete(id, with: .failure(CancellationError()))
        }
    }

    public func updatePeer(_ peer: ClusterNodeID, address: PeerAddress) async {}

    public func removePeer(_ peer: ClusterNodeID) async {}

    public func shutdown() async {
        finish()
        network.detach(localNode, transport: self)
    }

    func finish() {
        let pending = state.withLock { state in
            state.isShutDown = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for continuation in pending { continuation.resume(throwing: ClusterTransportError.shutDown) }
        continuation.finish()
    }

    func receive(from peer: ClusterNodeID, _ message: ClusterMessage) {
        if message.kind == .forwardResponse, message.correlationID != 0,
           complete(message.correlationID, with: .success(message)) {
            return
        }
        if message.kind == .forwardResponse { return }
        continuation.yield(InboundClusterMessage(from: peer, message: message))
    }

    @discardableResult
    private func complete(_ id: UInt64, with result: Result<ClusterMessage, any Error>) -> Bool {
        let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
        guard let continuation else { return false }
        continuation.resume(with: result)
        return true
    }
}
