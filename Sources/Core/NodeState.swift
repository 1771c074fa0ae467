/// Where a node is in its life. One `switch` over this decides what a request may do.
///
/// - `uninitialized`: no seal configuration in storage; only `sys/init` and status.
/// - `sealed`: keys not in memory; collecting unseal shares.
/// - `standby`: unsealed, replicating, not the leader.
/// - `active`: unsealed and serving.
enum NodeState: Sendable {
    case uninitialized
    case sealed(UnsealProgress?)
    /// Shares reached the threshold; the barrier is being opened. Further shares wait.
    case unsealing
    /// Unsealed in a cluster whose leader is another node: requests are forwarded there.
    case standby(ClusterIdentity)
    case active(ActiveNode)
}

/// What exists only while a node is unsealed: dropped (and its keys zeroed through the
/// barrier) on seal.
struct ActiveNode: Sendable {
    var tokens: TokenStore
    var identity: ClusterIdentity
    var mounts: MountTable
    var authMounts: MountTable
    /// Live backends by mount uuid.
    var backends: [String: any LogicalBackend]
    var policies: PolicyStore
}

/// The cluster's name and id, created at init and kept behind the barrier.
public struct ClusterIdentity: Codable, Sendable, Equatable {
    static let storageKey = "core/cluster-identity"

    public var name: String
    public var id: String

    enum CodingKeys: String, CodingKey {
        case name = "cluster_name"
        case id = "cluster_id"
    }
}
