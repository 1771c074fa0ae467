import Raft

/// Safety invariants checked while a simulation runs (Raft paper, Figure 3): election safety, leader
/// completeness, state machine safety (same entry and same state at every applied index on every node).
/// Log matching and durability of acknowledged writes are checked by the simulation at the end.
struct InvariantChecker: Sendable {
    private(set) var violations: [String] = []
    /// The leader of each term.
    private var leaders: [Term: NodeID] = [:]
    /// The entry applied at each index (the first application seen), with its payload.
    private(set) var applied: [LogIndex: Entry] = [:]
    private(set) var maxApplied: LogIndex = 0
    /// The encoded state machine after applying each index.
    private var states: [LogIndex: [UInt8]] = [:]
    /// Per node, the last term for which leader completeness was checked.
    private var checkedLeaderTerm: [NodeID: Term] = [:]

    mutating func violation(_ text: String) {
        if violations.count < 20 { violations.append(text) }
    }

    mutating func recordLeader(_ raft: RaftNode, time: Int) {
        if let other = leaders[raft.term], other != raft.id {
            violation("election safety: nodes \(other) and \(raft.id) both lead term \(raft.term) (at \(time) ms)")
        }
        leaders[raft.term] = raft.id
        guard checkedLeaderTerm[raft.id] != raft.term else { return }
        checkedLeaderTerm[raft.id] = raft.term
        // Leader completeness: a new leader holds every entry applied (hence committed) anywhere.
        let log = raft.log
        if maxApplied > log.lastIndex {
            violation("leader completeness: leader \(raft.id) of term \(raft.term) ends at \(log.lastIndex) "
                + "but \(maxApplied) was committed (at \(time) ms)")
            return
        }
        var index = max(log.firstIndex, 1)
        while index <= maxApplied {
            if let entry = applied[index], log.term(at: index) != entry.term {
                violation("leader completeness: leader \(raft.id) of term \(raft.term) has term "
                    + "\(log.term(at: index) ?? 0) at \(index), committed \(entry.id) (at \(time) ms)")
                return
            }
            index += 1
        }
    }

    /// The summary of one node's log that elections compare.
    struct LogView {
        var id: NodeID
        var voters: Set<NodeID>
        var quorum: Int
        var lastIndex: LogIndex
        var lastTerm: Term
        /// True if the log holds (or has compacted into its snapshot) the entry `applied[maxApplied]`.
        var holdsLatestCommitted: Bool
    }

    /// Committed entries cannot be lost: no node whose log lacks the latest committed entry may be able to win
    /// an election, i.e. find a quorum of voters whose logs it is at least as up to date as. This holds in
    /// correct Raft at every instant (the Leader Completeness argument) and fails as soon as an entry is
    /// committed unsafely, before any overwrite happens.
    mutating func checkCommittedEntryIsSafe(_ views: [LogView], time: Int) {
        guard maxApplied > 0 else { return }
        for candidate in views where !candidate.holdsLatestCommitted && candidate.voters.contains(candidate.id) {
            let supporters = views.filter { voter in
                candidate.voters.contains(voter.id)
                    && (candidate.lastTerm > voter.lastTerm
                        || (candidate.lastTerm == voter.lastTerm && candidate.lastIndex >= voter.lastIndex))
            }
            if supporters.count >= candidate.quorum {
                let entry = applied[maxApplied].map { "\($0.id)" } ?? "?"
                violation("committed entry at risk: node \(candidate.id) lacks committed \(entry) yet its log is "
                    + "as up to date as voters \(supporters.map(\.id).sorted()) (at \(time) ms)")
                return
            }
        }
    }

    mutating func recordApply(_ entry: Entry, node: NodeID, time: Int) {
        if let existing = applied[entry.index] {
            if existing != entry {
                violation("state machine safety: node \(node) applied \(entry.id) at index \(entry.index) where "
                    + "\(existing.id) was applied before (at \(time) ms)")
            }
        } else {
            applied[entry.index] = entry
            maxApplied = max(maxApplied, entry.index)
        }
    }

    mutating func recordState(_ state: [UInt8], at index: LogIndex, node: NodeID, time: Int) {
        if let existing = states[index] {
            if existing != state {
                violation("state machine safety: node \(node) has a different state after index \(index) "
                    + "(at \(time) ms)")
            }
        } else {
            states[index] = state
        }
    }
}
