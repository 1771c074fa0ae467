import LMDB
import Raft

/// The durable half of a Raft node: its log entries, hard state (term, vote, commit), latest snapshot and,
/// optionally, the applied index, kept in one LMDB environment.
///
/// Durability: every mutating call runs in one LMDB write transaction, which commits and fsyncs before the
/// call returns. A call that returns has made all of its changes durable; a call that throws (or a crash
/// during it) has made none of them.
///
/// Ordering (the invariant that makes Raft safe across crashes): the runtime calls `persist(_:)` with a
/// `Ready` and waits for it to return *before* sending any of `ready.messages`, because those messages may
/// grant a vote, acknowledge entries or reveal a term that must survive a restart. The one exception is a
/// leader's Ready that changes neither term nor vote: its AppendEntries may go first, because the leader
/// counts its own copy towards a commit only after this returns (`RaftNode.advance`).
///
/// Integrity: every record carries a CRC-32C (see `RaftLogStore.CRC32C` for why) over all of its fields.
/// Every read verifies it and throws a typed `RaftLogStoreError` on a mismatch or a truncated record;
/// corrupt data is never handed to Raft and never traps.
///
/// Threads: the class holds only immutable references, so it is `Sendable`, and LMDB serialises write
/// transactions (one at a time per process; each begins and ends on the calling thread). Its intended
/// owner is the one actor or event loop that drives the `RaftNode`: the log's correctness depends on
/// `persist` calls arriving in the order the node produced its `Ready`s, which only that owner knows.
/// Reads (`load`, `entries(from:through:)`) may run from any thread.
public final class RaftLogStore: Sendable {
    let environment: Environment
    let entryDatabase: Database
    let hardStateDatabase: Database
    let snapshotDatabase: Database
    let appliedDatabase: Database

    static let currentKey = Array("current".utf8)
    static let metadataKey = Array("metadata".utf8)
    static let dataKey = Array("data".utf8)

    /// Opens (creating if needed) the store in directory `path`, with fsync on every commit.
    public convenience init(path: String) throws(RaftLogStoreError) {
        try self.init(path: path, configuration: Environment.Configuration())
    }

    /// Opens (creating if needed) the store in directory `path`. `configuration` must not set `noSync`
    /// outside tests: that would void the durability guarantee above.
    public convenience init(path: String, configuration: Environment.Configuration) throws(RaftLogStoreError) {
        let environment: Environment
        do {
            environment = try Environment(path: path, configuration: configuration)
        } catch {
            throw Self.typed(error)
        }
        try self.init(environment: environment)
    }

    /// Uses an open environment, which may also hold the state machine's own databases: then
    /// `persist(_:applying:)` makes a `Ready`'s log writes and the state machine's writes for it one
    /// transaction and one fsync.
    public init(environment: Environment) throws(RaftLogStoreError) {
        self.environment = environment
        do {
            entryDatabase = try environment.openDatabase("raft.entries")
            hardStateDatabase = try environment.openDatabase("raft.hardState")
            snapshotDatabase = try environment.openDatabase("raft.snapshot")
            appliedDatabase = try environment.openDatabase("raft.applied")
        } catch {
            throw Self.typed(error)
        }
    }

    // MARK: - Writing

    /// Makes the durable parts of `ready` durable, atomically, in the order the `Ready` contract gives:
    ///
    /// 1. `ready.snapshot`, if newer than the stored one (or none is stored): it replaces the stored
    ///    snapshot and *every* stored entry, because the core only hands out a snapshot when it has
    ///    discarded its whole log for it (its log did not match at the snapshot's index).
    /// 2. `ready.entries` (those above the snapshot): every stored entry at or above the first new index is
    ///    deleted (conflict truncation), then the new entries are written.
    /// 3. `ready.hardState`, if any.
    ///
    /// All of it is one LMDB write transaction, committed and fsync'd before this returns. **The runtime
    /// must call this, and see it return, before sending any of `ready.messages`** (but for the leader's
    /// exception above). If it throws, nothing
    /// was written and the runtime must not send the messages (the node should stop).
    ///
    /// Throws `nonContiguousEntries` (writing nothing) when the new entries are not consecutive or would
    /// leave a hole after the stored log.
    public func persist(_ ready: Ready) throws(RaftLogStoreError) {
        guard ready.mustPersist else { return }
        try write { transaction throws in try persist(ready, transaction) }
    }

    /// Like `persist(_:)`, and in the same write transaction runs `apply` (the state machine's writes for
    /// `ready.snapshot` and `ready.committedEntries`, into other databases of this environment) and records
    /// `applied` as the applied index. One commit, one fsync: the log, the hard state, the state machine and
    /// its applied index can never disagree after a crash. `ready.snapshot` is stored as given; pass it with
    /// its data stripped when the state machine keeps the data itself.
    ///
    /// With `durability: .deferred` (only for a `Ready` whose durable part, entries, snapshot, term and vote,
    /// is already on disk), an OS crash may undo this commit, leaving the state machine and its applied index
    /// together at the previous commit, from which the entries are applied again; see
    /// `Environment.Durability`.
    public func persist(
        _ ready: Ready, applied: LogIndex?, durability: Environment.Durability = .synced,
        applying apply: (WriteTransaction) throws -> Void
    ) throws(RaftLogStoreError) {
        try write(durability: durability) { transaction throws in
            try persist(ready, transaction)
            try apply(transaction)
            if let applied {
                try transaction.put(Self.currentKey, Self.encodeApplied(applied), in: appliedDatabase)
            }
        }
    }

    /// Writes the state a brand-new node starts from (e.g. `PersistentState.bootstrap(voters:)`): its
    /// snapshot metadata and data, entries, hard state and applied index, atomically and durably.
    ///
    /// Throws `alreadyInitialized` (writing nothing) unless the store is empty: re-initialising a store
    /// would forget a term and vote the node may already have acted on.
    public func initialize(_ state: PersistentState) throws(RaftLogStoreError) {
        try write { transaction throws in
            guard try isEmpty(transaction) else { throw RaftLogStoreError.alreadyInitialized }
            let ready = Ready(hardState: state.hardState, snapshot: state.snapshot, entries: state.entries)
            try persist(ready, transaction)
            if state.applied > state.snapshot.index {
                try transaction.put(Self.currentKey, Self.encodeApplied(state.applied), in: appliedDatabase)
            }
        }
    }

    /// The application captured its state through `snapshot.index` (already applied): stores the snapshot
    /// and deletes the entries it covers, keeping the tail after it, atomically and durably. Does nothing if
    /// the stored snapshot is at least as recent. Call it before `RaftNode.compact(through:snapshotData:)`.
    public func compact(to snapshot: Snapshot) throws(RaftLogStoreError) {
        try write { transaction throws in
            if let stored = try storedSnapshotMetadata(transaction), stored.index >= snapshot.index { return }
            try store(snapshot, transaction)
            try deleteEntries(transaction, while: { $0 <= snapshot.index })
        }
    }

    /// Records that the state machine has durably applied everything through `index`, for runtimes whose
    /// state machine lives outside this environment. Durable on return.
    public func saveApplied(_ index: LogIndex) throws(RaftLogStoreError) {
        try write { transaction throws in
            try transaction.put(Self.currentKey, Self.encodeApplied(index), in: appliedDatabase)
        }
    }

    // MARK: - Reading

    /// The state to (re)start a `RaftNode` from, or nil when nothing was ever stored (a new node: the
    /// runtime chooses `PersistentState.bootstrap(voters:)` or `.joining` and calls `initialize(_:)`).
    ///
    /// Every record is checksum-verified; the entries must run without a hole from the snapshot index + 1.
    /// A store with entries or a hard state but no snapshot starts from index 0 with no members.
    public func load() throws(RaftLogStoreError) -> PersistentState? {
        try read { transaction throws in
            if try isEmpty(transaction) { return nil }
            let metadata = try storedSnapshotMetadata(transaction)
            let hardStateBytes = try transaction.get(Self.currentKey, in: hardStateDatabase)
            let appliedBytes = try transaction.get(Self.currentKey, in: appliedDatabase)

            let snapshotMetadata = metadata ?? SnapshotMetadata(index: 0, term: 0, configuration: Configuration())
            var data: [UInt8] = []
            if metadata != nil {
                guard let bytes = try transaction.get(Self.dataKey, in: snapshotDatabase) else {
                    throw RaftLogStoreError.truncatedRecord(.snapshotData)
                }
                data = try Self.decodeSnapshotData(bytes, index: snapshotMetadata.index)
            }
            let hardState = try hardStateBytes.map { bytes throws in try Self.decodeHardState(bytes) } ?? HardState()
            let applied = try appliedBytes.map { bytes throws in try Self.decodeApplied(bytes) }
            let entries = snapshotMetadata.index < .max
                ? try readEntries(transaction, from: snapshotMetadata.index + 1, through: .max) : []
            // The log must resume right after the snapshot: RaftNode would silently drop a detached tail.
            if let first = entries.first, first.index != snapshotMetadata.index + 1 {
                throw RaftLogStoreError.missingEntry(index: snapshotMetadata.index + 1)
            }
            return PersistentState(
                hardState: hardState, snapshot: Snapshot(metadata: snapshotMetadata, data: data),
                entries: entries, applied: applied)
        }
    }

    /// The stored entries with indexes in `from...through`, each checksum-verified, consecutive from the
    /// first stored one at or after `from` (a hole throws `missingEntry`).
    public func entries(from: LogIndex, through: LogIndex) throws(RaftLogStoreError) -> [Entry] {
        try read { transaction throws in try readEntries(transaction, from: from, through: through) }
    }

    // MARK: - Internals

    private func persist(_ ready: Ready, _ transaction: WriteTransaction) throws {
        var snapshotIndex = try storedSnapshotMetadata(transaction)?.index
        if let snapshot = ready.snapshot, snapshotIndex.map({ snapshot.index > $0 }) ?? true {
            try store(snapshot, transaction)
            try deleteEntries(transaction, while: { _ in true })
            snapshotIndex = snapshot.index
        }
        try append(ready.entries, after: snapshotIndex ?? 0, transaction)
        if let hardState = ready.hardState {
            try transaction.put(Self.currentKey, Self.encode(hardState), in: hardStateDatabase)
        }
    }

    private func isEmpty(_ transaction: ReadTransaction) throws -> Bool {
        try [entryDatabase, hardStateDatabase, snapshotDatabase, appliedDatabase].allSatisfy { database throws in
            try transaction.count(in: database) == 0
        }
    }

    private func readEntries(_ transaction: ReadTransaction, from: LogIndex, through: LogIndex) throws -> [Entry] {
        guard from <= through else { return [] }
        return try transaction.withCursor(on: entryDatabase) { cursor throws in
            var entries: [Entry] = []
            var record = try cursor.seek(atLeast: Self.entryKey(from))
            while let (key, value) = record {
                let index = try Self.index(ofEntryKey: key)
                guard index <= through else { break }
                if let last = entries.last, index != last.index + 1 {
                    throw RaftLogStoreError.missingEntry(index: last.index + 1)
                }
                entries.append(try Self.decodeEntry(value, index: index))
                record = try cursor.next()
            }
            return entries
        }
    }

    private func storedSnapshotMetadata(_ transaction: ReadTransaction) throws -> SnapshotMetadata? {
        guard let bytes = try transaction.get(Self.metadataKey, in: snapshotDatabase) else { return nil }
        return try Self.decodeSnapshotMetadata(bytes)
    }

    private func store(_ snapshot: Snapshot, _ transaction: WriteTransaction) throws {
        try transaction.put(Self.metadataKey, Self.encode(snapshot.metadata), in: snapshotDatabase)
        try transaction.put(
            Self.dataKey, Self.encodeSnapshotData(snapshot.data, index: snapshot.index), in: snapshotDatabase)
    }

    /// Deletes the stored entries whose index satisfies `condition`, scanning from the first; stops at the
    /// first index that does not (callers pass conditions that hold on a prefix).
    private func deleteEntries(_ transaction: WriteTransaction, while condition: (LogIndex) -> Bool) throws {
        let keys = try transaction.withCursor(on: entryDatabase) { cursor throws in
            var keys: [[UInt8]] = []
            var key = try cursor.firstKey()
            while let current = key, condition(try Self.index(ofEntryKey: current)) {
                keys.append(current)
                key = try cursor.nextKey()
            }
            return keys
        }
        for key in keys { try transaction.delete(key, in: entryDatabase) }
    }

    /// Conflict truncation then append, for entries above `snapshotIndex`.
    private func append(_ newEntries: [Entry], after snapshotIndex: LogIndex, _ transaction: WriteTransaction) throws {
        let entries = newEntries.filter { $0.index > snapshotIndex }
        guard let first = entries.first else { return }
        for (offset, entry) in entries.enumerated() {
            let expected = first.index &+ LogIndex(offset)
            guard entry.index == expected else {
                throw RaftLogStoreError.nonContiguousEntries(expected: expected, found: entry.index)
            }
        }
        if first.index > snapshotIndex + 1,
           try transaction.get(Self.entryKey(first.index - 1), in: entryDatabase) == nil {
            // Error path only: find where the stored log really ends, to say what was expected.
            let stored = try readEntries(transaction, from: snapshotIndex + 1, through: first.index - 1)
            throw RaftLogStoreError.nonContiguousEntries(
                expected: (stored.last?.index ?? snapshotIndex) + 1, found: first.index)
        }
        let stale = try transaction.withCursor(on: entryDatabase) { cursor throws in
            var keys: [[UInt8]] = []
            var key = try cursor.seekKey(atLeast: Self.entryKey(first.index))
            while let current = key {
                keys.append(current)
                key = try cursor.nextKey()
            }
            return keys
        }
        for key in stale { try transaction.delete(key, in: entryDatabase) }
        for entry in entries {
            try transaction.put(Self.entryKey(entry.index), Self.encode(entry), in: entryDatabase)
        }
    }

    private func write(
        durability: Environment.Durability = .synced, _ body: (WriteTransaction) throws -> Void
    ) throws(RaftLogStoreError) {
        do {
            try environment.write(durability: durability, body)
        } catch {
            throw Self.typed(error)
        }
    }

    private func read<Result>(_ body: (ReadTransaction) throws -> Result) throws(RaftLogStoreError) -> Result {
        do {
            return try environment.read(body)
        } catch {
            throw Self.typed(error)
        }
    }

    static func typed(_ error: any Error) -> RaftLogStoreError {
        switch error {
        case let error as RaftLogStoreError: error
        case let error as LMDBError: .storage(error)
        default: .storage(.mdb(code: -1, operation: String(describing: error)))
        }
    }
}
