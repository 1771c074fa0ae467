import Storage
import Synchronization

/// The physical storage under a clustered node's barrier: reads from the local state machine, writes through
/// the Raft log.
///
/// Guarantees (on top of `Storage`'s):
/// - A write that returns was committed by a quorum (in the log, fsync'd, on a majority) and is visible to
///   reads here (`RaftRuntime.write`); its apply to the local LMDB may still be committing, and until it has,
///   reads find it in the node store's overlay (`PendingApply`). A write that throws
///   `ReplicationError.unknownOutcome` may still apply; every other error means it never will.
/// - Reads see the local state machine. They are linearizable only after `RaftRuntime.confirmLeadership()`,
///   which the core calls before serving each request on the active node. A read that overlaps a snapshot
///   restore's swap throws `ReplicationError.restoring` rather than answer from a half-swapped state.
/// - Inside a `ReadOnlyScope` (a standby serving a read itself) every write is refused and recorded.
/// - Before the node founds or joins a cluster (`local`), writes go straight to the local store: only
///   `sys/init` writes then. While sealed (`closed`), writes fail.
///
/// Thread-safety: `Sendable`; the mode is behind a mutex.
public final class ReplicatedStorage: Storage {
    public enum Mode: Sendable {
        case local
        case closed
        case replicated(RaftRuntime)
    }

    public let store: NodeStore
    private let mode: Mutex<Mode>

    public init(store: NodeStore, mode: Mode) {
        self.store = store
        self.mode = Mutex(mode)
    }

    /// The runtime writes go through, while the node takes part in its cluster.
    public var runtime: RaftRuntime? {
        if case .replicated(let runtime) = mode.withLock({ $0 }) { return runtime }
        return nil
    }

    public func setMode(_ next: Mode) {
        mode.withLock { $0 = next }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try StorageKey.validate(key)
        // The overlay before LMDB, never after: see `PendingApply`.
        return try store.guardedRead { try store.visibleValue(key) }
    }

    public func list(prefix: String) async throws -> [String] {
        let pending = store.pendingValues(under: prefix)
        if pending.isEmpty {
            return try await store.guardedRead { try await store.data.list(prefix: prefix) }
        }
        return try store.guardedRead { try store.list(prefix: prefix, over: pending) }
    }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        try await batch([.put(key: key, value: value)])
    }

    public func delete(_ key: String) async throws {
        try await batch([.delete(key: key)])
    }

    public func batch(_ operations: [StorageOperation]) async throws {
        for operation in operations { try StorageKey.validate(operation.key) }
        guard !operations.isEmpty else { return }
        if let scope = ReadOnlyScope.current {
            scope.refuseWrite()
            throw WriteRefusedInReadOnlyScope()
        }
        switch mode.withLock({ $0 }) {
        case .local: try store.writeLocally(operations)
        case .closed: throw ReplicationError.stopped
        case .replicated(let runtime): try await runtime.write(operations)
        }
    }
}
