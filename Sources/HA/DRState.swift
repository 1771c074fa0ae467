import Cluster
import Foundation

/// DR replication's in-memory state on one node, owned by the `RaftCluster` actor. What must survive a
/// restart is in `DRPrimaryRecord` / `DRSecondaryRecord` behind the barrier and, for the last applied primary
/// index, in `raft/dr/applied-index` (written in the same Raft batch as the entries it counts).
struct DRState {
    /// Primary side: baseline images being fetched, by secondary id.
    var baselines: [String: Baseline] = [:]
    /// Primary side: when each secondary last asked, and the primary index it had applied then.
    var lastSeen: [String: (time: Date, applied: UInt64)] = [:]

    /// Secondary side: the pull loop and the transport that dials the primary with the replication certificate.
    var pullTask: Task<Void, Never>?
    var client: TLSClusterTransport?
    var clientActivation: DRActivation?
    /// The primary member that answered last (asked first next time).
    var preferredMember = 0
    /// The primary's applied index in its last answer.
    var primaryCommit: UInt64 = 0
    var lastHeartbeat: Date?
    /// When this secondary last held everything the primary had committed (lag in seconds counts from it).
    var lastCaughtUp: Date?
    var connection = "connecting"
    var state = "idle"

    /// A promoted cluster: the task telling the former primary that a new generation began.
    var fenceTask: Task<Void, Never>?

    struct Baseline {
        var transfer: UInt64
        var index: UInt64
        var image: [UInt8]
    }

    static let appliedIndexKey = "raft/dr/applied-index"
    /// How many baselines this cluster installed (a re-seed adds one), written with each baseline.
    static let baselineCountKey = "raft/dr/baselines"
    static let chunkSize = 4 << 20
    /// Both sides hold a baseline image in memory while it is transferred.
    static let maximumBaseline = 1 << 30
}
