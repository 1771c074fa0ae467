/// Describes the state a snapshot captures: everything up to and including `index` (whose entry had `term`),
/// and the membership in force at that index.
public struct SnapshotMetadata: Hashable, Sendable {
    public var index: LogIndex
    public var term: Term
    public var configuration: Configuration

    public init(index: LogIndex, term: Term, configuration: Configuration) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }
}

/// A snapshot of the application state machine. `data` is opaque to Raft; the runtime may stream it in
/// chunks but must deliver it whole to `RaftNode.step`.
public struct Snapshot: Hashable, Sendable {
    public var metadata: SnapshotMetadata
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }

    public var index: LogIndex { metadata.index }
    public var term: Term { metadata.term }
}
