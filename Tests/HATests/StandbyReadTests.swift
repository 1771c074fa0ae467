import Foundation
import Raft
import Storage
import Synchronization
import Testing

@testable import HA

/// The HA side of standby reads: read-index requests shared without reusing one sent too early, writes refused
/// inside a `ReadOnlyScope`, and the generation that tells a standby its cached tables may be stale.
@Suite struct StandbyReadTests {
    /// Hands out 1, 2, 3... as read indexes; each fetch waits until the test lets it return.
    final class GatedFetches: Sendable {
        let started = Mutex(0)
        let released = Mutex(0)

        func fetch() async throws -> LogIndex {
            let number = started.withLock { count in
                count += 1
                return count
            }
            while released.withLock({ $0 }) < number { try await Task.sleep(for: .milliseconds(1)) }
            return LogIndex(number)
        }

        func waitUntilStarted(_ count: Int) async throws {
            while started.withLock({ $0 }) < count { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    @Test func aReadArrivingWhileARequestIsOutWaitsForTheNextOne() async throws {
        let batcher = ReadIndexBatcher()
        let fetches = GatedFetches()
        let first = Task { try await batcher.readIndex(fetch: fetches.fetch) }
        try await fetches.waitUntilStarted(1)
        // These arrive while request 1 is out: the leader may have acknowledged a write since it was sent.
        let late = (0..<8).map { _ in Task { try await batcher.readIndex(fetch: fetches.fetch) } }
        try await Task.sleep(for: .milliseconds(50))
        #expect(fetches.started.withLock { $0 } == 1, "one request out at a time")
        fetches.released.withLock { $0 = 1 }
        #expect(try await first.value == 1)
        try await fetches.waitUntilStarted(2)
        fetches.released.withLock { $0 = 2 }
        for read in late {
            #expect(try await read.value == 2, "all eight share the second request, none took the first")
        }
        #expect(fetches.started.withLock { $0 } == 2)
    }

    @Test func aFailedRequestFailsTheReadsThatWaitedForIt() async throws {
        struct Unreachable: Error {}
        let batcher = ReadIndexBatcher()
        await #expect(throws: Unreachable.self) {
            try await batcher.readIndex { throw Unreachable() }
        }
        #expect(try await batcher.readIndex { 7 } == 7, "the next read starts a new request")
    }

    private func withStore(_ body: (NodeStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-ha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await body(try NodeStore(path: directory.path))
    }

    @Test func writesInsideAReadOnlyScopeAreRefusedAndRecorded() async throws {
        try await withStore { store in
            let storage = ReplicatedStorage(store: store, mode: .local)
            let scope = ReadOnlyScope()
            try await ReadOnlyScope.$current.withValue(scope) { () async throws in
                #expect(try await storage.get("logical/a") == nil, "reads pass")
                #expect(!scope.triedToWrite)
                await #expect(throws: WriteRefusedInReadOnlyScope.self) {
                    try await storage.put("logical/a", [1])
                }
            }
            #expect(scope.triedToWrite)
            #expect(try await storage.get("logical/a") == nil, "nothing was written")
            try await storage.put("logical/a", [1])
            #expect(try await storage.get("logical/a") == [1], "outside the scope writes go through")
        }
    }

    @Test func theGenerationMovesOnlyForWritesToWhatTheCoreCaches() async throws {
        try await withStore { store in
            let storage = ReplicatedStorage(store: store, mode: .local)
            var generation = store.cachedStateGeneration
            for key in ["logical/uuid/data/a", "sys/token/id/h", "sys/policyish", "auth/x"] {
                try await storage.put(key, [1])
                #expect(store.cachedStateGeneration == generation, "\(key) is not cached by the core")
            }
            for key in ["core/mounts", "core/auth", "core/keyring", "core/audit/table", "sys/policy/reader"] {
                try await storage.batch([.put(key: "logical/other", value: [2]), .delete(key: key)])
                #expect(store.cachedStateGeneration != generation, "\(key) is cached by the core")
                // Readers saw `generation + 1` while the write was applied but not committed: tables built
                // from storage then hold the old state, so the committed write must carry another number.
                #expect(store.cachedStateGeneration != generation + 1, "\(key): raised again after the commit")
                generation = store.cachedStateGeneration
            }
        }
    }
}
