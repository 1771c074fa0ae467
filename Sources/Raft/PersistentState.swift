/// What a runtime reads back from stable storage to (re)start a node: the last persisted hard state,
/// the latest snapshot (index 0 with the bootstrap configuration for a fresh cluster), and the persisted
/// entries after it.
public struct PersistentState: Sendable {
    public var hardState: HardState
    public var snapshot: Snapshot
    public var entries: [Entry]
    /// The highest index the state machine has already applied durably (at least `snapshot.index`).
    /// Entries after it and up to the commit index are handed out again in `Ready.committedEntries`.
    public var applied: LogIndex

    public init(hardState: HardState, snapshot: Snapshot, entries: [Entry], applied: LogIndex? = nil) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
        self.applied = max(applied ?? snapshot.index, snapshot.index)
    }

    /// A brand-new member of a new cluster whose initial voters are `voters`. The runtime must persist
    /// this bootstrap snapshot metadata (index 0, term 0, configuration) before first use.
    public static func bootstrap(voters: Set<NodeID>) -> PersistentState {
        let metadata = SnapshotMetadata(index: 0, term: 0, configuration: Configuration(voters: voters))
        return PersistentState(hardState: HardState(), snapshot: Snapshot(metadata: metadata, data: []), entries: [])
    }

    /// A node that will join an existing cluster: it knows no members and waits to be contacted by a leader.
    public static var joining: PersistentState { bootstrap(voters: []) }
}
