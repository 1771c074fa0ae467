/// A Raft term: a logical clock that only moves forward on every node.
public typealias Term = UInt64

/// The position of an entry in the replicated log. Index 0 is the empty prefix; real entries start at 1.
public typealias LogIndex = UInt64

/// The stable identity of a cluster member. 0 is never a valid member id.
public typealias NodeID = UInt64

/// Identifies one entry in the log: a proposal is committed exactly when the entry
/// committed at `index` has this `term`.
public struct EntryID: Hashable, Sendable, CustomStringConvertible {
    public var index: LogIndex
    public var term: Term

    public init(index: LogIndex, term: Term) {
        self.index = index
        self.term = term
    }

    public var description: String { "\(index)@\(term)" }
}
