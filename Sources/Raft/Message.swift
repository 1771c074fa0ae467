/// A Raft RPC between two nodes. Messages are values; a node treats every field as untrusted input:
/// malformed or stale messages are ignored, never trapped on.
public struct Message: Hashable, Sendable {
    public var from: NodeID
    public var to: NodeID
    /// The sender's term, except for pre-vote requests and granted pre-vote responses,
    /// which carry the term the sender would campaign in.
    public var term: Term
    public var kind: MessageKind

    public init(from: NodeID, to: NodeID, term: Term, kind: MessageKind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }
}

/// The body of a Raft message.
public enum MessageKind: Hashable, Sendable {
    /// Would you vote for me in `Message.term`? Does not change the receiver's term.
    case preVote(lastIndex: LogIndex, lastTerm: Term)
    case preVoteResponse(granted: Bool)
    /// `transfer` marks an election started by TimeoutNow: it bypasses the leader lease.
    case vote(lastIndex: LogIndex, lastTerm: Term, transfer: Bool)
    case voteResponse(granted: Bool)
    case append(AppendEntries)
    case appendResponse(AppendResponse)
    /// `context` is the leader's read-confirmation round (0 when no read is pending).
    case heartbeat(commit: LogIndex, context: UInt64)
    case heartbeatResponse(context: UInt64)
    case installSnapshot(Snapshot)
    /// Sent by a leader to its chosen successor: campaign now, skipping pre-vote.
    case timeoutNow

    /// A short name for logging (log the type of a message, never its contents).
    public var name: String {
        switch self {
        case .preVote: return "PreVote"
        case .preVoteResponse: return "PreVoteResponse"
        case .vote: return "Vote"
        case .voteResponse: return "VoteResponse"
        case .append: return "Append"
        case .appendResponse: return "AppendResponse"
        case .heartbeat: return "Heartbeat"
        case .heartbeatResponse: return "HeartbeatResponse"
        case .installSnapshot: return "InstallSnapshot"
        case .timeoutNow: return "TimeoutNow"
        }
    }
}

/// AppendEntries: entries follow (prevIndex, prevTerm); `commit` is the leader's commit index.
public struct AppendEntries: Hashable, Sendable {
    public var prevIndex: LogIndex
    public var prevTerm: Term
    public var entries: [Entry]
    public var commit: LogIndex

    public init(prevIndex: LogIndex, prevTerm: Term, entries: [Entry], commit: LogIndex) {
        self.prevIndex = prevIndex
        self.prevTerm = prevTerm
        self.entries = entries
        self.commit = commit
    }
}

/// The answer to AppendEntries or InstallSnapshot.
public enum AppendResponse: Hashable, Sendable {
    /// The follower's log matches the leader's through `matchIndex`.
    case accepted(matchIndex: LogIndex)
    /// The follower has no entry matching `rejectedPrevIndex`. `hintIndex`/`hintTerm` name the last entry
    /// at or before it whose term is not above the probed term, so the leader can skip a whole term at once.
    case rejected(rejectedPrevIndex: LogIndex, hintIndex: LogIndex, hintTerm: Term)
}
