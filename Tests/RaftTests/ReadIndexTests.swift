import Testing
@testable import Raft

@Suite struct ReadIndexTests {
    @Test func aReadIsConfirmedByAQuorumHeartbeatRound() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        let entry = try #require(try cluster.nodes[1]?.propose([1]))
        cluster.deliverAll()
        try cluster.nodes[1]?.readIndex(context: 77)
        cluster.drain(1)
        #expect(cluster.readStates[1]?.isEmpty ?? true, "not before the heartbeat round")
        cluster.deliverAll()
        #expect(cluster.readStates[1] == [ReadState(context: 77, index: entry.index)])
    }

    @Test func anIsolatedLeaderCannotConfirmAReadButTheReadIsNotAnsweredStale() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [1]
        try cluster.nodes[1]?.readIndex(context: 5)
        for _ in 0..<5 { cluster.tick(1); cluster.deliverAll() }
        #expect(cluster.readStates[1]?.isEmpty ?? true)
    }

    @Test func aNewLeaderWaitsForItsNoopToCommitBeforeServingReads() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        // Make node 1 leader by delivering just the votes; its no-op stays in flight.
        cluster.nodes[1]?.campaign()
        cluster.deliverAll { message in
            if case .voteResponse = message.kind { return true }
            if case .vote = message.kind { return true }
            return false
        }
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].log.committed == 0)
        try cluster.nodes[1]?.readIndex(context: 9)
        cluster.drain(1)
        #expect(cluster.readStates[1]?.isEmpty ?? true)
        cluster.deliverAll()
        #expect(cluster.readStates[1] == [ReadState(context: 9, index: 1)])
    }

    @Test func followersRefuseReadIndexAndNameTheLeader() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        #expect(throws: RaftError.notLeader(leader: 1)) { try cluster.nodes[2]?.readIndex(context: 1) }
        #expect(throws: RaftError.notLeader(leader: 1)) { try cluster.nodes[2]?.propose([1]) }
    }

    #if DEBUG
    @Test func staleReadBugAnswersWithoutAQuorum() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.bugs = .readWithoutQuorum }
        cluster.elect(1)
        cluster.isolated = [1]
        try cluster.nodes[1]?.readIndex(context: 5)
        cluster.drain(1)
        #expect(cluster.readStates[1]?.count == 1, "the planted bug answers while isolated")
    }
    #endif
}
