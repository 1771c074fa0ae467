/// A read-only summary of a node, for the runtime, metrics and checkers.
public struct RaftStatus: Hashable, Sendable {
    public var id: NodeID
    public var role: RaftRole
    public var term: Term
    public var vote: NodeID?
    public var leader: NodeID?
    public var commit: LogIndex
    public var applied: LogIndex
    public var lastIndex: LogIndex
    public var configuration: Configuration
    /// The leadership transfer in progress, if this node is a leader transferring.
    public var transferee: NodeID?
}
