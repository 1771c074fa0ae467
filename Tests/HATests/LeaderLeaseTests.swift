import Raft
import Testing

@testable import HA

/// `LeaderLease` driven by hand-made instants (a fake clock): when a lease is held, and that an expired or
/// never-acknowledged lease is not, so `RaftRuntime` falls back to a ReadIndex round.
@Suite struct LeaderLeaseTests {
    let start = ContinuousClock.now

    @Test func aQuorumAcknowledgedRoundHoldsTheLeaseFromItsSendingForTheDuration() {
        var lease = LeaderLease(duration: .milliseconds(360))
        lease.issued(through: 3, term: 2, at: start)
        #expect(!lease.holds(term: 2, at: start), "issued is not acknowledged")
        lease.acknowledged(through: 3, term: 2)
        #expect(lease.holds(term: 2, at: start + .milliseconds(359)))
        #expect(!lease.holds(term: 2, at: start + .milliseconds(360)), "expired: fall back to ReadIndex")
        #expect(!lease.holds(term: 3, at: start + .milliseconds(1)), "another term")
    }

    @Test func theLeaseIsTimedFromTheTurnThatIssuedTheAcknowledgedRound() {
        var lease = LeaderLease(duration: .milliseconds(100))
        lease.issued(through: 2, term: 1, at: start)
        lease.issued(through: 5, term: 1, at: start + .milliseconds(50))
        // Round 4 was issued in the second turn: timed from +50 ms, not from when the acknowledgement came.
        lease.acknowledged(through: 4, term: 1)
        #expect(lease.holds(term: 1, at: start + .milliseconds(149)))
        #expect(!lease.holds(term: 1, at: start + .milliseconds(150)))
        // An older acknowledgement never shortens or moves it.
        lease.acknowledged(through: 2, term: 1)
        #expect(lease.holds(term: 1, at: start + .milliseconds(149)))
    }

    @Test func aPausedLeaderFindsItsLeaseExpired() {
        var lease = LeaderLease(duration: .milliseconds(360))
        lease.issued(through: 1, term: 4, at: start)
        // SIGSTOP for two seconds between the heartbeat and the acknowledgement being stepped.
        lease.acknowledged(through: 1, term: 4)
        #expect(!lease.holds(term: 4, at: start + .seconds(2)))
    }

    @Test func aTransferEndsTheLeaseForTheRestOfTheTerm() {
        var lease = LeaderLease(duration: .milliseconds(360))
        lease.issued(through: 1, term: 7, at: start)
        lease.acknowledged(through: 1, term: 7)
        lease.transferStarted(term: 7)
        #expect(!lease.holds(term: 7, at: start))
        lease.issued(through: 2, term: 7, at: start + .milliseconds(10))
        lease.acknowledged(through: 2, term: 7)
        #expect(!lease.holds(term: 7, at: start + .milliseconds(11)))
    }

    /// What `RaftRuntime.confirmLeadership()` answers on the caller's thread, without the loop.
    @Test func theReadGateAdmitsOnlyWithinTheLeaseWithEverythingCommittedApplied() {
        var gate = ReadGate()
        #expect(!gate.admits(at: start), "no lease published: ask the loop")
        gate = ReadGate(leaseExpiry: start + .milliseconds(100), committed: 7, applied: 7)
        #expect(gate.admits(at: start + .milliseconds(99)))
        #expect(!gate.admits(at: start + .milliseconds(100)), "expired")
        gate.committed = 8
        #expect(!gate.admits(at: start), "a committed entry not yet applied: the loop waits for it")
    }

    @Test func theLeaseExpiryIsPublishedOnlyForItsTermAndNotDuringATransfer() {
        var lease = LeaderLease(duration: .milliseconds(360))
        #expect(lease.expiry(term: 3) == nil)
        lease.issued(through: 1, term: 3, at: start)
        lease.acknowledged(through: 1, term: 3)
        #expect(lease.expiry(term: 3) == start + .milliseconds(360))
        #expect(lease.expiry(term: 4) == nil)
        lease.transferStarted(term: 3)
        #expect(lease.expiry(term: 3) == nil)
    }

    @Test func aNewTermOrAResetForgetsEverything() {
        var lease = LeaderLease(duration: .milliseconds(360))
        lease.issued(through: 9, term: 1, at: start)
        lease.acknowledged(through: 9, term: 1)
        lease.issued(through: 1, term: 2, at: start)
        #expect(!lease.holds(term: 2, at: start))
        lease.acknowledged(through: 9, term: 1)
        #expect(!lease.holds(term: 1, at: start), "rounds of an old term count for nothing")
        lease.acknowledged(through: 1, term: 2)
        #expect(lease.holds(term: 2, at: start))
        lease.reset()
        #expect(!lease.holds(term: 2, at: start))
    }

    @Test func theDefaultDurationIsEightyPercentOfTheVoteRefusalWindow() {
        let options = RaftRuntime.Options(tickInterval: .milliseconds(50), electionTicks: 10)
        #expect(RaftRuntime.leaseDuration(options) == .milliseconds(360))
    }
}
