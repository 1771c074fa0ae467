import Foundation
import Raft
import Storage
import Testing

@testable import HA

/// A leader answers a write once it is committed, before the transaction applying it commits; until then its
/// writes are staged in the store's overlay (`PendingApply`), and reads must see them there.
@Suite struct PendingApplyTests {
    private func entry(_ index: LogIndex, _ operations: [StorageOperation]) -> Entry {
        Entry(index: index, term: 1, payload: .command(StorageCommand.encode([operations])))
    }

    private func withStore(_ body: (NodeStore, ReplicatedStorage) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-ha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try NodeStore(path: directory.path)
        try store.log.initialize(.bootstrap(voters: [1, 2, 3]))
        try await body(store, ReplicatedStorage(store: store, mode: .closed))
    }

    @Test func readsSeeStagedWritesUntilTheirApplyCommits() async throws {
        try await withStore { store, storage in
            let base: [StorageOperation] = ["a/1", "a/2", "a/d/x", "a/e/y", "a/f", "b"].map {
                .put(key: $0, value: Array($0.utf8))
            }
            _ = try store.persist(Ready(entries: [entry(1, base)], committedEntries: [entry(1, base)]), snapshotData: nil)
            let staged = [
                entry(2, [.put(key: "a/1", value: [9]), .delete(key: "a/2"), .put(key: "a/0", value: [0])]),
                entry(3, [.delete(key: "a/e/y"), .put(key: "a/g/z", value: [1]), .put(key: "a/0", value: [5])]),
                entry(4, [.delete(key: "a/f"), .put(key: "a/f", value: [7])]),
            ]
            store.stagePendingApply(staged)
            #expect(try await storage.get("a/1") == [9])
            #expect(try await storage.get("a/2") == nil)
            #expect(try await storage.get("a/0") == [5], "the last write of a key wins")
            #expect(try await storage.get("a/f") == [7])
            #expect(try await storage.get("b") == Array("b".utf8), "keys never staged come from LMDB")
            let merged = try await storage.list(prefix: "a/")
            #expect(merged == ["0", "1", "d/", "f", "g/"])
            #expect(try await storage.list(prefix: "a/d/") == ["x"], "a prefix with nothing staged reads LMDB")

            // Once the transaction applying them commits, LMDB answers the same, and the overlay is empty.
            _ = try store.persist(Ready(committedEntries: staged), snapshotData: nil)
            #expect(try await store.data.list(prefix: "a/") == merged)
            store.clearPendingApply()
            #expect(store.pendingValue("a/1") == nil)
            #expect(try await storage.get("a/1") == [9])
            #expect(try await storage.get("a/2") == nil)
            #expect(try await storage.list(prefix: "a/") == merged)
        }
    }

    @Test func stagingAWriteToCachedStateMovesTheStandbyGeneration() async throws {
        try await withStore { store, _ in
            let before = store.cachedStateGeneration
            store.stagePendingApply([entry(2, [.put(key: "logical/x", value: [1])])])
            #expect(store.cachedStateGeneration == before)
            store.stagePendingApply([entry(3, [.put(key: "core/mounts", value: [1])])])
            #expect(store.cachedStateGeneration != before)
        }
    }

    /// A write answered before its apply committed is still read back at once on the leader: every read
    /// right after its write sees it (fails when the writes are answered early but not staged).
    @Test func aReadRightAfterAWriteOnTheLeaderSeesIt() async throws {
        let harness = try RuntimeHarness()
        try await harness.start()
        let leader = try await harness.leader()
        let runtime = harness.runtimes[leader]
        let storage = ReplicatedStorage(store: harness.stores[leader], mode: .replicated(runtime))
        for round in 0..<100 {
            let value = Array("\(round)".utf8)
            try await storage.batch([.put(key: "counter", value: value), .put(key: "list/\(round)", value: value)])
            try await runtime.confirmLeadership()
            #expect(try await storage.get("counter") == value, "round \(round)")
            #expect(try await storage.list(prefix: "list/").count == round + 1, "round \(round)")
        }
        await harness.stop()
    }
}
