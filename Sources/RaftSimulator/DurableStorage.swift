import Raft

/// What survives a crash of a simulated node: exactly what the runtime persisted from `Ready`s (and the
/// snapshots the application saved). Anything else is lost on crash.
struct DurableStorage: Sendable {
    var hardState = HardState()
    var snapshot: Snapshot
    var entries: [Entry] = []

    init(snapshot: Snapshot) {
        self.snapshot = snapshot
    }

    /// Persists the durable parts of a `Ready`, in the order the `Ready` contract prescribes.
    mutating func persist(
        snapshot newSnapshot: Snapshot?, entries newEntries: [Entry], hardState newHardState: HardState?
    ) {
        if let newSnapshot, newSnapshot.index > snapshot.index {
            snapshot = newSnapshot
            entries.removeAll()
        }
        if let first = newEntries.first {
            entries.removeAll { $0.index >= first.index }
            entries.append(contentsOf: newEntries.filter { $0.index > snapshot.index })
        }
        if let newHardState {
            hardState = newHardState
        }
    }

    /// The application saved a snapshot of its state through `snapshot.index`; older entries can go.
    mutating func saveSnapshot(_ newSnapshot: Snapshot) {
        guard newSnapshot.index > snapshot.index else { return }
        snapshot = newSnapshot
        entries.removeAll { $0.index <= newSnapshot.index }
    }

    var restartState: PersistentState {
        PersistentState(hardState: hardState, snapshot: snapshot, entries: entries)
    }
}
