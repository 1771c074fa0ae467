/// Static parameters of one Raft node. Times are in ticks: the runtime calls `RaftNode.tick()` at a fixed
/// interval, so the core never reads a clock.
public struct RaftConfig: Sendable {
    public var id: NodeID
    /// A follower campaigns after a random number of ticks in [electionTimeout, 2 * electionTimeout).
    public var electionTimeout: Int
    /// A leader sends heartbeats every `heartbeatInterval` ticks. Must be well below `electionTimeout`.
    public var heartbeatInterval: Int
    /// Seeds the node's random election timeouts; the only source of randomness in the core.
    public var randomSeed: UInt64
    /// Run a pre-vote round before incrementing the term, so a partitioned node cannot inflate terms.
    public var preVote: Bool
    /// A leader that has not heard from a quorum within an election timeout steps down; followers that
    /// heard from a leader within an election timeout refuse to vote for others (the leader lease).
    public var checkQuorum: Bool
    /// Leader leases (thesis §6.4.1): every heartbeat carries a round number, so the runtime can learn which
    /// heartbeat a quorum acknowledged (`RaftNode.leaseRounds`) and time a lease from when it was sent; and a
    /// node refuses to vote during its first election timeout after it starts, so a voter that restarts
    /// (forgetting the leader it just acknowledged) cannot help elect another leader while that lease runs.
    /// Only meaningful together with `checkQuorum`, whose vote refusal the lease relies on.
    public var leaderLease: Bool
    /// Batching: the most entries and bytes in one AppendEntries (at least one entry is always sent).
    public var maxEntriesPerMessage: Int
    public var maxBytesPerMessage: Int
    /// Pipelining: the most AppendEntries (and bytes in them) in flight to one follower.
    public var maxInflightMessages: Int
    public var maxInflightBytes: Int
    #if DEBUG
    /// Test-only: plant known bugs. Not available in release builds.
    public var bugs: BugInjection = []
    #endif

    public init(
        id: NodeID, electionTimeout: Int = 10, heartbeatInterval: Int = 1, randomSeed: UInt64 = 0,
        preVote: Bool = true, checkQuorum: Bool = true, leaderLease: Bool = false, maxEntriesPerMessage: Int = 64,
        maxBytesPerMessage: Int = 1 << 20, maxInflightMessages: Int = 64, maxInflightBytes: Int = 8 << 20
    ) {
        self.id = id
        self.electionTimeout = max(2, electionTimeout)
        self.heartbeatInterval = max(1, min(heartbeatInterval, self.electionTimeout - 1))
        self.randomSeed = randomSeed
        self.preVote = preVote
        self.checkQuorum = checkQuorum
        self.leaderLease = leaderLease
        self.maxEntriesPerMessage = max(1, maxEntriesPerMessage)
        self.maxBytesPerMessage = max(1, maxBytesPerMessage)
        self.maxInflightMessages = max(1, maxInflightMessages)
        self.maxInflightBytes = max(1, maxInflightBytes)
    }

    func has(_ bug: BugFlag) -> Bool {
        #if DEBUG
        switch bug {
        case .commitPreviousTermByCount: return bugs.contains(.commitPreviousTermByCount)
        case .readWithoutQuorum: return bugs.contains(.readWithoutQuorum)
        }
        #else
        return false
        #endif
    }
}

/// Bugs the core itself can plant (DEBUG only; always false in release builds).
enum BugFlag {
    case commitPreviousTermByCount
    case readWithoutQuorum
}
