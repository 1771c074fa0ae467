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
        #expect(throws: RaftError.invalidCompactionIndex) { try cluster.nodes[1]?.compact(through: 5, snapshotData: []) }
        try cluster.nodes[1]?.compact(through: 1, snapshotData: [])
        #expect(throws: RaftError.invalidCompactionIndex) { try cluster.nodes[1]?.compact(through: 1, snapshotData: []) }
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
        var follower = RaftNode(config: TestCluster.config(2), state: TestCluster.state(terms: [1, 1, 1], hardTerm: 1, voters: [1, 2]))
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
