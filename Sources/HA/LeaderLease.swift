import Raft

/// A Raft leader's read lease (Ongaro's thesis §6.4.1; etcd's ReadOnlyLeaseBased, but timed from when the
/// heartbeat was sent rather than trusted while check-quorum has not yet fired).
///
/// While the lease is held, a read served from the local state machine once it has applied the commit index
/// is linearizable without a ReadIndex round: no other leader can have been elected.
///
/// Why: a voter that acknowledges a heartbeat has reset its election timer after the heartbeat was sent, and
/// with check-quorum (`RaftConfig.checkQuorum`) it refuses every (pre-)vote for another candidate for an
/// election timeout (`electionTicks` of its ticks, each at least `tickInterval` of its monotonic clock, so at
/// least `(electionTicks - 1) * tickInterval` after it stepped the heartbeat). A restarted voter refuses votes
/// for its first election timeout too (`RaftConfig.leaderLease`). Once a quorum acknowledged a heartbeat sent
/// at `start`, no candidate can gather a quorum before `start + (electionTicks - 1) * tickInterval` by any
/// voter's clock. The lease ends earlier, at `start + duration`, with `duration` a fraction of that
/// (`RaftRuntime.leaseDuration`).
///
/// Clock assumption: every node's monotonic clock (`ContinuousClock`, CLOCK_BOOTTIME on Linux) advances at
/// nearly the same rate (drift well under the 20% margin), and every node runs with the same tick settings.
/// Wall-clock steps (NTP, `date -s`) do not move it. A paused leader (SIGSTOP, a VM freeze) finds its lease
/// expired when it wakes, because the monotonic clock kept running.
///
/// Not held: in a term in which this leader started a leadership transfer (`timeoutNow` makes voters skip the
/// vote refusal), before a round of the current term was acknowledged, or once `duration` has passed.
///
/// A value owned by `RaftRuntime`'s actor; the instants are inputs, so tests drive it with any clock.
struct LeaderLease: Sendable {
    typealias Instant = ContinuousClock.Instant

    let duration: Duration
    private var term: Term?
    /// Issued rounds, ascending, each with an instant no later than the moment its heartbeat was sent.
    private var issued: [(round: UInt64, sentNoEarlierThan: Instant)] = []
    private var expiry: Instant?
    private var transferTerm: Term?

    init(duration: Duration) {
        self.duration = duration
    }

    /// Rounds up to `round` of `term` were issued no earlier than `instant` (taken before they were stepped).
    mutating func issued(through round: UInt64, term: Term, at instant: Instant) {
        if self.term != term { restart(term) }
        guard round > (issued.last?.round ?? 0) else { return }
        issued.append((round, instant))
    }

    /// A quorum acknowledged every round up to `round` of `term`.
    mutating func acknowledged(through round: UInt64, term: Term) {
        guard self.term == term, round > 0 else { return }
        // The round's heartbeat was sent no earlier than the instant recorded for the first entry at or above it.
        guard let entry = issued.first(where: { $0.round >= round }) else { return }
        let until = entry.sentNoEarlierThan + duration
        if expiry.map({ until > $0 }) ?? true { expiry = until }
        issued.removeAll { $0.round < round }
    }

    /// A leadership transfer started in `term`: no lease for the rest of that term.
    mutating func transferStarted(term: Term) {
        transferTerm = term
        expiry = nil
    }

    /// This node no longer leads: drop everything.
    mutating func reset() {
        term = nil
        issued = []
        expiry = nil
    }

    /// Whether the lease of `term` is held at `now`.
    func holds(term: Term, at now: Instant) -> Bool {
        guard let expiry = expiry(term: term) else { return false }
        return now < expiry
    }

    /// When the lease of `term` ends, or nil when it is not held (`holds(term:at:)` is `now < expiry`).
    func expiry(term: Term) -> Instant? {
        guard self.term == term, transferTerm != term else { return nil }
        return expiry
    }

    private mutating func restart(_ term: Term) {
        self.term = term
        issued = []
        expiry = nil
    }
}
