/// Why a request to the local node was refused. A refused request had no effect.
public enum RaftError: Error, Hashable, Sendable {
    /// Only the leader accepts this request; `leader` is the node believed to be leader, if any.
    case notLeader(leader: NodeID?)
    /// A leadership transfer is in progress; proposals are refused until it completes or times out.
    case transferInProgress
    /// Another membership change is not yet committed, or the leader has not committed an entry in its term.
    case configChangePending
    /// The change is not valid from the current configuration (e.g. adding an existing voter).
    case invalidConfigChange
    /// A learner may be promoted only once it has caught up with the leader's commit index.
    case learnerNotCaughtUp
    /// The transfer target is not a voter or is the leader itself.
    case invalidTransferTarget
    /// Compaction index is not applied yet or is already compacted.
    case invalidCompactionIndex
}
