import Crypto
import Foundation
import Storage

/// What the core needs to know of DR replication (the HA module runs the replication itself).
///
/// - A DR secondary, and a demoted primary, refuse every client request except status, unseal and the
///   replication endpoints: their data belongs to another cluster's history, and a write here would fork it.
/// - DR operation tokens come from the generate-root flow (same shares, same OTP encoding). Only the
///   SHA-256 of the one live token is kept, in memory on the node that generated it; it expires after
///   `drOperationTokenTTL`, is compared in constant time, and is spent by its first successful use.
extension CofferCore {
    /// How long a DR operation token stays usable.
    static let drOperationTokenTTL: TimeInterval = 30 * 60

    /// The error a DR secondary (or a demoted primary) answers client requests with.
    public static let drSecondaryRefusal = "path disabled in replication DR secondary mode"

    /// Paths a DR secondary still serves (the rest are refused with `drSecondaryRefusal`).
    static func allowedInDRSecondaryMode(_ path: String) -> Bool {
        path.hasPrefix("sys/replication/")
            || ["sys/health", "sys/seal-status", "sys/leader", "sys/unseal", "sys/init"].contains(path)
    }

    /// Sets the DR mode `sys/health` reports and whether client requests are refused.
    public func setReplicationMode(dr mode: String, refusing: Bool) {
        replicationDRMode = mode
        refusesClientRequests = refusing
    }

    /// A fresh DR operation token; only its hash is kept. The token has the OTP's length (the encoding XORs them).
    func issueDROperationToken() -> String {
        let token = "dro." + randomBase62(count: Self.otpLength - 4)
        drOperationToken = (Array(SHA256.hash(data: Array(token.utf8))), environment.now())
        return token
    }

    /// Spends the DR operation token: true only for the live, unexpired token, once.
    public func consumeDROperationToken(_ token: String) -> Bool {
        guard let (hash, issued) = drOperationToken else { return false }
        let given = Array(SHA256.hash(data: Array(token.utf8)))
        var difference: UInt8 = 0
        for (lhs, rhs) in zip(given, hash) { difference |= lhs ^ rhs }
        guard difference == 0, given.count == hash.count else { return false }
        drOperationToken = nil
        return environment.now().timeIntervalSince(issued) < Self.drOperationTokenTTL
    }

    /// `sys/replication/dr/secondary/generate-operation-token/{attempt,update}`: generate-root with the shares
    /// of the cluster whose keys this node holds (the primary's, once replication is active).
    func handleDROperationToken(_ request: Request) async throws(CoreError) -> Response {
        try requireActiveState()
        guard refusesClientRequests else {
            throw CoreError.badRequest("this cluster is not a DR secondary")
        }
        var inner = request
        inner.path = request.path.hasSuffix("/attempt") ? "sys/generate-root/attempt" : "sys/generate-root/update"
        return try await handleGenerateRoot(inner, authenticated: false, purpose: .drOperation)
    }

    /// Adopts another cluster's root key (a DR secondary, after the replicated keyring landed in storage):
    /// the barrier re-opens the keyring with it and the seal configuration is re-read.
    public func adoptReplicatedKeys(rootKey: [UInt8]) async throws {
        try await barrier.adopt(rootKey: rootKey)
        try await reloadSealConfig()
    }

    /// Re-reads the seal configuration from storage (replicated from a DR primary).
    public func reloadSealConfig() async throws {
        if let bytes = try await physical.get(SealConfig.storageKey) {
            sealConfig = try JSONDecoder().decode(SealConfig.self, from: Data(bytes))
        }
    }

    /// Rebuilds the active node's tables from storage (a promoted DR secondary now serves the data it received).
    public func reloadActive() async throws {
        guard case .active = state else { throw CoreError.standby }
        try await barrier.reloadKeyring()
        let node = try await loadActiveNode()
        guard case .active = state else { throw CoreError.standby }
        state = .active(node)
    }

    /// Wraps `data` in a new single-use token (`wrap_info`), as if the request had asked for wrapping.
    public func wrapForReplication(_ data: [String: JSONValue], ttl: Int64, path: String) async throws(CoreError)
        -> Response
    {
        guard case .active(let node) = state else { throw CoreError.standby }
        return try await wrap(.data(data), ttl: ttl, creationPath: path, node: node)
    }
}
