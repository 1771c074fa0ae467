import Raft
import Synchronization

/// Shares read-index requests among the reads a follower serves at the same time.
///
/// A read may use the index of a request that was sent after the read arrived, never of one sent before (the
/// leader could have acknowledged a write in between). So one request is out at a time, and the reads that
/// arrive while it is out wait for the next one, which is sent as soon as it returns. Under load each round trip
/// serves every read that arrived during the previous one.
///
/// Thread-safety: `Sendable`; the state is behind a mutex, continuations are resumed outside it.
final class ReadIndexBatcher: Sendable {
    private struct State {
        var inFlight = false
        var waiting: [CheckedContinuation<LogIndex, any Error>] = []
    }

    private let state = Mutex(State())

    /// The index of a read-index request sent after this call began; `fetch` sends one. Throws what `fetch`
    /// threw for the round this call joined.
    func readIndex(fetch: @escaping @Sendable () async throws -> LogIndex) async throws -> LogIndex {
        try await withCheckedThrowingContinuation { continuation in
            let startsRound = state.withLock { state in
                state.waiting.append(continuation)
                guard !state.inFlight else { return false }
                state.inFlight = true
                return true
            }
            if startsRound {
                Task { await self.rounds(fetch) }
            }
        }
    }

    /// Sends requests while reads wait: each round takes every read waiting when it starts.
    private func rounds(_ fetch: @Sendable () async throws -> LogIndex) async {
        while true {
            let batch = state.withLock { state in
                let batch = state.waiting
                state.waiting = []
                if batch.isEmpty { state.inFlight = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let result: Result<LogIndex, any Error>
            do {
                result = .success(try await fetch())
            } catch {
                result = .failure(error)
            }
            for waiter in batch { waiter.resume(with: result) }
        }
    }
}
