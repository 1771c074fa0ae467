#if DEBUG
/// Classic Raft bugs that can be planted on purpose to prove the simulator's checkers catch them.
/// Compiled only in DEBUG builds: a release build has no way to enable any of them.
public struct BugInjection: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A leader commits an entry from an earlier term by counting replicas (violates the Figure 8 rule).
    public static let commitPreviousTermByCount = BugInjection(rawValue: 1 << 0)
    /// A leader answers reads from its local commit index without confirming leadership (stale reads).
    public static let readWithoutQuorum = BugInjection(rawValue: 1 << 1)
    /// The runtime sends messages (acknowledgements, votes) before the state they depend on is fsync'd.
    /// Honoured by the runtime (the simulator), which is where this bug lives in real systems.
    public static let sendBeforePersist = BugInjection(rawValue: 1 << 2)
}
#endif
