import LMDB
import Raft

/// Why a `RaftLogStore` call failed. Every failure to read stored data is one of these, never a trap:
/// the data file is input, and a corrupt record must stop the node rather than reach Raft.
///
/// (Kept next to `RaftLogStore` as `RaftLogStore+Error.swift`: it is that type's error and nothing else's.)
public enum RaftLogStoreError: Error, Equatable, Sendable {
    /// The stored entry at `index` failed its checksum, holds an invalid field, or has bytes after its
    /// checksum.
    case corruptEntry(index: LogIndex)
    /// The stored entry at `index` is shorter than its header and length fields say.
    case truncatedEntry(index: LogIndex)
    /// A key in the entry database is not an 8-byte big-endian index.
    case invalidEntryKey(length: Int)
    /// The stored log has a hole: the entry at `index` is missing although later ones exist.
    case missingEntry(index: LogIndex)
    /// The hard state, snapshot metadata, snapshot data or applied index failed its checksum or holds an
    /// invalid field.
    case corruptRecord(RaftLogStoreRecord)
    /// The hard state, snapshot metadata, snapshot data or applied index is shorter than its fields say.
    case truncatedRecord(RaftLogStoreRecord)
    /// The caller asked to append entries that would leave a hole or are not consecutive (a runtime bug;
    /// nothing was written).
    case nonContiguousEntries(expected: LogIndex, found: LogIndex)
    /// `initialize(_:)` was called on a store that already holds state (nothing was written).
    case alreadyInitialized
    /// LMDB itself failed (nothing from the failed call was written).
    case storage(LMDBError)
}

/// The single-record kinds a `RaftLogStore` keeps besides log entries.
public enum RaftLogStoreRecord: Hashable, Sendable {
    case hardState
    case snapshotMetadata
    case snapshotData
    case appliedIndex
}
