/// Cluster membership: voters elect leaders and form quorums; learners only receive the log.
/// A node is never both (constructors and `applying(_:)` keep the sets disjoint).
public struct Configuration: Hashable, Sendable {
    public private(set) var voters: Set<NodeID>
    public private(set) var learners: Set<NodeID>

    public init(voters: Set<NodeID> = [], learners: Set<NodeID> = []) {
        self.voters = voters
        self.learners = learners.subtracting(voters)
    }

    /// Every node that receives the log.
    public var members: Set<NodeID> { voters.union(learners) }

    /// The number of voters that form a majority.
    public var quorum: Int { voters.count / 2 + 1 }

    public func isVoter(_ id: NodeID) -> Bool { voters.contains(id) }

    /// The configuration after a single-server change, or nil if the change is not allowed from here.
    public func applying(_ change: ConfigChange) -> Configuration? {
        var next = self
        switch change {
        case .addVoter(let id):
            guard id != 0, !voters.contains(id) else { return nil }
            next.voters.insert(id)
            next.learners.remove(id)
        case .addLearner(let id):
            guard id != 0, !members.contains(id) else { return nil }
            next.learners.insert(id)
        case .promoteLearner(let id):
            guard learners.contains(id) else { return nil }
            next.learners.remove(id)
            next.voters.insert(id)
        case .remove(let id):
            guard members.contains(id) else { return nil }
            next.voters.remove(id)
            next.learners.remove(id)
            guard !next.voters.isEmpty else { return nil }
        }
        return next
    }
}

/// A single-server membership change (Ongaro's thesis, chapter 4): each change moves the voter set
/// by at most one node, so any majority of the old set and any majority of the new set intersect.
public enum ConfigChange: Hashable, Sendable {
    case addVoter(NodeID)
    case addLearner(NodeID)
    case promoteLearner(NodeID)
    case remove(NodeID)
}
