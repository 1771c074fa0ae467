import Synchronization

/// The hand-off from callers (any thread) to the transport's event loop: calls append under a lock, and at most
/// one drain task is scheduled on the loop at a time, which takes everything appended so far.
///
/// This keeps `send` non-blocking and preserves the order of each caller's calls (sends and requests alike),
/// while letting the loop write a burst with one flush per peer. The outbox itself is not bounded: the loop
/// empties it without waiting on any peer, and per-peer bounds apply as soon as items reach the loop.
/// State behind a `Mutex`; `Sendable`.
final class TransportOutbox: Sendable {
    private struct State {
        var items: [OutboxItem] = []
        var drainScheduled = false
    }

    private let state = Mutex(State())

    /// Appends `item`; returns `true` when the caller must schedule a drain (none is pending).
    func append(_ item: OutboxItem) -> Bool {
        state.withLock { state in
            state.items.append(item)
            if state.drainScheduled { return false }
            state.drainScheduled = true
            return true
        }
    }

    /// Takes every pending item, oldest first, and lets the next `append` schedule a new drain.
    func take() -> [OutboxItem] {
        state.withLock { state in
            state.drainScheduled = false
            defer { state.items.removeAll(keepingCapacity: true) }
            return state.items
        }
    }
}
