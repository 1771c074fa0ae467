import Testing
@testable import Raft

@Suite struct SnapshotTests {
    @Test func aFollowerBehindTheCompactedLogReceivesTheSnapshot() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [3]
        for k in 0..<10 { _ = try cluster.nodes[1]?.propose([UInt8(k)]) }
        cluster.deliverAll()
        #expect(cluster[1].log.applied == 11)
        try cluster.nodes[1]?.compact(through: 8, snapshotData: [0xAB])
        #expect(cluster[1].log.firstIndex == 9)
        #expect(cluster[1].log.term(at: 5) == nil)
        cluster.isolated = []
        cluster.run(rounds: 3)
        let snapshots = cluster.installedSnapshots[3] ?? []
        #expect(snapshots.map(\.index) == [8])
        #expect(snapshots.first?.data == [0xAB])
        #expect(snapshots.first?.metadata.configuration.voters == [1, 2, 3])
        #expect(cluster[3].log.lastIndex == 11)
        #expect(cluster[3].log.applied == 11)
        #expect(cluster.applied[3]?.map(\.index) == [1, 9, 10, 11], "the snapshot replaced 2...8; the rest on top")
        #expect(cluster[1].progress[3]?.match == 11)
    }

    @Test func compactionRejectsUnappliedOrCompactedIndexes() throws {
        var cluster = TestCluster(voters: [1])
        cluster.elect(1)
        cluster.drain(1)
        #expect(throws: RaftError.invalidCompactionIndex) {
            try cluster.nodes[1]?.compact(through: 5, snapshotData: [])
        }
        try cluster.nodes[1]?.compact(through: 1, snapshotData: [])
        #expect(throws: RaftError.invalidCompactionIndex) {
            try cluster.nodes[1]?.compact(through: 1, snapshotData: [])
        }
    }

    @Test func aNodeRestartsFromItsSnapshotAndLog() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        for k in 0..<6 { _ = try cluster.nodes[1]?.propose([UInt8(k)]) }
        cluster.deliverAll()
        cluster.run(rounds: 1)
        // Node 2 snapshots at 4, as its runtime would: save the snapshot, then compact.
        try cluster.nodes[2]?.compact(through: 4, snapshotData: [4])
        let snapshot = try #require(cluster[2].latestSnapshot)
        var stored = try #require(cluster.storage[2])
        stored.snapshot = snapshot
        stored.entries.removeAll { $0.index <= 4 }
        let restarted = RaftNode(config: TestCluster.config(2), state: stored)
        #expect(restarted.log.snapshotIndex == 4)
        #expect(restarted.log.lastIndex == 7)
        #expect(restarted.log.committed == cluster[2].log.committed)
        #expect(restarted.term == cluster[2].term)
        #expect(restarted.vote == cluster[2].vote)
        #expect(restarted.log.applied == 4, "entries after the snapshot are handed out again to re-apply")
        var node = restarted
        let ready = node.ready()
        #expect(ready.committedEntries.map(\.index) == Array(5...cluster[2].log.committed))
        #expect(ready.entries.isEmpty, "nothing new to persist")
    }

    @Test func aStaleSnapshotIsAcknowledgedWithoutReplacingTheLog() {
        let state = TestCluster.state(terms: [1, 1, 1], hardTerm: 1, voters: [1, 2])
        var follower = RaftNode(config: TestCluster.config(2), state: state)
        follower.step(Message(from: 1, to: 2, term: 1, kind: .heartbeat(commit: 3, context: 0)))
        _ = follower.ready()
        let metadata = SnapshotMetadata(index: 2, term: 1, configuration: Configuration(voters: [1, 2]))
        follower.step(Message(from: 1, to: 2, term: 1, kind: .installSnapshot(Snapshot(metadata: metadata, data: []))))
        let ready = follower.ready()
        #expect(ready.snapshot == nil)
        #expect(ready.messages.map(\.kind) == [.appendResponse(.accepted(matchIndex: 3))])
        #expect(follower.log.lastIndex == 3)
    }
}

@Suite struct TransportReportTests {
    @Test func aFailedSnapshotIsRetriedAfterTheNextHeartbeat() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [3]
        for k in 0..<4 { _ = try cluster.nodes[1]?.propose([UInt8(k)]) }
        cluster.deliverAll()
        try cluster.nodes[1]?.compact(through: 4, snapshotData: [4])
        cluster.isolated = []
        cluster.tick(1)
        // Drop everything addressed to node 3 (the heartbeat answer starts the snapshot, which is lost too).
        for _ in 0..<3 {
            cluster.deliverAll { $0.to != 3 || !Self.isSnapshot($0) }
            cluster.inFlight.removeAll { Self.isSnapshot($0) }
        }
        guard case .snapshot = cluster[1].progress[3]?.state else {
            Issue.record("expected snapshot state, got \(String(describing: cluster[1].progress[3]?.state))")
            return
        }
        cluster.nodes[1]?.reportSnapshot(to: 3, succeeded: false)
        #expect(cluster[1].progress[3]?.state == .probe)
        cluster.run(rounds: 2)
        #expect(cluster[3].log.lastIndex == cluster[1].log.lastIndex)
        #expect(cluster.installedSnapshots[3]?.map(\.index) == [4])
    }

    @Test func anUnreachableFollowerFallsBackToProbing() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        #expect(cluster[1].progress[2]?.state == .replicate)
        cluster.nodes[1]?.reportUnreachable(2)
        #expect(cluster[1].progress[2]?.state == .probe)
        _ = try cluster.nodes[1]?.propose([1])
        cluster.run(rounds: 2)
        #expect(cluster[2].log.lastIndex == cluster[1].log.lastIndex)
        #expect(cluster[1].progress[2]?.state == .replicate)
    }

    static func isSnapshot(_ message: Message) -> Bool {
        if case .installSnapshot = message.kind { return true }
        return false
    }
}
