import Cluster
import Foundation
import Raft
import Storage
import Testing

@testable import HA

/// Three `RaftRuntime`s over real LMDB stores in temporary directories, talking through the in-memory
/// transport (the TLS transport has its own tests; the process-level tests in tests/cluster use it).
final class RuntimeHarness: @unchecked Sendable {
    let network = InMemoryClusterNetwork(seed: 7)
    let names = ["alpha", "bravo", "charlie"].compactMap(ClusterNodeID.init)
    let directory: URL
    var stores: [NodeStore] = []
    var runtimes: [RaftRuntime] = []

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-ha-\(UUID().uuidString)")
        let voters = Set(names.map(RaftRuntime.raftID(for:)))
        for name in names {
            let store = try NodeStore(path: directory.appendingPathComponent(name.rawValue).path)
            try store.log.initialize(.bootstrap(voters: voters))
            stores.append(store)
        }
    }

    func start(compactionBytes: Int? = nil) async throws {
        var options = RaftRuntime.Options(tickInterval: .milliseconds(10), requestTimeout: .seconds(5))
        if let compactionBytes { options.compactionBytes = compactionBytes }
        for (index, name) in names.enumerated() {
            let runtime = try RaftRuntime(
                name: name, store: stores[index], transport: network.makeTransport(for: name), options: options)
            var peers: [ClusterNodeID: PeerAddress] = [:]
            for other in names { peers[other] = PeerAddress(host: "127.0.0.1", port: 1) }
            await runtime.updatePeers(peers)
            await runtime.start()
            runtimes.append(runtime)
        }
    }

    func leader(excluding stopped: Set<Int> = []) async throws -> Int {
        for _ in 0..<500 {
            for index in runtimes.indices where !stopped.contains(index) {
                if await runtimes[index].status.role == .leader {
                    // Serving once an entry of its term is applied.
                    if (try? await runtimes[index].confirmLeadership()) != nil { return index }
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ReplicationError.notLeader
    }

    func stop() async {
        for runtime in runtimes { await runtime.stop() }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.serialized) struct RuntimeTests {
    @Test func concurrentWritesShareEntriesAndEveryNodeConverges() async throws {
        let harness = try RuntimeHarness()
        try await harness.start()
        defer { Task { await harness.stop() } }
        let leader = try await harness.leader()
        let runtime = harness.runtimes[leader]
        let before = await runtime.status.lastIndex
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await runtime.write([.put(key: "k/\(index)", value: Array("v\(index)".utf8))])
                }
            }
            try await group.waitForAll()
        }
        let entries = await runtime.status.lastIndex - before
        // Group commit: 200 concurrent writes needed fewer entries (and fsyncs) than writes.
        #expect(entries < 200)
        #expect(try harness.stores[leader].visibleValue("k/199") == Array("v199".utf8))
        for _ in 0..<200 {
            let hashes = try Set(harness.stores.map { try $0.stateHash() })
            if hashes.count == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try Set(harness.stores.map { try $0.stateHash() }).count == 1)
        await harness.stop()
    }

    /// The log lives in memory until compacted: large entries (a restore's staged chunks) must trigger
    /// compaction by size long before the entry-count threshold, on every node.
    @Test func largeEntriesCompactTheLogBySize() async throws {
        let harness = try RuntimeHarness()
        try await harness.start(compactionBytes: 256 << 10)
        let leader = try await harness.leader()
        let runtime = harness.runtimes[leader]
        let chunk = [UInt8](repeating: 7, count: 64 << 10)
        for index in 0..<40 {  // 2.5 MiB in 40 entries: far below the 8192-entry threshold
            try await runtime.write([.put(key: "chunk/\(index)", value: chunk)])
        }
        for _ in 0..<200 {
            let retained = try harness.stores.map { try $0.log.load()?.entries.count ?? .max }
            if retained.allSatisfy({ $0 <= 8 }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        for store in harness.stores {
            let state = try #require(try store.log.load())
            #expect(state.snapshot.metadata.index > 1)
            #expect(state.entries.count <= 8, "at most 256 KiB of 64 KiB entries stay in the log")
        }
        await harness.stop()
    }

    @Test func aFollowerRefusesWritesAndReadConfirmation() async throws {
        let harness = try RuntimeHarness()
        try await harness.start()
        let leader = try await harness.leader()
        let follower = harness.runtimes[(leader + 1) % 3]
        await #expect(throws: ReplicationError.notLeader) {
            try await follower.write([.put(key: "x", value: [1])])
        }
        await #expect(throws: ReplicationError.notLeader) { try await follower.confirmLeadership() }
        await harness.stop()
    }

    @Test func anIsolatedLeaderCannotConfirmReadsAndANewLeaderKeepsAcknowledgedWrites() async throws {
        let harness = try RuntimeHarness()
        try await harness.start()
        let leader = try await harness.leader()
        let old = harness.runtimes[leader]
        try await old.write([.put(key: "acknowledged", value: [1])])
        let others = Set(harness.names.enumerated().filter { $0.offset != leader }.map(\.element))
        harness.network.partition([harness.names[leader]], from: others)
        // The deposed leader may still believe it leads, and serve reads while its lease runs (no one else
        // can be elected yet), but once the lease has expired it cannot confirm a read.
        let options = RaftRuntime.Options(tickInterval: .milliseconds(10), requestTimeout: .seconds(5))
        try await Task.sleep(for: RaftRuntime.leaseDuration(options) + .milliseconds(20))
        await #expect(throws: ReplicationError.self) { try await old.confirmLeadership() }
        let next = try await harness.leader(excluding: [leader])
        #expect(next != leader)
        try await harness.runtimes[next].write([.put(key: "after", value: [2])])
        #expect(try await harness.stores[next].data.get("acknowledged") == [1])
        harness.network.heal()
        for _ in 0..<300 {
            if try await harness.stores[leader].data.get("after") == [2] { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await harness.stores[leader].data.get("after") == [2])
        await harness.stop()
    }

    @Test func snapshotImageInstallsIdenticalState() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-ha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try NodeStore(path: directory.appendingPathComponent("a").path)
        let target = try NodeStore(path: directory.appendingPathComponent("b").path)
        try source.writeLocally((0..<500).map { .put(key: "k/\($0)", value: Array(repeating: UInt8($0 % 256), count: 64)) })
        try target.writeLocally([.put(key: "stale", value: [1])])
        let image = try source.image()
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 5, term: 1, configuration: Configuration(voters: [1])),
                                data: image)
        _ = try target.persist(Ready(snapshot: snapshot), snapshotData: image)
        #expect(try source.stateHash() == target.stateHash())
        #expect(try target.log.load()?.applied == 5)
        var corrupted = image
        corrupted.removeLast()
        #expect(throws: (any Error).self) { _ = try target.persist(Ready(snapshot: snapshot), snapshotData: corrupted) }
        #expect(try source.stateHash() == target.stateHash())
    }
}
