/// Exponential backoff with jitter for reconnecting to a peer.
///
/// `delay(forAttempt:using:)` returns a duration in `[cap/2, cap]` where `cap = min(maximum, initial * 2^attempt)`
/// ("equal jitter"): the delay never drops below half the exponential step, so a flapping peer is not hammered,
/// and the random half spreads reconnecting nodes apart. Randomness comes from the caller's generator, so a
/// seeded generator gives a replayable schedule. A value type.
public struct ReconnectBackoff: Sendable, Hashable {
    /// The step for attempt 0.
    public var initial: Duration
    /// The largest delay ever returned.
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        self.initial = max(initial, .milliseconds(1))
        self.maximum = max(maximum, self.initial)
    }

    /// The upper bound of the delay before reconnect attempt `attempt` (0-based).
    public func cap(forAttempt attempt: Int) -> Duration {
        var step = initial
        var remaining = max(0, attempt)
        while remaining > 0 && step < maximum {
            step = step * 2
            remaining -= 1
        }
        return min(step, maximum)
    }

    /// The delay before reconnect attempt `attempt` (0-based), jittered with `generator`.
    public func delay(forAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let capNanoseconds = Self.nanoseconds(cap(forAttempt: attempt))
        let half = capNanoseconds / 2
        let jitter = half > 0 ? Int64.random(in: 0...half, using: &generator) : 0
        return .nanoseconds(capNanoseconds - half + jitter)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? Int64.max : sum
    }
}
