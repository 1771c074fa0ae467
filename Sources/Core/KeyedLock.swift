/// Serialises work per key: two tasks locking the same key run one after the other,
/// tasks on different keys run concurrently. Used for read-modify-write of one stored
/// record (a token's use count, a KV entry's versions, a secret_id's uses).
///
/// A key may also be held shared (`withSharedLock`): any number of shared holders run
/// together, an exclusive holder runs alone. AppRole issues secret_ids under the roles
/// key shared, so issues run concurrently while a role change waits for them all.
///
/// Fair in arrival order per key: a shared request behind a waiting exclusive one waits
/// too, so writers are not starved. An actor: its own state is only the wait queues.
public actor KeyedLock {
    private struct Holders {
        var readers = 0
        var writer = false
        var queue: [(shared: Bool, continuation: CheckedContinuation<Void, Never>)] = []

        var isIdle: Bool { readers == 0 && !writer && queue.isEmpty }
    }

    private var holders: [String: Holders] = [:]

    public init() {}

    /// Runs `body` while holding the lock for `key` alone.
    public func withLock<T: Sendable, Failure: Error>(
        _ key: String, _ body: @Sendable () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        await acquire(key, shared: false)
        defer { release(key, shared: false) }
        return try await body()
    }

    /// Runs `body` while holding the lock for `key` shared with other shared holders.
    public func withSharedLock<T: Sendable, Failure: Error>(
        _ key: String, _ body: @Sendable () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        await acquire(key, shared: true)
        defer { release(key, shared: true) }
        return try await body()
    }

    private func acquire(_ key: String, shared: Bool) async {
        var state = holders[key] ?? Holders()
        if state.queue.isEmpty && !state.writer && (shared || state.readers == 0) {
            if shared { state.readers += 1 } else { state.writer = true }
            holders[key] = state
            return
        }
        // Granted by `release`, which counts this task as a holder before resuming it.
        await withCheckedContinuation { continuation in
            holders[key, default: Holders()].queue.append((shared, continuation))
        }
    }

    private func release(_ key: String, shared: Bool) {
        guard var state = holders[key] else { return }
        if shared { state.readers -= 1 } else { state.writer = false }
        while let next = state.queue.first {
            if next.shared {
                guard !state.writer else { break }
                state.readers += 1
            } else {
                guard !state.writer && state.readers == 0 else { break }
                state.writer = true
            }
            state.queue.removeFirst()
            next.continuation.resume()
            if state.writer { break }
        }
        holders[key] = state.isIdle ? nil : state
    }
}
