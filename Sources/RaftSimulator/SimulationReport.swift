/// The outcome of one simulated run.
public struct SimulationReport: Sendable {
    public var seed: UInt64
    public var nodeCount: Int
    public var simulatedMilliseconds: Int
    public var events: Int
    public var messagesSent: Int
    public var faultsInjected: Int
    public var crashes: Int
    public var membershipChanges: Int
    public var leadershipTransfers: Int
    public var operationsOK: Int
    public var operationsIndeterminate: Int
    public var operationsRefused: Int
    public var readsServed: Int
    public var snapshotsInstalled: Int
    public var maxTerm: UInt64
    /// The linearizability search ran out of budget (the history was neither confirmed nor refuted).
    public var linearizabilityUndecided: Bool = false
    /// A digest of every event processed, in order: the same seed must give the same digest.
    public var traceDigest: UInt64
    /// Invariant violations found (empty when the run is correct).
    public var violations: [String]
    /// The tail of the human-readable trace, when `SimulationConfig.recordTrace` is set.
    public var trace: [String]

    public var passed: Bool { violations.isEmpty }

    public var summary: String {
        "seed \(seed): \(nodeCount) nodes, \(simulatedMilliseconds) ms simulated, \(events) events, "
            + "\(messagesSent) messages, \(faultsInjected) faults (\(crashes) crashes, \(membershipChanges) "
            + "membership, \(leadershipTransfers) transfers), ops ok/info/refused \(operationsOK)/"
            + "\(operationsIndeterminate)/\(operationsRefused), reads \(readsServed), snapshots installed "
            + "\(snapshotsInstalled), max term \(maxTerm), violations \(violations.count)"
            + (linearizabilityUndecided ? ", linearizability undecided" : "")
    }
}
