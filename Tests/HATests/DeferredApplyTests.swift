import Foundation
import LMDB
import Raft
import Storage
import Testing

@testable import HA

/// Applying committed entries without the meta-page fsync (`Environment.Durability.deferred`): only a
/// `Ready` with nothing Raft needs on disk qualifies, and the store stays at exactly its applied index.
@Suite struct DeferredApplyTests {
    let voters: Set<NodeID> = [1, 2, 3]

    private func entry(_ index: LogIndex, _ key: String) -> Entry {
        Entry(index: index, term: 1, payload: .command(StorageCommand.encode([[.put(key: key, value: [UInt8(index)])]])))
    }

    @Test func onlyAnApplyWithTermAndVoteAlreadyDurableIsDeferred() {
        let durable = HardState(term: 3, vote: 2, commit: 4)
        let apply = Ready(hardState: HardState(term: 3, vote: 2, commit: 6), committedEntries: [entry(5, "a")])
        #expect(NodeStore.durability(of: apply, snapshotData: nil, durableHardState: durable) == .deferred)
        #expect(NodeStore.durability(of: Ready(committedEntries: [entry(5, "a")]), snapshotData: nil,
                                     durableHardState: durable) == .deferred)
        let append = Ready(entries: [entry(7, "b")], committedEntries: [entry(5, "a")])
        #expect(NodeStore.durability(of: append, snapshotData: nil, durableHardState: durable) == .synced)
        let newTerm = Ready(hardState: HardState(term: 4, vote: nil, commit: 6))
        #expect(NodeStore.durability(of: newTerm, snapshotData: nil, durableHardState: durable) == .synced)
        let newVote = Ready(hardState: HardState(term: 3, vote: 1, commit: 4))
        #expect(NodeStore.durability(of: newVote, snapshotData: nil, durableHardState: durable) == .synced)
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 9, term: 3, configuration: Configuration(voters: voters)),
                                data: [])
        #expect(NodeStore.durability(of: Ready(snapshot: snapshot), snapshotData: [1], durableHardState: durable)
                == .synced)
        #expect(NodeStore.durability(of: apply, snapshotData: nil, durableHardState: nil) == .synced,
                "nothing known durable yet")
    }

    @Test func aDeferredApplySurvivesAProcessCrashAtExactlyItsAppliedIndex() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-ha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path
        let durable = HardState(term: 1, vote: 1, commit: 2)
        do {
            let store = try NodeStore(path: path)
            try store.log.initialize(.bootstrap(voters: voters))
            // Append (synced), then apply two committed entries with the meta-page fsync deferred.
            _ = try store.persist(Ready(hardState: durable, entries: [entry(1, "one"), entry(2, "two")]),
                                  snapshotData: nil)
            let apply = Ready(hardState: HardState(term: 1, vote: 1, commit: 2),
                              committedEntries: [entry(1, "one"), entry(2, "two")])
            #expect(NodeStore.durability(of: apply, snapshotData: nil, durableHardState: durable) == .deferred)
            _ = try store.persist(apply, snapshotData: nil, durableHardState: durable)
        }
        // The process "crashed" (no further commit); a new one opens the same directory.
        let reopened = try NodeStore(path: path)
        let state = try #require(try reopened.log.load())
        #expect(state.applied == 2)
        #expect(state.entries.map(\.index) == [1, 2])
        #expect(try await reopened.data.get("one") == [1])
        #expect(try await reopened.data.get("two") == [2])
    }
}

/// Which Readies the runtime sends before persisting: only a leader's that keeps its term and vote and
/// installs no snapshot (the leader counts its own copy only after persisting; see
/// `ReplicationTests.aLeaderCountsItsOwnCopyOnlyOnceItIsPersisted`).
struct SendBeforePersistTests {
    let durable = HardState(term: 4, vote: 1, commit: 10)

    @Test func onlyALeaderKeepingItsTermAndVoteSendsFirst() {
        let commitOnly = Ready(hardState: HardState(term: 4, vote: 1, commit: 12))
        #expect(RaftRuntime.sendsBeforePersisting(commitOnly, role: .leader, durable: durable))
        #expect(RaftRuntime.sendsBeforePersisting(Ready(), role: .leader, durable: durable))
        for role: RaftRole in [.follower, .preCandidate, .candidate] {
            #expect(!RaftRuntime.sendsBeforePersisting(commitOnly, role: role, durable: durable))
        }
        let newTerm = Ready(hardState: HardState(term: 5, vote: nil, commit: 10))
        #expect(!RaftRuntime.sendsBeforePersisting(newTerm, role: .leader, durable: durable))
        let newVote = Ready(hardState: HardState(term: 4, vote: 2, commit: 10))
        #expect(!RaftRuntime.sendsBeforePersisting(newVote, role: .leader, durable: durable))
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 9, term: 4, configuration: Configuration(voters: [1])), data: [])
        #expect(!RaftRuntime.sendsBeforePersisting(Ready(snapshot: snapshot), role: .leader, durable: durable))
    }
}
