import Barrier
import Cluster
import Core
import Foundation
import Logging
import NIOCore
import NIOPosix
import Raft
import Storage

/// A Coffer node's place in its Raft cluster: the `HighAvailability` the core calls, and what starts and stops
/// the transport and the `RaftRuntime` with the seal.
///
/// Lifecycle: a sealed node takes no part (no transport, no vote). When the barrier opens, the node issues
/// itself a cluster certificate from the CA kept behind the barrier, opens the cluster port with mutual TLS,
/// and runs Raft as a standby; when its runtime reports leadership (with an entry of its term applied) the
/// core steps up. Sealing stops everything again.
///
/// An actor: it owns the runtime, the transport, pending join challenges and the autopilot settings.
public actor RaftCluster: HighAvailability {
    public struct Settings: Sendable {
        public var name: ClusterNodeID
        /// Advertised to clients and peers (`api_addr`).
        public var apiAddress: String
        /// Advertised to peers (`cluster_addr`, host:port or https://host:port).
        public var clusterAddress: String
        /// Where the cluster listener binds (`listener.cluster_address`).
        public var listenHost: String
        public var listenPort: Int
        /// `retry_join { leader_api_addr }` entries.
        public var retryJoin: [String]
        public var runtime: RaftRuntime.Options
        #if DEBUG
        /// Test-only planted bug: the active node serves reads without confirming its leadership.
        public var unsafeStaleReads = false
        #endif

        public init(
            name: ClusterNodeID, apiAddress: String, clusterAddress: String, listenHost: String, listenPort: Int,
            retryJoin: [String] = [], runtime: RaftRuntime.Options = RaftRuntime.Options()
        ) {
            self.name = name
            self.apiAddress = apiAddress
            self.clusterAddress = clusterAddress
            self.listenHost = listenHost
            self.listenPort = listenPort
            self.retryJoin = retryJoin
            self.runtime = runtime
        }
    }

    public nonisolated let settings: Settings
    public nonisolated let store: NodeStore
    public nonisolated let storage: ReplicatedStorage
    let logger: Logger

    var runtime: RaftRuntime?
    var transport: TLSClusterTransport?
    var core: CofferCore?
    var barrier: Barrier?
    var tasks: [Task<Void, Never>] = []
    var activeSince: Date?
    /// The CA roots this node's transport trusts now (to notice a rotation).
    var currentRoots: [[UInt8]] = []
    /// Challenges handed to joining nodes, by node name (leader side).
    var challenges: [String: JoinChallenge] = [:]
    /// The join in progress on this (joining) node.
    var join: JoinAttempt?
    var autopilot = AutopilotConfiguration()
    /// Since when each member has been healthy (autopilot stabilisation), by name.
    var healthySince: [String: Date] = [:]
    /// Serves a request a standby forwarded here; set by the server (it runs the HTTP responder).
    var forwardedRequestHandler: (@Sendable ([UInt8]) async -> [UInt8])?
    /// Receives the Raft status after every handled `Ready` (the server feeds metrics with it).
    var raftStatusObserver: (@Sendable (RaftStatus) -> Void)?
    /// Snapshot tickets and the restore in progress (RaftCluster+Snapshot).
    var snapshotState = SnapshotState()
    /// DR replication's in-memory state (RaftCluster+DRPrimary, RaftCluster+DRSecondary).
    var dr = DRState()
    /// Node names by Raft id, as member records gave them. Never stale: a Raft id is a hash of the name
    /// (`RaftRuntime.raftID(for:)`). Saves decoding every member record on each forwarded request.
    var namesByRaftID: [NodeID: ClusterNodeID] = [:]

    /// Opens the node's store in `path`. A node whose store has no Raft log yet is uninitialised: `sys/init`
    /// founds a cluster on it, or it joins one.
    public init(settings: Settings, path: String, logger: Logger = Logger(label: "coffer.cluster")) throws {
        self.settings = settings
        self.store = try NodeStore(path: path)
        let hasLog = try store.log.load() != nil
        self.storage = ReplicatedStorage(store: store, mode: hasLog ? .closed : .local)
        self.logger = logger
    }

    public func setRaftStatusObserver(_ observer: @escaping @Sendable (RaftStatus) -> Void) {
        raftStatusObserver = observer
    }

    public func setForwardedRequestHandler(_ handler: @escaping @Sendable ([UInt8]) async -> [UInt8]) {
        forwardedRequestHandler = handler
    }

    /// Starts `retry_join` attempts on an uninitialised node (each `leader_api_addr` in turn every 2 s) until
    /// one leader hands out a challenge; then the node waits for its unseal shares.
    public func startRetryJoin(core: CofferCore) {
        self.core = core
        guard !settings.retryJoin.isEmpty else { return }
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                if await self.tryRetryJoin(core: core) { return }
                try? await Task.sleep(for: .seconds(2))
            }
        })
    }

    private func tryRetryJoin(core: CofferCore) async -> Bool {
        guard await !core.isInitialized, join == nil else { return true }
        for leader in settings.retryJoin {
            do {
                try await requestChallenge(leaderAPI: leader, core: core)
                logger.info("join challenge received; waiting for unseal shares", metadata: ["leader": "\(leader)"])
                return true
            } catch {
                logger.debug("retry_join attempt failed", metadata: ["leader": "\(leader)", "error": "\(error)"])
            }
        }
        return false
    }

    // MARK: - HighAvailability

    public func initialized(barrier: Barrier) async throws {
        let authority = try ClusterCertificateAuthority.generate()
        try await barrier.put(ClusterAuthorityRecord.storageKey, ClusterAuthorityRecord(authority).encoded())
        let me = ClusterMember(
            name: settings.name.rawValue, apiAddress: settings.apiAddress, clusterAddress: settings.clusterAddress)
        try store.writeLocally([.put(key: me.key, value: me.encoded())])
        try RaftRuntime.bootstrap(store, name: settings.name)
        storage.setMode(.closed)
        logger.info("founded a new cluster", metadata: ["node": "\(settings.name)"])
    }

    public func nodeUnsealed(_ core: CofferCore, barrier: Barrier) async throws {
        self.core = core
        self.barrier = barrier
        if runtime == nil {
            try await startRuntime(credentials: try await credentials(for: settings.name, barrier: barrier))
        }
        guard let runtime else { return }
        watchLeadership(runtime, core: core)
        // A cluster of one elects itself at once: unseal returns when it serves, as a single node should.
        if await runtime.status.configuration.voters == [runtime.id] {
            let deadline = ContinuousClock.now + .seconds(10)
            while activeSince == nil && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    public func nodeSealed() async {
        await stopRuntime()
        activeSince = nil
    }

    public func confirmLeadership() async throws {
        guard let runtime else { throw ReplicationError.stopped }
        #if DEBUG
        if settings.unsafeStaleReads { return }
        #endif
        try await runtime.confirmLeadership()
    }

    public func leaderStatus(stateHash: Bool) async -> LeaderStatus {
        guard let runtime else {
            return LeaderStatus(isSelf: false, leaderAddress: "", leaderClusterAddress: "", activeTime: nil)
        }
        let status = await runtime.status
        let isSelf = status.leader == runtime.id && activeSince != nil
        var api = ""
        var cluster = ""
        if let leader = status.leader, let member = member(raftID: leader) {
            api = member.apiAddress
            cluster = member.clusterAddress.contains("://") ? member.clusterAddress : "https://" + member.clusterAddress
        }
        var answer = LeaderStatus(
            isSelf: isSelf, leaderAddress: api, leaderClusterAddress: cluster,
            activeTime: isSelf ? activeSince.map { Timestamp($0).rfc3339Nano } : nil)
        answer.committedIndex = status.commit
        answer.appliedIndex = status.applied
        if stateHash { answer.stateHash = try? store.stateHash() }
        return answer
    }

    // MARK: - Cluster certificates

    /// A fresh certificate and key for `name` from the cluster CA behind the barrier, trusting the current
    /// CA and, during a rotation, the previous one.
    func credentials(for name: ClusterNodeID, barrier: Barrier) async throws -> ClusterNodeCredentials {
        guard let bytes = try await barrier.get(ClusterAuthorityRecord.storageKey) else {
            throw CoreError.internal("the cluster certificate authority is missing")
        }
        let record = try ClusterAuthorityRecord.decode(bytes)
        var roots = record.trustedRoots()
        // A DR primary's port also accepts its secondaries' certificates (their messages are confined to DR).
        if let primary = try? await primaryRecord(), !primary.demoted { roots.append(primary.caCertificateDER) }
        return try record.authority().issueCredentials(for: name).trusting(roots)
    }

    /// `sys/storage/raft/tls/rotate`: a new cluster CA. Every node, as it applies the change, issues itself a
    /// certificate from the new CA and trusts both CAs, so connections made before and after keep working;
    /// the previous CA is dropped at the next rotation.
    func rotateClusterCA() async throws(CoreError) -> Response {
        guard let barrier, let core else { throw CoreError.sealed }
        try await requireActive(core)
        do {
            guard let bytes = try await barrier.get(ClusterAuthorityRecord.storageKey) else {
                throw CoreError.internal("the cluster certificate authority is missing")
            }
            var record = ClusterAuthorityRecord(try ClusterCertificateAuthority.generate())
            record.previousCertificate = try ClusterAuthorityRecord.decode(bytes).certificate
            try await barrier.put(ClusterAuthorityRecord.storageKey, record.encoded())
        } catch let error as CoreError {
            throw error
        } catch {
            throw CoreError.internal("could not rotate the cluster certificate authority")
        }
        await refreshCredentials()
        logger.info("cluster CA rotated")
        return .noContent
    }

    /// Re-issues this node's certificate when the stored CA is not the one it was issued from.
    func refreshCredentials() async {
        guard let barrier, let transport else { return }
        do {
            // A standby's keyring may predate a key rotation made on the active node.
            try? await barrier.reloadKeyring()
            let fresh = try await credentials(for: settings.name, barrier: barrier)
            guard fresh.trustedRootsDER != currentRoots else { return }
            try await transport.updateCredentials(fresh)
            currentRoots = fresh.trustedRootsDER
            logger.info("cluster certificate re-issued from the rotated CA")
        } catch {
            logger.error("could not re-issue the cluster certificate", metadata: ["error": "\(type(of: error))"])
        }
    }

    // MARK: - Runtime

    /// The event loops the cluster transport, and so the Raft loop, run on. Process-wide and never shut down:
    /// the runtime actor's executor is its transport's loop, and after a seal there can still be jobs on their
    /// way to the old actor. A group shut down with the transport would drop them and leave their callers
    /// waiting forever; a live loop runs them, and the stopped runtime answers them with an error.
    static let transportGroup = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

    func startRuntime(credentials: ClusterNodeCredentials) async throws {
        let transport = try await TLSClusterTransport.start(
            credentials: credentials,
            configuration: TLSClusterTransportConfiguration(host: settings.listenHost, port: settings.listenPort),
            eventLoopGroup: RaftCluster.transportGroup,
            logger: Logger(label: "coffer.cluster.transport"))
        let runtime: RaftRuntime
        do {
            runtime = try RaftRuntime(
                name: settings.name, store: store, transport: transport, options: settings.runtime,
                logger: Logger(label: "coffer.raft"))
        } catch {
            await transport.shutdown()
            throw error
        }
        self.transport = transport
        self.runtime = runtime
        currentRoots = credentials.trustedRootsDER
        await runtime.setRequestHandler { [weak self] from, message in
            guard let self else { return [] }
            return await self.serve(message, from: from)
        }
        await runtime.setMembershipObserver { [weak self] in
            await self?.refreshPeers()
            await self?.refreshCredentials()
        }
        await runtime.setRestoreObserver { [weak self] in await self?.restoreApplied() }
        if let raftStatusObserver { await runtime.setStatusObserver(raftStatusObserver) }
        await refreshPeers()
        storage.setMode(.replicated(runtime))
        await runtime.start()
    }

    func stopRuntime() async {
        await stopPulling()
        storage.setMode(.closed)
        for task in tasks { task.cancel() }
        tasks = []
        if let runtime { await runtime.stop() }
        if let transport { await transport.shutdown() }
        runtime = nil
        transport = nil
    }

    private func watchLeadership(_ runtime: RaftRuntime, core: CofferCore) {
        let stream = runtime.leadership
        tasks.append(Task { [weak self] in
            for await leadership in stream {
                guard let self else { return }
                await self.leadershipChanged(leadership, core: core)
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self else { return }
                await self.runAutopilot()
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self else { return }
                await self.runSnapshotSchedules()
            }
        })
    }

    private func leadershipChanged(_ leadership: RaftRuntime.Leadership, core: CofferCore) async {
        switch leadership {
        case .leader:
            do {
                try await core.stepUp()
                activeSince = Date()
                await ensureOwnMemberRecord()
                await applyReplicationMode(core: core)
            } catch {
                logger.error("could not become active; handing leadership on", metadata: ["error": "\(error)"])
                await stepDown()
            }
        case .follower:
            activeSince = nil
            await stopPulling()
            await core.stepDown()
        }
    }

    /// The leader keeps its own member record current (its addresses may change across restarts).
    private func ensureOwnMemberRecord() async {
        let me = ClusterMember(
            name: settings.name.rawValue, apiAddress: settings.apiAddress, clusterAddress: settings.clusterAddress)
        guard members()[me.name] != me else { return }
        try? await storage.put(me.key, me.encoded())
    }

    /// Every member record in the local store, by name.
    func members() -> [String: ClusterMember] {
        var result: [String: ClusterMember] = [:]
        let names = (try? store.environment.read { transaction in
            try transaction.keys(in: store.data.database, prefix: Array(ClusterMember.keyPrefix.utf8))
        }) ?? []
        for key in names {
            guard let value = try? store.environment.read({ try $0.get(key, in: store.data.database) }),
                let member = try? JSONDecoder().decode(ClusterMember.self, from: Data(value))
            else { continue }
            result[member.name] = member
        }
        return result
    }

    func member(raftID: NodeID) -> ClusterMember? {
        members().values.first { $0.raftID == raftID }
    }

    /// The transport name of the member with `raftID`, from the cache or else from the member records.
    func nodeName(raftID: NodeID) -> ClusterNodeID? {
        if let known = namesByRaftID[raftID] { return known }
        guard let name = member(raftID: raftID)?.nodeName, RaftRuntime.raftID(for: name) == raftID else { return nil }
        namesByRaftID[raftID] = name
        return name
    }

    func refreshPeers() async {
        guard let runtime else { return }
        var addresses: [ClusterNodeID: PeerAddress] = [:]
        for member in members().values {
            if let name = member.nodeName, let address = member.peerAddress { addresses[name] = address }
        }
        await runtime.updatePeers(addresses)
    }

    /// Hands leadership to the most up-to-date other voter (`sys/step-down`).
    func stepDown() async {
        guard let runtime else { return }
        let status = await runtime.status
        let progress = await runtime.progress
        let candidates = status.configuration.voters.filter { $0 != runtime.id }
        if let target = candidates.max(by: { (progress[$0]?.match ?? 0) < (progress[$1]?.match ?? 0) }) {
            await runtime.transferLeadership(to: target)
        }
    }

    // MARK: - Standby reads

    public nonisolated func standbyReadBarrier() async throws -> UInt64 {
        guard let runtime = storage.runtime else { throw ReplicationError.stopped }
        try await runtime.followerReadBarrier()
        guard store.restoreGeneration.load(ordering: .sequentiallyConsistent) % 2 == 0 else {
            throw ReplicationError.restoring
        }
        return cachedStateGeneration
    }

    public nonisolated var cachedStateGeneration: UInt64 { store.cachedStateGeneration }

    public func answersClientRequests() async -> Bool {
        do {
            if try await secondaryRecord() != nil { return false }
            return try await primaryRecord()?.demoted != true
        } catch {
            return false
        }
    }

    // MARK: - Forwarding

    /// Sends a request this standby cannot answer to the active node over the cluster port and returns its
    /// answer unchanged. With no leader known it waits up to two election timeouts for one; if the leader
    /// changes (or is lost) while the request is out, it gives up at once rather than wait on a dead node.
    /// Throws `CoreError.unavailable` (a 503) in both cases: never a stale answer, never a redirect.
    public func forward(_ request: [UInt8]) async throws(CoreError) -> [UInt8] {
        guard let runtime, let transport else { throw CoreError.sealed }
        let patience = settings.runtime.tickInterval * (settings.runtime.electionTicks * 2)
        let deadline = ContinuousClock.now + patience
        var leader = await runtime.status.leader
        while leader == nil || leader == runtime.id, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
            leader = await runtime.status.leader
        }
        guard let leader, leader != runtime.id, let name = nodeName(raftID: leader) else {
            throw CoreError.unavailable("no active node is known; the cluster may be electing a leader")
        }
        let outcome: Result<[UInt8], CoreError> = await withTaskGroup(of: Result<[UInt8], CoreError>?.self) { group in
            group.addTask {
                do {
                    let answer = try await transport.request(
                        to: name, ClusterMessage(kind: .forwardRequest, payload: request), timeout: .seconds(60))
                    return .success(answer.payload)
                } catch {
                    return .failure(.unavailable("the active node could not be reached: \(error)"))
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    if await runtime.status.leader != leader {
                        return .failure(.unavailable("the active node changed while the request was forwarded"))
                    }
                }
                return nil
            }
            var result: Result<[UInt8], CoreError> = .failure(.unavailable("request forwarding was cancelled"))
            for await next in group {
                if let next {
                    result = next
                    break
                }
            }
            group.cancelAll()
            return result
        }
        return try outcome.get()
    }

    private func serve(_ message: ClusterMessage, from peer: ClusterNodeID) async -> [UInt8] {
        switch message.kind {
        case .forwardRequest:
            guard let handler = forwardedRequestHandler, !DRIdentity.isSecondary(peer) else { return [] }
            return await handler(message.payload)
        case .control:
            if DRIdentity.isSecondary(peer) { return await serveReplication(message.payload, from: peer) }
            return await adoptKey(message.payload, from: peer)
        default:
            return []
        }
    }

    /// A hash of this node's replicated state (for convergence checks) and its applied index.
    public func stateDigest() async throws -> (hash: String, applied: LogIndex) {
        let applied = await runtime?.status.applied ?? 0
        return (try store.stateHash(), applied)
    }
}

/// The cluster CA as stored behind the barrier.
struct ClusterAuthorityRecord: Codable {
    static let storageKey = "core/cluster/tls-ca"

    var certificate: String
    var privateKey: String
    /// The CA before the last rotation, still trusted until the next one.
    var previousCertificate: String?

    enum CodingKeys: String, CodingKey {
        case certificate = "certificate_der"
        case privateKey = "private_key_der"
        case previousCertificate = "previous_certificate_der"
    }

    init(_ authority: ClusterCertificateAuthority) {
        certificate = Data(authority.certificateDER).base64EncodedString()
        privateKey = Data(authority.privateKeyDER).base64EncodedString()
    }

    func encoded() -> [UInt8] { (try? Array(JSONEncoder().encode(self))) ?? [] }

    func trustedRoots() -> [[UInt8]] {
        [certificate, previousCertificate].compactMap { $0.flatMap { Data(base64Encoded: $0) }.map(Array.init) }
    }

    static func decode(_ bytes: [UInt8]) throws -> ClusterAuthorityRecord {
        try JSONDecoder().decode(ClusterAuthorityRecord.self, from: Data(bytes))
    }

    func authority() throws -> ClusterCertificateAuthority {
        guard let certificate = Data(base64Encoded: certificate), let key = Data(base64Encoded: privateKey) else {
            throw CoreError.internal("the cluster certificate authority record is malformed")
        }
        return try ClusterCertificateAuthority(certificateDER: Array(certificate), privateKeyDER: Array(key))
    }
}
