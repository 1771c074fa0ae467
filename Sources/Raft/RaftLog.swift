/// The in-memory replicated log of one node: a snapshot prefix (index, term, configuration) followed by
/// contiguous entries. It also tracks the commit, apply and persistence frontiers, and the configuration
/// in force (the latest configuration entry in the log, per the thesis: membership takes effect on append).
///
/// Invariants: `entries[k].index == snapshotIndex + 1 + k`; `applied <= committed <= lastIndex`;
/// committed entries are never truncated.
public struct RaftLog: Sendable {
    public private(set) var snapshotIndex: LogIndex
    public private(set) var snapshotTerm: Term
    public private(set) var snapshotConfiguration: Configuration
    public private(set) var entries: [Entry]
    public internal(set) var committed: LogIndex
    public internal(set) var applied: LogIndex
    /// Entries at or below this index are on stable storage (as far as the core was told by `advance`).
    public internal(set) var persistedIndex: LogIndex
    /// Index and resulting configuration of every configuration entry after the snapshot, in order.
    private var configurationEntries: [(index: LogIndex, configuration: Configuration)]

    init(snapshot: SnapshotMetadata, entries: [Entry], committed: LogIndex, applied: LogIndex) {
        snapshotIndex = snapshot.index
        snapshotTerm = snapshot.term
        snapshotConfiguration = snapshot.configuration
        self.entries = []
        self.committed = snapshot.index
        self.applied = snapshot.index
        persistedIndex = snapshot.index
        configurationEntries = []
        // Keep only the contiguous run of entries right after the snapshot; anything else is ignored.
        var expected = snapshot.index + 1
        for entry in entries where entry.index >= expected {
            guard entry.index == expected else { break }
            appendOne(entry)
            expected += 1
        }
        persistedIndex = lastIndex
        self.committed = min(max(committed, snapshot.index), lastIndex)
        self.applied = min(max(applied, snapshot.index), self.committed)
    }

    public var firstIndex: LogIndex { snapshotIndex + 1 }
    public var lastIndex: LogIndex { snapshotIndex + LogIndex(entries.count) }
    public var lastTerm: Term { entries.last?.term ?? snapshotTerm }

    /// The membership in force: that of the latest configuration entry, or the snapshot's.
    public var configuration: Configuration { configurationEntries.last?.configuration ?? snapshotConfiguration }

    /// Index of the latest configuration entry in the log (the snapshot index if there is none).
    public var lastConfigurationIndex: LogIndex { configurationEntries.last?.index ?? snapshotIndex }

    /// The configuration in force at `index` (which must not be below the snapshot).
    public func configuration(at index: LogIndex) -> Configuration {
        configurationEntries.last(where: { $0.index <= index })?.configuration ?? snapshotConfiguration
    }

    /// Term of the entry at `index`; nil if it was compacted away (below the snapshot) or does not exist yet.
    public func term(at index: LogIndex) -> Term? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - firstIndex)].term
    }

    public func entry(at index: LogIndex) -> Entry? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - firstIndex)]
    }

    func matches(index: LogIndex, term: Term) -> Bool { self.term(at: index) == term }

    /// Election restriction: a log ending at (lastIndex, lastTerm) is at least as up to date as this one.
    func isUpToDate(lastIndex: LogIndex, lastTerm: Term) -> Bool {
        lastTerm > self.lastTerm || (lastTerm == self.lastTerm && lastIndex >= self.lastIndex)
    }

    /// Entries in [from, through], clamped to what the log holds.
    func entries(from: LogIndex, through: LogIndex) -> [Entry] {
        let lo = max(from, firstIndex)
        let hi = min(through, lastIndex)
        guard lo <= hi else { return [] }
        return Array(entries[Int(lo - firstIndex)...Int(hi - firstIndex)])
    }

    /// A batch starting at `from`: at most `maxCount` entries and about `maxBytes` (never fewer than one).
    func batch(from: LogIndex, maxCount: Int, maxBytes: Int) -> [Entry] {
        guard from >= firstIndex, from <= lastIndex else { return [] }
        var result: [Entry] = []
        var bytes = 0
        var index = from
        while index <= lastIndex, result.count < maxCount {
            let entry = entries[Int(index - firstIndex)]
            if !result.isEmpty, bytes + entry.byteCount > maxBytes { break }
            bytes += entry.byteCount
            result.append(entry)
            index += 1
        }
        return result
    }

    /// Entries appended or rewritten since the last `advance`, which the runtime must persist.
    var unpersistedEntries: [Entry] { entries(from: persistedIndex + 1, through: lastIndex) }

    /// The last index at or before `index` whose term is at most `term` (the conflict hint of the thesis).
    func lastIndex(atOrBefore index: LogIndex, withTermAtMost term: Term) -> (index: LogIndex, term: Term) {
        var i = min(index, lastIndex)
        while i > snapshotIndex, let t = self.term(at: i), t > term {
            i -= 1
        }
        return (i, self.term(at: i) ?? 0)
    }

    /// Leader append of a fresh entry.
    mutating func appendOne(_ entry: Entry) {
        entries.append(entry)
        if case .configuration(let configuration) = entry.payload {
            configurationEntries.append((entry.index, configuration))
        }
    }

    enum AppendOutcome: Equatable {
        case mismatch
        case appended(lastNewIndex: LogIndex)
        /// The leader asked to overwrite a committed entry: impossible for a correct leader.
        case conflictsWithCommitted
    }

    /// Follower append: if the log matches (prevIndex, prevTerm), drop any conflicting suffix and append.
    mutating func append(after prevIndex: LogIndex, prevTerm: Term, entries newEntries: [Entry]) -> AppendOutcome {
        guard matches(index: prevIndex, term: prevTerm) else { return .mismatch }
        for (offset, entry) in newEntries.enumerated() {
            if let existing = term(at: entry.index) {
                if existing == entry.term { continue }
                guard entry.index > committed else { return .conflictsWithCommitted }
                truncate(after: entry.index - 1)
            }
            for rest in newEntries[offset...] {
                appendOne(rest)
            }
            break
        }
        return .appended(lastNewIndex: prevIndex + LogIndex(newEntries.count))
    }

    private mutating func truncate(after index: LogIndex) {
        guard index < lastIndex, index >= snapshotIndex else { return }
        entries.removeLast(Int(lastIndex - index))
        configurationEntries.removeAll { $0.index > index }
        persistedIndex = min(persistedIndex, index)
    }

    mutating func commit(to index: LogIndex) {
        if index > committed {
            committed = min(index, lastIndex)
        }
    }

    /// Replaces the whole log by a snapshot received from the leader.
    mutating func restore(_ metadata: SnapshotMetadata) {
        snapshotIndex = metadata.index
        snapshotTerm = metadata.term
        snapshotConfiguration = metadata.configuration
        entries = []
        configurationEntries = []
        committed = metadata.index
        persistedIndex = metadata.index
    }

    /// Discards entries up to and including `index` (already captured by an application snapshot).
    mutating func compact(through index: LogIndex) {
        guard index > snapshotIndex, index <= applied, let t = term(at: index) else { return }
        snapshotConfiguration = configuration(at: index)
        entries.removeFirst(Int(index - snapshotIndex))
        configurationEntries.removeAll { $0.index <= index }
        snapshotIndex = index
        snapshotTerm = t
        persistedIndex = max(persistedIndex, index)
    }
}
