import Barrier
import Foundation
import Logging
import Shamir
import Storage

/// One node's secrets manager: its seal state, its keys and the request path.
///
/// An actor: every state transition (init, unseal, seal, rekey) is serialised here.
/// Keys live in the ``Barrier`` only while the node is active and are zeroed on seal.
/// Unseal progress is per node and in memory only.
public actor CofferCore {
    let physical: any Storage
    let barrier: Barrier
    let options: CoreOptions
    let environment: CoreEnvironment
    let logger: Logger

    let backendFactory: BackendFactory?
    /// Serialises read-modify-write of one token (uses, renewal, revocation, unwrap).
    let tokenLocks = KeyedLock()

    var state: NodeState
    var sealConfig: SealConfig?
    /// The replicated cluster this node belongs to; nil for a node on its own (dev, in-memory).
    var ha: (any HighAvailability)?
    /// Collecting shares for a node that is joining a cluster: its keys come from the leader.
    var joining = false
    /// When this node last became active (for `sys/leader`).
    var activeSince: Date?
    var rekey: RekeyOperation?
    var generateRoot: GenerateRootOperation?
    /// DR replication (Core+Replication): the mode `sys/health` reports, whether client requests are
    /// refused (DR secondary or demoted primary), and the hash and issue time of the live DR operation token.
    var replicationDRMode = "disabled"
    var refusesClientRequests = false
    var drOperationToken: (hash: [UInt8], issued: Date)?
    /// Audit devices (see Core+Audit.swift); salts loaded on first use after unseal.
    var auditBroker: (any AuditBroker)?
    var auditLoaded = false
    var auditInFlight = 0
    /// What this standby built to serve reads itself (Core+StandbyReads); nil unless it is a standby.
    var standbyTables: StandbyTables?
    /// Reads a standby served itself, and those it tried to but forwarded (`sys/metrics`).
    var standbyReadCounts = (served: 0, forwarded: 0)

    /// Opens a node over `physical` storage. The node starts sealed (or uninitialised).
    public init(
        physical: any Storage,
        options: CoreOptions = CoreOptions(),
        environment: CoreEnvironment = .system,
        backendFactory: BackendFactory? = nil,
        logger: Logger = Logger(label: "coffer.core")
    ) async throws {
        self.backendFactory = backendFactory
        self.physical = physical
        self.barrier = Barrier(physical: physical)
        self.options = options
        self.environment = environment
        self.logger = logger
        if let bytes = try await physical.get(SealConfig.storageKey) {
            let config = try JSONDecoder().decode(SealConfig.self, from: Data(bytes))
            self.sealConfig = config
            self.state = .sealed(nil)
        } else {
            self.state = .uninitialized
        }
    }

    public var isInitialized: Bool {
        if case .uninitialized = state { return false }
        return true
    }

    public var isSealed: Bool {
        switch state {
        case .active, .standby: return false
        default: return true
        }
    }

    /// Whether this node is unsealed in a cluster led by another node.
    public var isStandby: Bool {
        if case .standby = state { return true }
        return false
    }

    /// The seal configuration (nil before `sys/init`).
    public var currentSealConfig: SealConfig? { sealConfig }

    /// Makes this node part of a replicated cluster. Call once, before serving.
    public func attach(_ ha: any HighAvailability) {
        self.ha = ha
    }

    /// A node that is joining a cluster learned the cluster's seal configuration from its leader:
    /// it now takes unseal shares like a sealed member (`sys/seal-status` shows the configuration).
    public func beginJoin(sealConfig: SealConfig) throws(CoreError) {
        guard case .uninitialized = state else {
            throw CoreError.badRequest("node is already initialized; cannot join another cluster")
        }
        self.sealConfig = sealConfig
        joining = true
        state = .sealed(nil)
    }

    // MARK: init

    /// What `sys/init` hands back once: the shares and the first root token.
    public struct InitResult: Sendable {
        public var shares: [[UInt8]]
        public var rootToken: String
    }

    /// Initialises storage: a new root key and keyring behind a new unseal key split
    /// into `shares` with `threshold`, and a root token. The node stays sealed.
    /// `rootTokenID` (dev mode only) fixes the root token's string.
    public func initialize(
        shares: Int, threshold: Int, rootTokenID: String? = nil
    ) async throws(CoreError) -> InitResult {
        guard case .uninitialized = state else {
            throw CoreError.badRequest("Vault is already initialized")
        }
        let config = try SealConfig(shares: shares, threshold: threshold)
        var keyBytes = environment.randomBytes(32)
        defer { wipe(&keyBytes) }
        let unsealKey = try secretKey(keyBytes)
        let split = try splitUnsealKey(keyBytes, config: config)
        do {
            try await barrier.initialize(unsealKey: unsealKey)
            try await barrier.unseal(unsealKey: unsealKey)
            let identity = ClusterIdentity(
                name: "coffer-cluster-" + String(environment.uuid().prefix(8)),
                id: environment.uuid()
            )
            try await barrier.put(ClusterIdentity.storageKey, Array(JSONEncoder().encode(identity)))
            let tokens = try await TokenStore.open(storage: tokenStorage, environment: environment)
            let root = try await tokens.createRoot(tokenString: rootTokenID)
            try await defaultMounts().save(to: barrier, key: MountTable.secretsKey)
            try await defaultAuthMounts().save(to: barrier, key: MountTable.authKey)
            try await physical.put(SealConfig.storageKey, Array(JSONEncoder().encode(config)))
            try await ha?.initialized(barrier: barrier)
            await barrier.seal()
            sealConfig = config
            state = .sealed(nil)
            logger.info("initialized", metadata: ["shares": "\(shares)", "threshold": "\(threshold)"])
            return InitResult(shares: split, rootToken: root.token)
        } catch {
            await barrier.seal()
            throw fault(error, doing: "initialize")
        }
    }

    /// Splits the unseal key, or hands it over whole when one share unseals (Vault's 1/1).
    func splitUnsealKey(_ key: [UInt8], config: SealConfig) throws(CoreError) -> [[UInt8]] {
        if config.secretShares == 1 {
            return [key]
        }
        do {
            return try Shamir.split(secret: key, shares: config.secretShares, threshold: config.secretThreshold)
        } catch {
            throw CoreError.badRequest("invalid seal configuration: \(error)")
        }
    }

    /// Rebuilds an unseal key from a quorum of shares (or the single whole key).
    func combine(_ shares: [KeyShare]) throws(CoreError) -> SecretKey {
        if shares.count == 1 {
            return try shares[0].withBytes { bytes throws(CoreError) in try secretKey(bytes) }
        }
        var parts = shares.map { share in share.withBytes { $0 } }
        defer { for index in parts.indices { wipe(&parts[index]) } }
        do {
            var combined = try Shamir.combine(parts)
            defer { wipe(&combined) }
            return try secretKey(combined)
        } catch {
            throw CoreError.badRequest("invalid key: failed to compute combined key: \(error)")
        }
    }

    /// Wraps 32 bytes as a key; any other length is a share set that cannot be right.
    func secretKey(_ bytes: [UInt8]) throws(CoreError) -> SecretKey {
        do {
            return try SecretKey(bytes: bytes)
        } catch {
            throw CoreError.badRequest("invalid key: key must be \(SecretKey.byteCount) bytes")
        }
    }

    // MARK: unseal and seal

    /// Records one share. At the threshold the unseal key is rebuilt and tried; a wrong
    /// set fails with an error and the progress starts over, as in Vault.
    public func submitUnsealShare(_ share: KeyShare) async throws(CoreError) {
        guard let config = sealConfig else {
            throw CoreError.badRequest("Vault is not initialized")
        }
        var progress: UnsealProgress
        switch state {
        case .uninitialized:
            throw CoreError.badRequest("Vault is not initialized")
        case .active, .standby, .unsealing:
            return
        case .sealed(let existing):
            progress = existing ?? UnsealProgress(threshold: config.secretThreshold, nonce: environment.uuid())
        }
        switch progress.add(share) {
        case .duplicate, .recorded:
            state = .sealed(progress)
        case .complete(let shares):
            state = .unsealing
            do {
                let key = try combine(shares)
                if joining, let ha {
                    try await ha.completeJoin(unsealKey: key)
                    joining = false
                }
                try await openBarrier(with: key)
            } catch {
                state = .sealed(nil)
                throw error
            }
        }
    }

    /// Forgets the shares given so far.
    public func resetUnsealProgress() {
        if case .sealed = state {
            state = .sealed(nil)
        }
    }

    private func openBarrier(with key: SecretKey) async throws(CoreError) {
        do {
            try await barrier.unseal(unsealKey: key)
        } catch let error as BarrierError {
            if case .invalidUnsealKey = error {
                throw CoreError.badRequest(
                    "unable to retrieve stored keys: invalid key: failed to decrypt keys from storage")
            }
            throw fault(error, doing: "unseal")
        } catch {
            throw fault(error, doing: "unseal")
        }
        do {
            if let ha {
                state = .standby(try await loadIdentity())
                try await ha.nodeUnsealed(self, barrier: barrier)
                logger.info("unsealed; standby until elected")
            } else {
                state = .active(try await loadActiveNode())
                activeSince = environment.now()
                logger.info("unsealed")
            }
        } catch {
            await barrier.seal()
            state = .sealed(nil)
            throw fault(error, doing: "unseal")
        }
    }

    func loadIdentity() async throws -> ClusterIdentity {
        guard let bytes = try await barrier.get(ClusterIdentity.storageKey) else {
            throw CoreError.internal("cluster identity missing")
        }
        return try JSONDecoder().decode(ClusterIdentity.self, from: Data(bytes))
    }

    /// Builds the in-memory state of an active node from storage.
    func loadActiveNode() async throws -> ActiveNode {
        let identity = try await loadIdentity()
        let tokens = try await TokenStore.open(storage: tokenStorage, environment: environment)
        let mounts = try await MountTable.load(from: barrier, key: MountTable.secretsKey) ?? defaultMounts()
        let authMounts = try await MountTable.load(from: barrier, key: MountTable.authKey) ?? defaultAuthMounts()
        var backends: [String: any LogicalBackend] = [:]
        for entry in mounts.entries + authMounts.entries {
            if let backend = backendFactory?(entry.type, entry.options ?? [:]) {
                backends[entry.uuid] = backend
            } else if !["system", "identity", "token"].contains(entry.type) {
                logger.warning("no backend for mount", metadata: ["type": "\(entry.type)", "path": "\(entry.path)"])
            }
        }
        return ActiveNode(
            tokens: tokens, identity: identity, mounts: mounts, authMounts: authMounts, backends: backends,
            policies: PolicyStore(storage: StorageView(barrier, prefix: "sys/policy/")))
    }

    /// This node won leadership and has applied every committed write: it becomes the active node.
    /// The keyring is re-read (another node may have rotated it) and every in-memory table is rebuilt
    /// from storage, so nothing cached from an earlier term survives.
    public func stepUp() async throws {
        guard case .standby = state else { return }
        standbyTables = nil
        do {
            try await barrier.reloadKeyring()
            let node = try await loadActiveNode()
            guard case .standby = state else { return }
            state = .active(node)
            activeSince = environment.now()
            logger.info("active")
        } catch {
            logger.error("could not become active", metadata: ["error": "\(type(of: error))"])
            throw error
        }
    }

    /// This node lost leadership: it stops serving and forwards from now on.
    public func stepDown() {
        guard case .active(let node) = state else { return }
        state = .standby(node.identity)
        standbyTables = nil
        activeSince = nil
        logger.info("standby")
    }

    /// Seals the node: keys are zeroed, in-flight operations needing keys fail.
    public func seal() async {
        await ha?.nodeSealed()
        await barrier.seal()
        activeSince = nil
        rekey = nil
        generateRoot = nil
        drOperationToken = nil
        standbyTables = nil
        state = .sealed(nil)
        await auditSealed()
        logger.info("sealed")
    }

    /// The mounts every node has: cubbyhole, identity and sys (Vault's set).
    func defaultMounts() -> MountTable {
        MountTable(entries: [
            MountEntry(
                path: "cubbyhole/", type: "cubbyhole", description: "per-token private secret storage",
                uuid: environment.uuid(), accessor: "cubbyhole_" + String(environment.uuid().prefix(8)), options: nil,
                defaultLeaseTTL: 0, maxLeaseTTL: 0, local: true, sealWrap: false),
            MountEntry(
                path: "identity/", type: "identity", description: "identity store", uuid: environment.uuid(),
                accessor: "identity_" + String(environment.uuid().prefix(8)), options: nil, defaultLeaseTTL: 0,
                maxLeaseTTL: 0, local: false, sealWrap: false),
            MountEntry(
                path: "sys/", type: "system", description: "system endpoints used for control, policy and debugging",
                uuid: environment.uuid(), accessor: "system_" + String(environment.uuid().prefix(8)), options: nil,
                defaultLeaseTTL: 0, maxLeaseTTL: 0, local: false, sealWrap: true),
        ])
    }

    func defaultAuthMounts() -> MountTable {
        MountTable(entries: [
            MountEntry(
                path: "token/", type: "token", description: "token based credentials", uuid: environment.uuid(),
                accessor: "auth_token_" + String(environment.uuid().prefix(8)), options: nil, defaultLeaseTTL: 0,
                maxLeaseTTL: 0, local: false, sealWrap: false)
        ])
    }

    var tokenStorage: StorageView {
        StorageView(barrier, prefix: "sys/token/")
    }

    // MARK: errors

    /// Turns an error from below into a CoreError without leaking details of secrets.
    func fault(_ error: any Error, doing action: String) -> CoreError {
        if let error = error as? CoreError { return error }
        if let error = error as? BarrierError {
            if case .sealed = error { return .sealed }
        }
        if let error = error as? StorageError {
            // A path the store cannot hold (empty, or longer than LMDB's key limit) is the caller's mistake.
            return .badRequest("invalid path: \(error.description)")
        }
        logger.error("storage fault", metadata: ["action": "\(action)", "error": "\(type(of: error))"])
        return .internal("internal error while trying to \(action)")
    }
}
