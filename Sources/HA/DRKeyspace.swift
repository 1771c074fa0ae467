import Storage

/// Which stored keys DR replication ships. A key is **local** (never shipped, never replaced by a baseline)
/// when it describes this cluster rather than the secrets it holds:
/// - `raft/`: Raft member records, snapshot-restore staging and commits, the applied primary index;
/// - `core/cluster/`: the cluster CA behind this cluster's mTLS port;
/// - `core/raft/`: autopilot settings and snapshot schedules;
/// - `core/replication/`: the replication state itself (replication CA, known secondaries, primary endpoints).
/// Everything else ships as the primary stored it (barrier ciphertext, plus the seal configuration, root-key
/// record and keyring, which is how the secondary comes to use the primary's keys and unseal shares).
enum DRKeyspace {
    static let localPrefixes = ["raft/", "core/cluster/", "core/raft/", "core/replication/"]

    static func isLocal(_ key: String) -> Bool {
        localPrefixes.contains { key.hasPrefix($0) }
    }

    static func isLocal(_ key: some Collection<UInt8>) -> Bool {
        localPrefixes.contains { key.starts(with: $0.utf8) }
    }

    /// The replicable operations of one entry's batches, in order.
    static func replicable(_ batches: [[StorageOperation]]) -> [StorageOperation] {
        batches.flatMap { batch in batch.filter { !isLocal($0.key) } }
    }

    /// Whether an entry replaced the whole state (a snapshot restore commit): a secondary cannot follow it
    /// entry by entry and must take a new baseline.
    static func replacesState(_ batches: [[StorageOperation]]) -> Bool {
        batches.contains { batch in batch.contains { $0.key == NodeStore.restoreCommitKey } }
    }
}
