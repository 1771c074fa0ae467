import Linearizability
import Raft

/// The runtime around one `RaftNode` in the simulator: durable storage that survives crashes, and volatile
/// state (the Raft node itself, the applied key-value store, waiting client requests) that does not.
struct SimulatedNode: Sendable {
    let id: NodeID
    var raft: RaftNode?
    var durable: DurableStorage
    /// Bumped on every crash; events scheduled for an earlier incarnation are ignored.
    var incarnation = 0
    /// With the `sendBeforePersist` bug: writes that were acknowledged but not yet fsync'd.
    var unsyncedWrites: [(snapshot: Snapshot?, entries: [Entry], hardState: HardState?)] = []

    var store = KeyValueStore()
    var applied: LogIndex = 0
    var lastSnapshotIndex: LogIndex = 0
    /// Client writes proposed through this node, by log index.
    var proposals: [LogIndex: (operation: UInt64, term: Term)] = [:]
    /// Client reads waiting for a ReadState, by context, then for the applied index to reach it.
    var readsAwaitingIndex: Set<UInt64> = []
    var readsAwaitingApply: [(context: UInt64, index: LogIndex)] = []

    var isUp: Bool { raft != nil }

    init(id: NodeID, bootstrapVoters: Set<NodeID>) {
        self.id = id
        let metadata = SnapshotMetadata(index: 0, term: 0, configuration: Configuration(voters: bootstrapVoters))
        durable = DurableStorage(snapshot: Snapshot(metadata: metadata, data: KeyValueStore().encoded()))
    }

    mutating func crash() {
        raft = nil
        incarnation += 1
        unsyncedWrites = []
        store = KeyValueStore()
        applied = 0
        proposals = [:]
        readsAwaitingIndex = []
        readsAwaitingApply = []
    }

    mutating func start(config: RaftConfig) {
        let state = durable.restartState
        raft = RaftNode(config: config, state: state)
        store = KeyValueStore(decoding: state.snapshot.data) ?? KeyValueStore()
        applied = state.snapshot.index
        lastSnapshotIndex = state.snapshot.index
    }
}
