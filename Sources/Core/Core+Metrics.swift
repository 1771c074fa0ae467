import Storage

/// What the metrics endpoint reports about the core.
public struct CoreGauges: Sendable, Equatable {
    public var initialized: Bool
    public var unsealed: Bool
    /// Stored tokens; nil while sealed.
    public var tokens: Int?
    /// Tokens with an expiry (the leases Coffer hands out); nil while sealed.
    public var leases: Int?
    /// Reads this node served itself as a standby, and those it tried to but forwarded after all.
    public var standbyReadsServed = 0
    public var standbyReadsForwarded = 0
}

extension CofferCore {
    /// Counts for `sys/metrics`. A scan of the token store: called per scrape, not per request.
    public func metricsGauges() async -> CoreGauges {
        var gauges = CoreGauges(initialized: isInitialized, unsealed: !isSealed, tokens: nil, leases: nil)
        gauges.standbyReadsServed = standbyReadCounts.served
        gauges.standbyReadsForwarded = standbyReadCounts.forwarded
        guard case .active(let node) = state, let entries = try? await node.tokens.allEntries() else { return gauges }
        gauges.tokens = entries.count
        gauges.leases = entries.filter { $0.entry.expireAt != 0 }.count
        return gauges
    }

    /// `sys/metrics` once the ACL allowed it: the HTTP layer renders the exposition.
    func metricsEndpoint(_ request: Request) throws(CoreError) -> Response {
        try requireMethod(request, [.read])
        return .data([:])
    }
}
