/// Serialises work per key: two tasks locking the same key run one after the other,
/// tasks on different keys run concurrently. Used for read-modify-write of one stored
/// record (a token's use count, a KV entry's versions, a secret_id's uses).
///
/// Fair in arrival order per key. An actor: its own state is only the wait queues.
public actor KeyedLock {
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    /// Runs `body` while holding the lock for `key`.
    public func withLock<T: Sendable, Failure: Error>(
        _ key: String, _ body: @Sendable () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        if waiters[key] == nil {
            waiters[key] = []
            return
        }
        await withCheckedContinuation { continuation in
            waiters[key, default: []].append(continuation)
        }
    }

    private func release(_ key: String) {
        guard var queue = waiters[key] else { return }
        if queue.isEmpty {
            waiters[key] = nil
        } else {
            let next = queue.removeFirst()
            waiters[key] = queue
            next.resume()
        }
    }
}
