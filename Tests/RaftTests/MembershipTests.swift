import Testing
@testable import Raft

@Suite struct MembershipTests {
    @Test func aLearnerReceivesTheLogButNeverVotesOrCampaigns() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.add(4, state: .joining)
        _ = try cluster.nodes[1]?.proposeConfigChange(.addLearner(4))
        cluster.deliverAll()
        cluster.run(rounds: 5)
        #expect(cluster[1].log.configuration == Configuration(voters: [1, 2, 3], learners: [4]))
        #expect(cluster[4].log.lastIndex == cluster[1].log.lastIndex)
        #expect(cluster[4].log.configuration.learners == [4])
        // The learner is cut off for a long time: it must not campaign.
        cluster.isolated = [4]
        cluster.run(rounds: 100)
        #expect(cluster[4].role == .follower)
        #expect(cluster[4].term == 1)
        // Quorum is still 2 of the 3 voters: the cluster commits without the learner.
        let entry = try #require(try cluster.nodes[1]?.propose([9]))
        cluster.deliverAll()
        #expect(cluster[1].log.committed >= entry.index)
    }

    @Test func aLearnerIsPromotedOnlyAfterCatchingUp() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.add(4, state: .joining)
        cluster.isolated = [4]
        _ = try cluster.nodes[1]?.proposeConfigChange(.addLearner(4))
        cluster.deliverAll()
        #expect(throws: RaftError.learnerNotCaughtUp) { try cluster.nodes[1]?.proposeConfigChange(.promoteLearner(4)) }
        cluster.isolated = []
        cluster.run(rounds: 3)
        _ = try cluster.nodes[1]?.proposeConfigChange(.promoteLearner(4))
        cluster.deliverAll()
        #expect(cluster[1].log.configuration == Configuration(voters: [1, 2, 3, 4]))
        // Now 3 of 4 are needed: with two voters cut off, nothing commits.
        cluster.isolated = [3, 4]
        let entry = try #require(try cluster.nodes[1]?.propose([1]))
        cluster.deliverAll()
        #expect(cluster[1].log.committed < entry.index)
    }

    @Test func oneMembershipChangeAtATime() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [2, 3]
        _ = try cluster.nodes[1]?.proposeConfigChange(.addLearner(4))
        cluster.drain(1)
        #expect(throws: RaftError.configChangePending) { try cluster.nodes[1]?.proposeConfigChange(.addLearner(5)) }
        #expect(throws: RaftError.invalidConfigChange) {
            var node = cluster[1]
            node.log.commit(to: node.log.lastIndex)
            _ = try node.proposeConfigChange(.addVoter(1))
        }
    }

    @Test func aRemovedLeaderStepsDownAndTheRestElectANewOne() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        _ = try cluster.nodes[1]?.proposeConfigChange(.remove(1))
        cluster.deliverAll()
        #expect(cluster[1].role == .follower)
        #expect(cluster[2].log.configuration.voters == [2, 3])
        cluster.run(rounds: 40)
        #expect(cluster.leaders.count == 1)
        #expect(cluster.leaders.first != 1)
        #expect(cluster[1].role != .leader)
    }

    @Test func aRemovedNodeCannotDisruptTheCluster() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        // Node 3 is removed while partitioned, so it never learns and keeps campaigning with its old view.
        cluster.isolated = [3]
        _ = try cluster.nodes[1]?.proposeConfigChange(.remove(3))
        cluster.deliverAll()
        cluster.run(rounds: 5)
        #expect(cluster[1].log.configuration.voters == [1, 2])
        let term = cluster[1].term
        cluster.isolated = []
        cluster.run(rounds: 200)
        #expect(cluster.leaders == [1])
        #expect(cluster[1].term == term)
        #expect(cluster[3].term == term, "pre-vote never bumped the removed node's term")
    }

    @Test func leadershipTransferHandsOverToACaughtUpTarget() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [3]
        for k in 0..<5 { _ = try cluster.nodes[1]?.propose([UInt8(k)]) }
        cluster.deliverAll()
        cluster.isolated = []
        try cluster.nodes[1]?.transferLeadership(to: 3)
        #expect(throws: RaftError.transferInProgress) { try cluster.nodes[1]?.propose([1]) }
        cluster.deliverAll()
        cluster.run(rounds: 2)
        #expect(cluster.leaders == [3])
        #expect(cluster[3].term == 2)
        #expect(cluster[3].log.lastIndex == 7, "caught up first (no-op + 5 entries), then its own no-op")
    }

    @Test func aTransferToAnUnreachableTargetIsAbandoned() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [3]
        try cluster.nodes[1]?.transferLeadership(to: 3)
        for _ in 0..<12 { cluster.tick(1); cluster.tick(2); cluster.deliverAll() }
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].status.transferee == nil)
        #expect(throws: Never.self) { try cluster.nodes[1]?.propose([1]) }
        #expect(throws: RaftError.invalidTransferTarget) { try cluster.nodes[1]?.transferLeadership(to: 9) }
    }
}
