import LMDB
import Raft
import Storage

/// The writes of committed entries that a leader made visible, and answered, before the transaction applying
/// them to LMDB has committed (see `RaftRuntime`'s notes on answering before the apply's fsync).
///
/// The runtime stages them (`stagePendingApply`) right before it persists the `Ready` that applies them, and
/// clears them once that transaction has committed: the overlay only ever holds one `Ready`'s committed
/// entries, and is empty outside a persist. Reads through `ReplicatedStorage` look here first, then in LMDB.
/// That order is what makes them correct: a key missing here was either never staged (LMDB holds its latest
/// applied value) or cleared after its transaction committed, so the LMDB read that follows sees it.
struct PendingApply: Sendable {
    enum Value: Sendable, Equatable {
        case put([UInt8])
        case deleted
    }

    var values: [String: Value] = [:]
}

extension NodeStore {
    /// Makes the writes of `entries` (committed, not yet applied) visible to reads before they are applied. An
    /// entry whose command does not decode is skipped, as `apply` skips it. Raises `cachedStateChanges` when a
    /// write touches state the core caches, as `apply` does.
    func stagePendingApply(_ entries: some Collection<Entry>) {
        var values: [String: PendingApply.Value] = [:]
        var touchesCachedState = false
        for entry in entries {
            guard case .command(let bytes) = entry.payload, let batches = try? StorageCommand.decode(bytes) else {
                continue
            }
            for operation in batches.joined() {
                switch operation {
                case .put(let key, let value): values[key] = .put(value)
                case .delete(let key): values[key] = .deleted
                }
                if !touchesCachedState, Self.touchesCachedState(operation.key) { touchesCachedState = true }
            }
        }
        if touchesCachedState { cachedStateChanges.add(1, ordering: .sequentiallyConsistent) }
        pendingApply.withLock { $0.values = values }
    }

    /// Empties the overlay: the transaction that applied its writes has committed.
    func clearPendingApply() {
        pendingApply.withLock { $0.values.removeAll() }
    }

    /// The staged write of `key`, if one is staged.
    func pendingValue(_ key: String) -> PendingApply.Value? {
        pendingApply.withLock { $0.values.isEmpty ? nil : $0.values[key] }
    }

    /// The value of `key` as reads see it: the staged write if there is one, else the state machine's.
    func visibleValue(_ key: String) throws -> [UInt8]? {
        switch pendingValue(key) {
        case .put(let value): return value
        case .deleted: return nil
        case nil: return try environment.read { try $0.get(Array(key.utf8), in: data.database) }
        }
    }

    /// The staged writes of keys under `prefix`.
    func pendingValues(under prefix: String) -> [String: PendingApply.Value] {
        pendingApply.withLock { pending in
            pending.values.isEmpty ? [:] : pending.values.filter { $0.key.hasPrefix(prefix) }
        }
    }

    /// `LMDBStorage.list(prefix:)` over the state machine with `pending` (writes under `prefix`) laid on top:
    /// the full keys under the prefix, merged, then cut to the names one level below it, in key order.
    func list(prefix: String, over pending: [String: PendingApply.Value]) throws -> [String] {
        let prefixBytes = Array(prefix.utf8)
        var keys = Set(try environment.read { try $0.keys(in: data.database, prefix: prefixBytes) })
        for (key, value) in pending {
            if value == .deleted { keys.remove(Array(key.utf8)) } else { keys.insert(Array(key.utf8)) }
        }
        var names: [String] = []
        var lastDirectory: ArraySlice<UInt8>?
        for key in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let rest = key[prefixBytes.count...]
            if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                let directory = rest[...slash]
                if directory != lastDirectory { names.append(String(decoding: directory, as: UTF8.self)) }
                lastDirectory = directory
            } else if !rest.isEmpty {
                names.append(String(decoding: rest, as: UTF8.self))
            }
        }
        return names
    }
}
