/// The role a node plays in its current term.
public enum RaftRole: Hashable, Sendable {
    case follower
    /// Asking whether it could win an election, without changing its term yet.
    case preCandidate
    case candidate
    case leader
}
