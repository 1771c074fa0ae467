import Synchronization

/// A hub connecting `InMemoryClusterTransport`s in one process, with injectable faults: partitions, cut links
/// and random loss from a seeded generator.
///
/// Delivery is synchronous inside `send` (no network, no event loop): a message that is not dropped is on the
/// receiver's `inbound` stream (or completes its pending request) when `send` returns. Per sender/receiver pair
/// order is preserved. All mutable state is behind one `Mutex`; the class is `Sendable`.
public final class InMemoryClusterNetwork: Sendable {
    private struct Link: Hashable {
        var from: ClusterNodeID
        var to: ClusterNodeID
    }

    private struct State {
        var endpoints: [ClusterNodeID: InMemoryClusterTransport] = [:]
        var cutLinks: Set<Link> = []
        var dropProbability = 0.0
        var generator: SplitMix64
        var delivered = 0
        var dropped = 0
    }

    private let state: Mutex<State>

    /// - Parameter seed: seeds the loss generator, so a lossy run replays exactly.
    public init(seed: UInt64 = 0) {
        state = Mutex(State(generator: SplitMix64(seed: seed)))
    }

    /// Creates and attaches a transport for `node`, replacing any earlier one (a restarted node).
    public func makeTransport(for node: ClusterNodeID, inboundCapacity: Int = 4096) -> InMemoryClusterTransport {
        let transport = InMemoryClusterTransport(localNode: node, network: self, inboundCapacity: inboundCapacity)
        let previous = state.withLock { state in
            let previous = state.endpoints[node]
            state.endpoints[node] = transport
            return previous
        }
        previous?.finish()
        return transport
    }

    /// Splits the nodes into two sides that cannot reach each other (both directions).
    public func partition(_ side: Set<ClusterNodeID>, from other: Set<ClusterNodeID>) {
        state.withLock { state in
            for a in side {
                for b in other {
                    state.cutLinks.insert(Link(from: a, to: b))
                    state.cutLinks.insert(Link(from: b, to: a))
                }
            }
        }
    }

    /// Cuts the one-way link `from` -> `to`.
    public func cut(from: ClusterNodeID, to: ClusterNodeID) {
        _ = state.withLock { $0.cutLinks.insert(Link(from: from, to: to)) }
    }

    /// Restores every cut link and partition.
    public func heal() {
        state.withLock { $0.cutLinks.removeAll() }
    }

    /// Drops each message independently with probability `probability` (0...1).
    public func setDropProbability(_ probability: Double) {
        state.withLock { $0.dropProbability = min(max(probability, 0), 1) }
    }

    /// Messages delivered and dropped so far.
    public var counts: (delivered: Int, dropped: Int) {
        state.withLock { ($0.delivered, $0.dropped) }
    }

    func detach(_ node: ClusterNodeID, transport: InMemoryClusterTransport) {
        state.withLock { state in
            if state.endpoints[node] === transport { state.endpoints[node] = nil }
        }
    }

    func deliver(from: ClusterNodeID, to: ClusterNodeID, _ message: ClusterMessage) {
        let receiver: InMemoryClusterTransport? = state.withLock { state in
            guard let receiver = state.endpoints[to], !state.cutLinks.contains(Link(from: from, to: to)) else {
                state.dropped += 1
                return nil
            }
            if state.dropProbability > 0,
               Double.random(in: 0..<1, using: &state.generator) < state.dropProbability {
                state.dropped += 1
                return nil
            }
            state.delivered += 1
            return receiver
        }
        receiver?.receive(from: from, message)
    }
}
