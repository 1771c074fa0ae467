import Storage
import Synchronization

/// An in-memory ``Storage`` that records the keys of every write call (`put`, `delete`, `batch`), one list
/// per call: for tests that check how many atomic writes (on a cluster, Raft rounds) an operation takes.
public final class RecordingStorage: Storage {
    public let inner = MemoryStorage()
    private let calls = Mutex<[[String]]>([])

    public init() {}

    public func get(_ key: String) async throws -> [UInt8]? { try await inner.get(key) }
    public func list(prefix: String) async throws -> [String] { await inner.list(prefix: prefix) }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        calls.withLock { $0.append([key]) }
        try await inner.put(key, value)
    }

    public func delete(_ key: String) async throws {
        calls.withLock { $0.append([key]) }
        try await inner.delete(key)
    }

    public func batch(_ operations: [StorageOperation]) async throws {
        calls.withLock { $0.append(operations.map(\.key)) }
        try await inner.batch(operations)
    }

    /// The write calls since the last `take()`, oldest first.
    public func take() -> [[String]] {
        calls.withLock { calls in
            defer { calls = [] }
            return calls
        }
    }
}
