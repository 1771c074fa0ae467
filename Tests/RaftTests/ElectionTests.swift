import Testing
@testable import Raft

@Suite struct ElectionTests {
    @Test func aFollowerTimesOutAndWinsWithAMajority() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.run(rounds: 25)
        #expect(cluster.leaders.count == 1)
        let leader = cluster.leaders.first ?? 0
        #expect(cluster[leader].term == 1)
        // Every node learned the leader and holds the leader's no-op, committed.
        for id: NodeID in [1, 2, 3] {
            #expect(cluster[id].leaderID == leader)
            #expect(cluster[id].log.lastIndex == 1)
            #expect(cluster[id].log.entry(at: 1)?.payload == .empty)
            #expect(cluster[id].log.committed == 1)
        }
    }

    @Test func electionTimeoutsAreRandomisedWithinOneToTwoTimeouts() {
        var seen: Set<Int> = []
        for seed: UInt64 in 0..<50 {
            let config = TestCluster.config(1) { $0.randomSeed = seed }
            let node = RaftNode(config: config, state: .bootstrap(voters: [1, 2]))
            #expect(node.randomizedElectionTimeout >= 10 && node.randomizedElectionTimeout < 20)
            seen.insert(node.randomizedElectionTimeout)
        }
        #expect(seen.count > 3)
    }

    @Test func aSingleVoterElectsItselfAndCommitsAlone() throws {
        var cluster = TestCluster(voters: [1])
        cluster.run(rounds: 25)
        #expect(cluster[1].role == .leader)
        let id = try cluster[1].propose([7])
        cluster.drain(1)
        #expect(cluster[1].log.committed == id.index)
        #expect(cluster.applied[1]?.last?.payload == .command([7]))
    }

    @Test func aVoteIsGrantedOnlyToAnUpToDateLogAndOncePerTerm() {
        // Table: (voter log terms, candidate lastIndex, candidate lastTerm, granted)
        let cases: [([Term], LogIndex, Term, Bool)] = [
            ([1, 1], 2, 1, true),   // same log
            ([1, 1], 3, 1, true),   // longer, same last term
            ([1, 1], 1, 1, false),  // shorter, same last term
            ([1, 2], 5, 1, false),  // lower last term, however long
            ([1, 2], 1, 3, true),   // higher last term, however short
        ]
        for (terms, lastIndex, lastTerm, granted) in cases {
            var voter = RaftNode(
                config: TestCluster.config(1),
                state: TestCluster.state(terms: terms, hardTerm: 3, voters: [1, 2, 3])
            )
            let request = MessageKind.vote(lastIndex: lastIndex, lastTerm: lastTerm, transfer: false)
            voter.step(Message(from: 2, to: 1, term: 4, kind: request))
            let ready = voter.ready()
            let response = ready.messages.first { $0.to == 2 }?.kind
            #expect(response == .voteResponse(granted: granted), "log \(terms) vs (\(lastIndex), \(lastTerm))")
            // Whatever the answer, the newer term is adopted and must be persisted with the vote.
            #expect(ready.hardState?.term == 4)
            #expect(ready.hardState?.vote == (granted ? 2 : nil))
            voter.advance(ready)
            if granted {
                voter.step(Message(from: 3, to: 1, term: 4, kind: .vote(lastIndex: 9, lastTerm: 9, transfer: false)))
                #expect(voter.ready().messages.first?.kind == .voteResponse(granted: false), "second vote in a term")
            }
        }
    }

    @Test func preVoteKeepsAPartitionedNodeFromInflatingItsTerm() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        #expect(cluster[1].role == .leader)
        cluster.isolated = [3]
        for _ in 0..<100 {
            cluster.tick(3)
            cluster.deliverAll()
        }
        #expect(cluster[3].term == 1, "pre-vote must fail without a quorum, leaving the term alone")
        #expect(cluster[3].role == .preCandidate)
        cluster.isolated = []
        cluster.run(rounds: 30)
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].term == 1, "the rejoining node did not depose the leader")
        #expect(cluster[3].leaderID == 1)
    }

    @Test func withoutPreVoteAPartitionedNodeDisruptsOnReturn() {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.preVote = false; $0.checkQuorum = false }
        cluster.elect(1)
        cluster.isolated = [3]
        for _ in 0..<100 { cluster.tick(3) }
        #expect(cluster[3].term > 3, "without pre-vote the term grows on every timeout")
        cluster.isolated = []
        cluster.run(rounds: 40)
        #expect(cluster[1].term > 1, "the control case: the old leader was disrupted")
    }

    @Test func checkQuorumMakesAnIsolatedLeaderStepDown() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [1]
        for _ in 0..<25 { cluster.tick(1) }
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].leaderID == nil)
    }

    @Test func leaseMakesFollowersIgnoreVotesWhileTheyHearFromALeader() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        // Node 3 asks for votes in a higher term (e.g. it was partitioned without pre-vote).
        cluster[2].step(Message(from: 3, to: 2, term: 5, kind: .vote(lastIndex: 9, lastTerm: 9, transfer: false)))
        #expect(cluster[2].term == 1)
        #expect(cluster[2].ready().messages.isEmpty)
        // A transfer-initiated vote bypasses the lease.
        cluster[2].step(Message(from: 3, to: 2, term: 5, kind: .vote(lastIndex: 9, lastTerm: 9, transfer: true)))
        #expect(cluster[2].term == 5)
    }

    @Test func aStaleLeaderStepsDownWhenItHearsTheNewTerm() {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolated = [1]
        for _ in 0..<40 {
            cluster.tick(2)
            cluster.tick(3)
            cluster.deliverAll()
        }
        let newLeader = cluster.leaders.first { $0 != 1 } ?? 0
        #expect(newLeader != 0)
        #expect(cluster[1].role == .leader, "still believes it leads")
        cluster.isolated = []
        cluster.tick(1)
        cluster.deliverAll()
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].term == cluster[newLeader].term)
        #expect(cluster.leaders == [newLeader])
    }
}
