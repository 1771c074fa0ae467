import Cluster
import Crypto
import LMDB
import Raft
import Storage
import Synchronization

/// One node's disk: a single LMDB environment holding both the Raft log (`RaftLogStore`'s databases) and the
/// state machine, the database `coffer` of barrier ciphertext (the same database a single-node store uses).
///
/// Because both live in one environment, a `Ready`'s log append, the writes of the entries it commits and the
/// applied index are one transaction and one fsync (`persist(_:)`): after a crash the state machine is always
/// exactly at its recorded applied index.
///
/// Thread-safety: `Sendable`; reads run on the caller's thread; `persist` is called by one `RaftRuntime` at a time.
public final class NodeStore: Sendable {
    public let environment: Environment
    /// The state machine, readable by anyone (the barrier reads through it).
    public let data: LMDBStorage
    public let log: RaftLogStore
    /// Odd while a snapshot restore swaps the state machine over several transactions
    /// (`persist(_:splittingAt:durableHardState:)`): a read that began in that window could see part of the old
    /// state and part of the new, so readers outside the Raft loop bracket their reads with it (`guardedRead`).
    let restoreGeneration = Atomic<UInt64>(0)
    /// Raised before a write that touches what the core keeps in memory is applied (keys under `core/`: mount
    /// tables, keyring, audit table; and `sys/policy/`), and before a snapshot replaces the state; raised again
    /// once that transaction committed (`committingCachedState`).
    let cachedStateChanges = Atomic<UInt64>(0)
    /// Committed writes a leader has answered and made visible before their apply committed (`PendingApply`).
    let pendingApply = Mutex(PendingApply())

    /// Changes whenever state the core caches may have changed (see `cachedStateChanges`) or a restore swapped
    /// the state: a standby that serves reads from tables it built notices they may be stale.
    public var cachedStateGeneration: UInt64 {
        cachedStateChanges.load(ordering: .sequentiallyConsistent)
            &+ restoreGeneration.load(ordering: .sequentiallyConsistent)
    }

    static func touchesCachedState(_ key: String) -> Bool {
        key.hasPrefix("core/") || key.hasPrefix("sys/policy/")
    }

    /// Opens (creating if needed) the node's store in directory `path`.
    ///
    /// Without `MDB_WRITEMAP`: LMDB then copies a transaction's dirty pages into the file with `pwrite`. Through
    /// a writable map, every first write to a page after it was flushed takes a page fault and ext4's
    /// `page_mkwrite`, and every flush write-protects the page again (TLB shootdowns): with keys spread over
    /// the tree (tokens, secret_ids) that cost grows with the pages each commit touches, and it held the
    /// write rows 15-90% below this (bench/run A/B, twice each). The price is heap for the dirty pages of one
    /// transaction: a snapshot restore's swap holds the new state's pages until it commits, and LMDB keeps
    /// freed single pages for reuse.
    public init(path: String) throws {
        environment = try Environment(path: path, configuration: Environment.Configuration(maxDatabases: 16))
        data = try LMDBStorage(environment: environment)
        log = try RaftLogStore(environment: environment)
        try finishInterruptedRestore()
    }

    /// Persists `ready` and applies its snapshot (with `snapshotData`, the state machine image) and committed
    /// entries, in one transaction. Returns nothing: the caller knows what it handed in. An entry whose command
    /// does not decode is skipped (and counted): every node skips it alike, so their states stay identical.
    ///
    /// `durableHardState` is the hard state the last commit made durable. A `Ready` that only applies
    /// committed entries (no new entries, no snapshot, term and vote unchanged) is committed without the
    /// meta-page fsync (`Environment.Durability.deferred`): its entries are already durable in the log, and
    /// an OS crash that undoes the commit leaves the state machine at the previous applied index, from which
    /// they are applied again. A process crash loses nothing.
    func persist(_ ready: Ready, snapshotData: [UInt8]?, durableHardState: HardState? = nil) throws -> Int {
        try committingCachedState { try persistUnmarked(ready, snapshotData: snapshotData, durableHardState: durableHardState) }
    }

    private func persistUnmarked(_ ready: Ready, snapshotData: [UInt8]?, durableHardState: HardState?) throws -> Int {
        if snapshotData == nil, let restore = Self.firstRestoreCommit(in: ready.committedEntries) {
            return try persist(ready, splittingAt: restore, durableHardState: durableHardState)
        }
        var stripped = ready
        if let snapshot = ready.snapshot {
            stripped.snapshot = Snapshot(metadata: snapshot.metadata, data: [])
        }
        let applied = ready.committedEntries.last?.index ?? ready.snapshot?.index
        var undecodable = 0
        let durability = Self.durability(of: ready, snapshotData: snapshotData, durableHardState: durableHardState)
        try log.persist(stripped, applied: applied, durability: durability) { transaction in
            undecodable = 0
            if let snapshotData {
                try install(snapshotData, transaction)
            }
            undecodable = try apply(ready.committedEntries, transaction)
        }
        return undecodable
    }

    /// Applies the commands of `entries`; returns how many did not decode (skipped).
    func apply(_ entries: some Collection<Entry>, _ transaction: WriteTransaction) throws -> Int {
        var undecodable = 0
        for entry in entries {
            guard case .command(let bytes) = entry.payload else { continue }
            guard let batches = try? StorageCommand.decode(bytes) else {
                undecodable += 1
                continue
            }
            for batch in batches { try apply(batch, transaction) }
        }
        return undecodable
    }

    /// `.deferred` exactly when `ready` adds nothing Raft needs on disk before its messages go out.
    static func durability(of ready: Ready, snapshotData: [UInt8]?, durableHardState: HardState?)
        -> Environment.Durability
    {
        guard ready.entries.isEmpty, ready.snapshot == nil, snapshotData == nil, let durableHardState else {
            return .synced
        }
        if let hardState = ready.hardState,
            hardState.term != durableHardState.term || hardState.vote != durableHardState.vote
        {
            return .synced
        }
        return .deferred
    }

    /// Writes the state machine directly, outside the log: only for `sys/init` on a node that has no log yet
    /// (its writes become part of the state every later snapshot carries).
    func writeLocally(_ operations: [StorageOperation]) throws {
        try committingCachedState { try environment.write { transaction in try apply(operations, transaction) } }
    }

    /// Runs `body`, which writes and commits. `apply` raises `cachedStateChanges` before it writes a key the
    /// core caches, while the transaction is still open: tables a standby builds from storage in that window
    /// hold the old state under the new number. So once `body` has committed such a write, the number is
    /// raised again, and those tables are stale by it.
    private func committingCachedState<Result>(_ body: () throws -> Result) rethrows -> Result {
        let before = cachedStateChanges.load(ordering: .sequentiallyConsistent)
        defer {
            if cachedStateChanges.load(ordering: .sequentiallyConsistent) != before {
                cachedStateChanges.add(1, ordering: .sequentiallyConsistent)
            }
        }
        return try body()
    }

    func apply(_ operations: [StorageOperation], _ transaction: WriteTransaction) throws {
        if operations.contains(where: { Self.touchesCachedState($0.key) }) {
            cachedStateChanges.add(1, ordering: .sequentiallyConsistent)
        }
        for operation in operations {
            switch operation {
            case .put(let key, let value) where key == Self.restoreCommitKey:
                try applyRestoreCommit(value, transaction)
            case .put(let key, let value): try transaction.put(Array(key.utf8), value, in: data.database)
            case .delete(let key): _ = try transaction.delete(Array(key.utf8), in: data.database)
            }
        }
    }

    /// The whole state machine as one image: (key, value) pairs in key order.
    public func image() throws -> [UInt8] {
        try guardedRead { try environment.read { transaction in
            var writer = WireWriter(capacity: 1 << 16)
            writer.u8(1)
            try transaction.scan(data.database) { key, value in
                writer.blob(key)
                writer.blob(value)
                return true
            }
            return writer.bytes
        } }
    }

    private func install(_ image: [UInt8], _ transaction: WriteTransaction) throws {
        var reader = WireReader(image)
        guard try reader.u8() == 1 else { throw WireDecodingError(reason: "unknown snapshot format") }
        cachedStateChanges.add(1, ordering: .sequentiallyConsistent)
        for key in try transaction.keys(in: data.database) { _ = try transaction.delete(key, in: data.database) }
        while !reader.isAtEnd {
            let key = try reader.blob()
            let value = try reader.blob()
            try transaction.put(key, value, in: data.database)
        }
    }

    /// SHA-256 over every key and value of the state machine, in key order: equal on two nodes exactly when
    /// they hold the same (encrypted) state. For convergence checks; reveals nothing about the plaintext.
    public func stateHash() throws -> String {
        try guardedRead { try environment.read { transaction in
            var hasher = SHA256()
            try transaction.scan(data.database) { key, value in
                var lengths = WireWriter(capacity: 8)
                lengths.u32(UInt32(key.count))
                lengths.u32(UInt32(value.count))
                hasher.update(data: lengths.bytes)
                hasher.update(data: key)
                hasher.update(data: value)
                return true
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        } }
    }
}
