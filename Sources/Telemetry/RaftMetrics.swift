import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// The seam the raft runtime reports through: call ``observe(term:commitIndex:appliedIndex:leaderID:isLeader:)``
/// after each `Ready` is handled. Thread-safe; cheap enough to call on every step.
///
/// Exposed as `coffer_raft_term`, `coffer_raft_commit_index`, `coffer_raft_applied_index`,
/// `coffer_raft_is_leader` (gauges) and `coffer_raft_leader_changes_total` (counter,
/// incremented whenever the known leader differs from the last one observed).
public final class RaftMetrics: Sendable {
    private let term: CoreMetrics.Gauge
    private let commitIndex: CoreMetrics.Gauge
    private let appliedIndex: CoreMetrics.Gauge
    private let isLeader: CoreMetrics.Gauge
    private let leaderChanges: CoreMetrics.Counter
    private let lastLeader = LockedLeader()

    init(factory: PrometheusMetricsFactory) {
        term = CoreMetrics.Gauge(label: "coffer_raft_term", factory: factory)
        commitIndex = CoreMetrics.Gauge(label: "coffer_raft_commit_index", factory: factory)
        appliedIndex = CoreMetrics.Gauge(label: "coffer_raft_applied_index", factory: factory)
        isLeader = CoreMetrics.Gauge(label: "coffer_raft_is_leader", factory: factory)
        leaderChanges = CoreMetrics.Counter(label: "coffer_raft_leader_changes_total", factory: factory)
    }

    public func observe(term: UInt64, commitIndex: UInt64, appliedIndex: UInt64, leaderID: String?, isLeader: Bool) {
        self.term.record(Double(term))
        self.commitIndex.record(Double(commitIndex))
        self.appliedIndex.record(Double(appliedIndex))
        self.isLeader.record(isLeader ? 1 : 0)
        if lastLeader.swap(leaderID) {
            leaderChanges.increment()
        }
    }
}

/// The last leader seen, behind a lock.
final class LockedLeader: Sendable {
    private let box = NIOLockedValueBox<String?>(nil)

    /// Stores `leader`; answers whether it differs from the one stored before (a known
    /// leader replacing another, or the first one seen).
    func swap(_ leader: String?) -> Bool {
        box.withLockedValue { current in
            defer { if leader != nil { current = leader } }
            return leader != nil && leader != current
        }
    }
}
