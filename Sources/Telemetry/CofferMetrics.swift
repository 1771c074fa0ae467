import CoreMetrics
import Foundation
import Prometheus

/// A node's metrics, kept in one Prometheus registry and written through swift-metrics
/// (`Counter`, `Timer`, `Gauge` made with this registry's factory, not the process-wide
/// one, so tests and several nodes in a process do not share counts).
///
/// Thread-safe: the registry and swift-metrics handlers lock internally. No label ever
/// holds a token, a path beyond its mount-level route, or any value from a request body.
public final class CofferMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Raft's gauges and counters, for the raft runtime to set.
    public let raft: RaftMetrics

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        ]
        self.registry = registry
        self.factory = factory
        self.raft = RaftMetrics(factory: factory)
    }

    /// One answered HTTP request. `route` is the mount-level part of the path
    /// (``route(for:)``), never the full path.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(
            label: "coffer_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory
        ).increment()
        CoreMetrics.Timer(label: "coffer_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// A device that could not write an entry.
    public func recordAuditFailure(device: String) {
        CoreMetrics.Counter(label: "coffer_audit_failures_total", dimensions: [("device", device)], factory: factory).increment()
    }

    /// An automated snapshot attempt: `coffer_snapshot_auto_total{schedule,result}` counts every attempt,
    /// `coffer_snapshot_auto_failing{schedule}` is 1 while the last attempt failed (alert on it).
    public func recordScheduledSnapshot(schedule: String, succeeded: Bool) {
        CoreMetrics.Counter(
            label: "coffer_snapshot_auto_total",
            dimensions: [("schedule", schedule), ("result", succeeded ? "success" : "failure")], factory: factory
        ).increment()
        CoreMetrics.Gauge(label: "coffer_snapshot_auto_failing", dimensions: [("schedule", schedule)], factory: factory)
            .record(succeeded ? 0 : 1)
    }

    /// The core's state, set just before each scrape.
    /// `standbyReads`: reads this node served itself as a standby, and those it tried to but forwarded, since
    /// it started (`coffer_standby_reads{outcome="served"|"forwarded"}`).
    public func setCoreState(
        initialized: Bool, unsealed: Bool, tokens: Int?, leases: Int?, standbyReads: (served: Int, forwarded: Int) = (0, 0)
    ) {
        CoreMetrics.Gauge(label: "coffer_standby_reads", dimensions: [("outcome", "served")], factory: factory)
            .record(standbyReads.served)
        CoreMetrics.Gauge(label: "coffer_standby_reads", dimensions: [("outcome", "forwarded")], factory: factory)
            .record(standbyReads.forwarded)
        CoreMetrics.Gauge(label: "coffer_core_initialized", factory: factory).record(initialized ? 1 : 0)
        CoreMetrics.Gauge(label: "coffer_core_unsealed", factory: factory).record(unsealed ? 1 : 0)
        if let tokens { CoreMetrics.Gauge(label: "coffer_tokens", factory: factory).record(tokens) }
        if let leases { CoreMetrics.Gauge(label: "coffer_leases", factory: factory).record(leases) }
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String {
        registry.emitToString()
    }

    /// The mount-level route of an API path, for labels: `sys/<endpoint>`, `auth/<mount>`,
    /// or the first segment (`secret`), so label values stay few and carry no names.
    public static func route(for path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let first = segments.first else { return "/" }
        if (first == "sys" || first == "auth"), segments.count > 1 {
            return "\(first)/\(segments[1])"
        }
        return String(first)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
