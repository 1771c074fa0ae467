/// The state a node must have on stable storage before it sends any message produced after it changed:
/// the current term, the vote cast in that term, and (as an optimisation for restart) the commit index.
public struct HardState: Hashable, Sendable {
    public var term: Term
    public var vote: NodeID?
    public var commit: LogIndex

    public init(term: Term = 0, vote: NodeID? = nil, commit: LogIndex = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}
