/// How a leader currently replicates to one follower.
public enum ReplicationState: Hashable, Sendable {
    /// The leader does not know where the follower's log matches; one AppendEntries at a time.
    case probe
    /// The follower is known to match; AppendEntries are pipelined up to the inflight limits.
    case replicate
    /// The follower needs the snapshot at `pendingIndex`; nothing else is sent until it answers
    /// (or `ticksWaiting` exceeds the retry bound, then the leader probes again).
    case snapshot(pendingIndex: LogIndex, ticksWaiting: Int)
}

/// The leader's view of one follower (or learner). Owned by the leader's `RaftNode`.
public struct Progress: Hashable, Sendable {
    /// Highest index known to be replicated (and persisted) on the follower.
    public var match: LogIndex
    /// Next index the leader will send.
    public var next: LogIndex
    public var state: ReplicationState
    /// In probe state: an AppendEntries is outstanding; wait for its answer or a heartbeat response.
    public var probeSent: Bool
    /// Heard from since the last check-quorum round.
    public var recentActive: Bool
    public var isLearner: Bool
    var inflights: Inflights

    init(next: LogIndex, isLearner: Bool, inflights: Inflights) {
        self.match = 0
        self.next = next
        self.state = .probe
        self.probeSent = false
        self.recentActive = false
        self.isLearner = isLearner
        self.inflights = inflights
    }

    /// True when the leader must not send more AppendEntries to this follower right now.
    var isPaused: Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflights.isFull
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        if case .snapshot(let pending, _) = state {
            next = max(match + 1, pending + 1)
        } else {
            next = match + 1
        }
        state = .probe
        probeSent = false
        inflights.reset()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        probeSent = false
        inflights.reset()
    }

    mutating func becomeSnapshot(index: LogIndex) {
        state = .snapshot(pendingIndex: index, ticksWaiting: 0)
        probeSent = false
        inflights.reset()
    }

    /// Records an acknowledgement of `index`. Returns false if it was stale (already known).
    mutating func acknowledge(_ index: LogIndex) -> Bool {
        probeSent = false
        guard index > match else {
            return false
        }
        match = index
        next = max(next, index + 1)
        inflights.free(through: index)
        return true
    }

    /// Moves `next` back after a rejection of `rejected`. `probeIndex` is the leader's best guess of the last
    /// matching index from the follower's hint. Returns false if the rejection was stale.
    mutating func rejected(_ rejected: LogIndex, probeIndex: LogIndex) -> Bool {
        switch state {
        case .replicate:
            guard rejected > match else { return false }
            becomeProbe()
            next = max(min(next, probeIndex + 1), match + 1)
            return true
        case .probe:
            guard next >= 1, rejected == next - 1 else { return false }
            next = max(min(rejected, probeIndex + 1), match + 1)
            probeSent = false
            return true
        case .snapshot:
            return false
        }
    }
}

/// The AppendEntries in flight to one follower, by last index and size, for flow control.
struct Inflights: Hashable, Sendable {
    let maxCount: Int
    let maxBytes: Int
    private(set) var items: [(index: LogIndex, bytes: Int)] = []
    private(set) var bytes: Int = 0

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }

    var isFull: Bool { items.count >= maxCount || bytes >= maxBytes }

    mutating func add(index: LogIndex, bytes: Int) {
        items.append((index, bytes))
        self.bytes += bytes
    }

    mutating func free(through index: LogIndex) {
        var k = 0
        while k < items.count, items[k].index <= index {
            bytes -= items[k].bytes
            k += 1
        }
        items.removeFirst(k)
    }

    mutating func freeFirst() {
        guard let first = items.first else { return }
        free(through: first.index)
    }

    mutating func reset() {
        items.removeAll()
        bytes = 0
    }

    static func == (lhs: Inflights, rhs: Inflights) -> Bool {
        lhs.items.map(\.index) == rhs.items.map(\.index) && lhs.bytes == rhs.bytes
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(items.count)
        hasher.combine(bytes)
    }
}
