/// What an entry carries. `empty` is the no-op a new leader appends at the start of its term;
/// `configuration` is a membership change that takes effect as soon as it is in a log.
public enum EntryPayload: Hashable, Sendable {
    case empty
    case command([UInt8])
    case configuration(Configuration)
}

/// One entry of the replicated log. Entries are values: once an entry with a given (index, term)
/// exists anywhere, every log holding that (index, term) holds the same payload (Log Matching).
public struct Entry: Hashable, Sendable {
    public var index: LogIndex
    public var term: Term
    public var payload: EntryPayload

    public init(index: LogIndex, term: Term, payload: EntryPayload) {
        self.index = index
        self.term = term
        self.payload = payload
    }

    public var id: EntryID { EntryID(index: index, term: term) }

    /// Approximate wire size used for flow control (payload bytes plus a fixed header).
    public var byteCount: Int {
        switch payload {
        case .empty: return 16
        case .command(let bytes): return 16 + bytes.count
        case .configuration(let configuration):
            return 16 + 8 * (configuration.voters.count + configuration.learners.count)
        }
    }
}
