import Barrier

/// The seam between the core and a replicated cluster (implemented by the HA module; a node without
/// one is a cluster of itself that is always active).
///
/// The core calls it at the edges of its life: after `sys/init`, when the barrier opens, when the
/// node seals, and before serving each request. The cluster side calls back `CofferCore.stepUp()` /
/// `stepDown()` as this node wins or loses leadership.
public protocol HighAvailability: Sendable {
    /// `sys/init` wrote the first state (the barrier is still open): this node founds a new cluster
    /// as its only voter, and may write what the cluster needs behind the barrier.
    func initialized(barrier: Barrier) async throws

    /// The barrier opened with the cluster's keys: start taking part in the cluster. The node is a
    /// standby until the cluster side calls `stepUp()`.
    func nodeUnsealed(_ core: CofferCore, barrier: Barrier) async throws

    /// The node sealed: stop taking part (a sealed node neither votes nor replicates).
    func nodeSealed() async

    /// Returns once a read from local storage on this active node is linearizable; throws when this
    /// node is not (or no longer) the leader.
    func confirmLeadership() async throws

    /// On a standby: returns once a read from local storage is linearizable (a read-index round with the
    /// active node, then waiting until this node has applied that index), with `cachedStateGeneration` as it
    /// is then. Throws when that cannot be had; the core forwards the request instead.
    func standbyReadBarrier() async throws -> UInt64

    /// Whether this cluster answers client requests at all, as its replicated records say: false on a DR
    /// secondary or a demoted DR primary (only the active node applies that mode to the core; a standby asks).
    func answersClientRequests() async -> Bool

    /// Changes whenever a write or a restore may have changed state the core keeps in memory (mount tables,
    /// keyring, audit table, policies): what a standby built from storage is current only while it holds.
    var cachedStateGeneration: UInt64 { get }

    /// Who leads, as `sys/leader` reports it; with `stateHash`, also a hash of this node's store.
    func leaderStatus(stateHash: Bool) async -> LeaderStatus

    /// Shares completed the unseal key of a node that is joining: prove it to the leader and receive
    /// the cluster's state. Returns once the local store holds the keys.
    func completeJoin(unsealKey: SecretKey) async throws(CoreError)

    /// Unauthenticated cluster endpoints (`sys/storage/raft/join`, `.../bootstrap/*`); nil for others.
    func handleUnauthenticated(_ request: Request, core: CofferCore) async throws(CoreError) -> Response?

    /// Authenticated cluster endpoints under `sys/` (ACL already checked); nil for others.
    func handleSystem(_ request: Request, core: CofferCore) async throws(CoreError) -> Response?
}

/// Who leads the cluster, as this node knows it.
public struct LeaderStatus: Sendable, Equatable {
    public var isSelf: Bool
    /// The leader's `api_addr` and `cluster_addr` ("" when unknown).
    public var leaderAddress: String
    public var leaderClusterAddress: String
    /// When this node last became active (nil unless it is).
    public var activeTime: String?
    /// This node's Raft commit and applied indexes.
    public var committedIndex: UInt64 = 0
    public var appliedIndex: UInt64 = 0
    /// SHA-256 over this node's replicated store (ciphertext), when asked for: equal on two nodes
    /// exactly when they hold the same state.
    public var stateHash: String?

    public init(isSelf: Bool, leaderAddress: String, leaderClusterAddress: String, activeTime: String?) {
        self.isSelf = isSelf
        self.leaderAddress = leaderAddress
        self.leaderClusterAddress = leaderClusterAddress
        self.activeTime = activeTime
    }
}
