/// Everything a `RaftNode` needs the runtime to do, in this order:
///
/// 1. Durably persist `snapshot` (if any), then `entries` (first deleting every stored entry whose index is
///    at or above `entries.first.index`), then `hardState` (if any). All three must be on stable storage
///    (fsync'd) before step 2.
/// 2. Send `messages`. They may acknowledge or depend on the state persisted in step 1.
/// 3. Install `snapshot` into the state machine (if any), then apply `committedEntries` in order.
///    Serve each `readStates` request once the applied index reaches its `index`.
/// 4. Call `RaftNode.advance(_:)` with this same `Ready`, before stepping the node again.
public struct Ready: Sendable {
    public var hardState: HardState?
    public var snapshot: Snapshot?
    public var entries: [Entry]
    public var messages: [Message]
    public var committedEntries: [Entry]
    public var readStates: [ReadState]

    public init(
        hardState: HardState? = nil, snapshot: Snapshot? = nil, entries: [Entry] = [],
        messages: [Message] = [], committedEntries: [Entry] = [], readStates: [ReadState] = []
    ) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
        self.messages = messages
        self.committedEntries = committedEntries
        self.readStates = readStates
    }

    /// True when there is something to persist (the runtime must fsync before sending `messages`).
    public var mustPersist: Bool { hardState != nil || snapshot != nil || !entries.isEmpty }

    public var isEmpty: Bool {
        !mustPersist && messages.isEmpty && committedEntries.isEmpty && readStates.isEmpty
    }
}

/// A linearizable read confirmed by the leader: the read identified by `context` may be served from the
/// state machine once it has applied `index`. The leader had committed an entry of its current term and a
/// quorum acknowledged its leadership after the read was requested.
public struct ReadState: Hashable, Sendable {
    public var context: UInt64
    public var index: LogIndex

    public init(context: UInt64, index: LogIndex) {
        self.context = context
        self.index = index
    }
}
