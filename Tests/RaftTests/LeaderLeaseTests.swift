import Testing
@testable import Raft

/// The core's half of leader leases: heartbeat rounds acknowledged by a quorum, and the vote refusal of a
/// voter that just started (the runtime's half, timing, is in HATests).
@Suite struct LeaderLeaseTests {
    /// A cluster whose nodes have run past their first election timeout (no restart vote refusal).
    static func settled(_ configure: (inout RaftConfig) -> Void = { $0.leaderLease = true }) -> TestCluster {
        var cluster = TestCluster(voters: [1, 2, 3], configure: configure)
        for id in [NodeID(1), 2, 3] { cluster.nodes[id]?.ticksSinceStart = 10 }
        return cluster
    }

    @Test func everyHeartbeatIsARoundAndAQuorumAcknowledgementIsReported() {
        var cluster = Self.settled()
        cluster.elect(1)
        cluster.tick(1)
        let issued = cluster[1].leaseRounds?.issued ?? 0
        #expect(issued > 0)
        #expect((cluster[1].leaseRounds?.acknowledged ?? 0) < issued, "not before the answers arrive")
        cluster.deliverAll()
        #expect(cluster[1].leaseRounds?.acknowledged == issued)
    }

    @Test func oneAnsweringVoterOfThreeMakesAQuorumButNoneDoesNot() {
        var cluster = Self.settled()
        cluster.elect(1)
        cluster.deliverAll()
        let before = cluster[1].leaseRounds?.acknowledged ?? 0
        cluster.isolated = [3]
        cluster.tick(1)
        cluster.deliverAll()
        let withTwo = cluster[1].leaseRounds
        #expect(withTwo?.acknowledged == withTwo?.issued, "node 2 and the leader are a quorum")
        cluster.isolated = [2, 3]
        cluster.tick(1)
        cluster.deliverAll()
        let alone = cluster[1].leaseRounds
        #expect((alone?.acknowledged ?? 0) < (alone?.issued ?? 0), "the leader alone is no quorum")
        #expect((alone?.acknowledged ?? 0) >= before)
    }

    @Test func withoutTheOptionOrWhenNotLeadingThereAreNoRounds() {
        var plain = TestCluster(voters: [1, 2, 3])
        plain.elect(1)
        #expect(plain[1].leaseRounds == nil)
        var leased = Self.settled()
        leased.elect(1)
        #expect(leased[1].leaseRounds != nil)
        #expect(leased[2].leaseRounds == nil)
        var noCheckQuorum = Self.settled { $0.leaderLease = true; $0.checkQuorum = false }
        noCheckQuorum.elect(1)
        #expect(noCheckQuorum[1].role == .leader)
        #expect(noCheckQuorum[1].leaseRounds == nil, "a lease without check-quorum's vote refusal is unsafe")
    }

    @Test func aRestartedVoterRefusesVotesForItsFirstElectionTimeout() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.leaderLease = true }
        // Node 2 just (re)started: it knows no leader, yet must not help elect one at once.
        cluster[2].step(Message(from: 3, to: 2, term: 5, kind: .vote(lastIndex: 9, lastTerm: 9, transfer: false)))
        #expect(cluster[2].term == 0)
        #expect(cluster[2].ready().messages.isEmpty)
        cluster[2].step(Message(from: 3, to: 2, term: 5, kind: .preVote(lastIndex: 9, lastTerm: 9)))
        #expect(cluster[2].ready().messages.isEmpty)
        for _ in 0..<10 { cluster[2].tick() }
        cluster[2].step(Message(from: 3, to: 2, term: 5, kind: .vote(lastIndex: 9, lastTerm: 9, transfer: false)))
        #expect(cluster[2].term == 5)
        #expect(cluster[2].vote == 3)
    }

    @Test func withoutLeasesAFreshVoterVotesAtOnce() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster[2].step(Message(from: 3, to: 2, term: 5, kind: .vote(lastIndex: 9, lastTerm: 9, transfer: false)))
        #expect(cluster[2].vote == 3)
    }
}
