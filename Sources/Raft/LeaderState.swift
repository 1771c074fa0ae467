/// Volatile state that exists only while a node leads a term: per-follower replication progress,
/// the leadership transfer in progress, and ReadIndex requests awaiting confirmation.
struct LeaderState: Sendable {
    var progress: [NodeID: Progress] = [:]
    var transferee: NodeID?
    /// Reads received before the leader committed an entry of its own term; started once it has.
    var readsAwaitingTermCommit: [UInt64] = []
    /// Reads waiting for a quorum to acknowledge a heartbeat round numbered at least `round`.
    var pendingReads: [PendingRead] = []
    var readRound: UInt64 = 0
    /// The highest heartbeat round each peer acknowledged in this term (with `RaftConfig.leaderLease`).
    var acknowledgedRounds: [NodeID: UInt64] = [:]
    /// Set by proposals; entries are sent to followers in batches when the runtime asks for `ready()`.
    var needsBroadcast = false
    /// Set when the commit index moved; `ready()` tells every follower, on the AppendEntries it sends anyway
    /// when a proposal came in the same turn, with an empty one otherwise (see `handleAppendResponse`).
    var needsCommitAnnouncement = false
}

/// A ReadIndex request waiting for its leadership-confirmation round to be acknowledged by a quorum.
struct PendingRead: Sendable {
    var context: UInt64
    var index: LogIndex
    var round: UInt64
    var acknowledgedBy: Set<NodeID>
}
