import Barrier
import Cluster
import Core
import Crypto
import Foundation
import Logging
import Raft
import Storage

/// DR replication, secondary side: `sys/replication/dr/secondary/*`, the pull loop, promotion, and the
/// status endpoints of both sides.
///
/// Keys (Vault's model): the secondary ends up with the primary's seal configuration, root-key record and
/// keyring, replicated as stored. Its active node receives the primary's root key with the first chunk of each
/// baseline (over mutual TLS only), adopts it in memory, hands it to its own standbys over its own cluster
/// port, and re-seals its local records (cluster CA, replication state) under the new keyring in the same
/// Raft batch that installs the baseline. From then on its nodes unseal with the PRIMARY's shares, and the
/// DR operation token is generated from those shares too.
///
/// Applying: every pull proposes the shipped operations and the new last applied primary index in ONE batch to
/// the secondary's own Raft, so all its nodes hold them and a restart resumes from the next index.
extension RaftCluster {
    func secondaryRecord() async throws -> DRSecondaryRecord? {
        try await replicationRecord(DRSecondaryRecord.self, at: DRSecondaryRecord.storageKey)
    }

    func saveSecondaryRecord(_ record: DRSecondaryRecord) async throws {
        try await saveReplicationRecord(record, at: DRSecondaryRecord.storageKey)
    }

    /// The primary index whose entries this cluster has applied (nil before the first baseline).
    func appliedPrimaryIndex() -> UInt64? { storedIndex(DRState.appliedIndexKey) }

    func storedCounter(_ key: String) -> UInt64 { storedIndex(key) ?? 0 }

    /// A big-endian u64 stored in clear under `raft/dr/` (indexes and counters, no secret).
    private func storedIndex(_ key: String) -> UInt64? {
        guard let bytes = try? store.visibleValue(key), bytes.count == 8
        else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func encodeIndex(_ index: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: index >> (56 - 8 * $0)) }
    }

    // MARK: - Endpoints

    public func handleReplication(_ request: Request, core: CofferCore) async throws(CoreError) -> Response? {
        switch request.path {
        case "sys/replication/dr/status", "sys/replication/status":
            guard request.operation == .read else { throw CoreError.methodNotAllowed }
            try await requireActive(core)
            let status = await drStatus(core: core)
            if request.path == "sys/replication/status" {
                return .data(["dr": .object(status), "performance": ["mode": "disabled"]])
            }
            return .data(status)
        case "sys/replication/dr/secondary/promote":
            try requireWrite(request)
            try await requireActive(core)
            return try await promote(request, core: core)
        case "sys/replication/dr/secondary/update-primary":
            try requireWrite(request)
            try await requireActive(core)
            guard await consumeOperationToken(request, core: core) else {
                throw CoreError.badRequest("dr_operation_token is missing, invalid or expired")
            }
            return try await activateSecondary(request, core: core)
        default:
            return nil
        }
    }

    public func handleReplicationAuthenticated(_ request: Request, core: CofferCore) async throws(CoreError)
        -> Response?
    {
        switch request.path {
        case "sys/replication/dr/primary/enable":
            try requireWrite(request)
            return try await enablePrimary(core: core)
        case "sys/replication/dr/primary/secondary-token":
            try requireWrite(request)
            return try await secondaryToken(request, core: core)
        case "sys/replication/dr/primary/revoke-secondary":
            try requireWrite(request)
            return try await revokeSecondary(request, core: core)
        case "sys/replication/dr/primary/demote":
            try requireWrite(request)
            return try await demotePrimary(core: core)
        case "sys/replication/dr/secondary/enable":
            try requireWrite(request)
            try await requireActive(core)
            do {
                if let primary = try await primaryRecord(), !primary.demoted {
                    throw CoreError.badRequest("this cluster is a DR primary; demote it first")
                }
            } catch {
                throw drFault(error, doing: "enable DR secondary")
            }
            return try await activateSecondary(request, core: core)
        default:
            return nil
        }
    }

    private func requireWrite(_ request: Request) throws(CoreError) {
        guard request.operation == .update || request.operation == .create else { throw CoreError.methodNotAllowed }
    }

    private func consumeOperationToken(_ request: Request, core: CofferCore) async -> Bool {
        guard let token = request.data["dr_operation_token"]?.stringValue, !token.isEmpty else { return false }
        return await core.consumeDROperationToken(token)
    }

    /// `secondary/enable` and `secondary/update-primary`: unwraps the activation token at the primary's API,
    /// stores it, and starts pulling from a new baseline. This cluster's data is replaced by the primary's.
    private func activateSecondary(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        guard let token = request.data["token"]?.stringValue, !token.isEmpty else {
            throw CoreError.badRequest("missing \"token\": the activation token from the primary")
        }
        guard let address = request.data["primary_api_addr"]?.stringValue, !address.isEmpty else {
            throw CoreError.badRequest("missing \"primary_api_addr\": where to unwrap the activation token")
        }
        let activation: DRActivation
        do {
            let data = try await post(address, path: "sys/wrapping/unwrap", body: .object([:]), token: token)
            activation = try JSONDecoder().decode(DRActivation.self, from: Data(JSONValue.object(data).serialized()))
            _ = try activation.credentials()
        } catch let error as CoreError {
            let reason = error.wire.messages.joined(separator: "; ")
            throw CoreError.badRequest("could not unwrap the activation token at the primary: \(reason)")
        } catch {
            throw CoreError.badRequest("the activation token does not hold a DR activation")
        }
        do {
            await stopPulling()
            try await saveSecondaryRecord(DRSecondaryRecord(activation: activation, needsBaseline: true))
            if let barrier { try await barrier.delete(DRPrimaryRecord.storageKey) }
        } catch {
            throw drFault(error, doing: "store the DR secondary state")
        }
        await applyReplicationMode(core: core)
        logger.info("DR secondary enabled", metadata: ["secondary": "\(activation.secondaryID)"])
        return Response.data([:]).withWarnings([
            "This cluster is now a DR secondary: its data is being replaced by the primary's, and its nodes unseal "
                + "with the primary's unseal keys from now on.",
        ])
    }

    /// `secondary/promote {dr_operation_token}`: stop pulling and serve as a primary of the next generation.
    private func promote(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        let record: DRSecondaryRecord
        do {
            guard let current = try await secondaryRecord() else {
                throw CoreError.badRequest("this cluster is not a DR secondary")
            }
            record = current
        } catch {
            throw drFault(error, doing: "promote")
        }
        guard await consumeOperationToken(request, core: core) else {
            throw CoreError.badRequest("dr_operation_token is missing, invalid or expired")
        }
        guard appliedPrimaryIndex() != nil, !record.needsBaseline else {
            throw CoreError.badRequest("this secondary has not received a baseline from its primary yet")
        }
        await stopPulling()
        let epoch = record.activation.epoch + 1
        do {
            var primary = DRPrimaryRecord(
                authority: try ClusterCertificateAuthority.generate(commonName: "Coffer DR replication CA"),
                epoch: epoch)
            primary.formerPrimary = record.activation
            try await savePrimaryRecord(primary)
            if let barrier { try await barrier.delete(DRSecondaryRecord.storageKey) }
            try await core.reloadActive()
        } catch {
            throw drFault(error, doing: "promote")
        }
        await applyReplicationMode(core: core)
        pushKeyToStandbys()
        logger.warning("DR secondary promoted to primary", metadata: ["epoch": "\(epoch)"])
        return Response.data(["replication_epoch": .int(Int64(clamping: epoch))])
    }

    // MARK: - Mode

    /// Reads the replication records and sets the core's mode; starts or stops the pull and fence loops. Called
    /// when this node becomes active and after every mode change.
    func applyReplicationMode(core: CofferCore) async {
        guard activeSince != nil else { return }
        let secondary = try? await secondaryRecord()
        let primary = try? await primaryRecord()
        if secondary != nil {
            await core.setReplicationMode(dr: "secondary", refusing: true)
            startPulling()
        } else if let primary {
            await core.setReplicationMode(dr: primary.demoted ? "secondary" : "primary", refusing: primary.demoted)
            await stopPulling()
            if !primary.demoted, primary.formerPrimary != nil { startFencing() }
            await refreshCredentials()
        } else {
            await core.setReplicationMode(dr: "disabled", refusing: false)
            await stopPulling()
        }
    }

    func stopPulling() async {
        dr.pullTask?.cancel()
        dr.pullTask = nil
        dr.fenceTask?.cancel()
        dr.fenceTask = nil
        if let client = dr.client { await client.shutdown() }
        dr.client = nil
        dr.clientActivation = nil
        dr.state = "idle"
    }

    private func startPulling() {
        guard dr.pullTask == nil else { return }
        dr.state = "connecting"
        dr.pullTask = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let pause = await self.pullOnce()
                if pause > .zero { try? await Task.sleep(for: pause) }
            }
        }
    }

    /// One step of the pull loop; returns how long to wait before the next.
    private func pullOnce() async -> Duration {
        guard activeSince != nil, let core else { return .milliseconds(500) }
        do {
            guard var record = try await secondaryRecord() else { return .milliseconds(500) }
            guard let after = appliedPrimaryIndex(), !record.needsBaseline else {
                dr.state = "bootstrapping"
                try await takeBaseline(record, core: core)
                return .zero
            }
            let roots = record.activation.trustedRoots.compactMap { Data(base64Encoded: $0).map(Array.init) }
            let fetch = DRRequest.fetch(
                secondaryID: record.activation.secondaryID, after: after, epoch: record.activation.epoch,
                rootsDigest: DRIdentity.digest(ofRoots: roots))
            switch try await ask(fetch, activation: record.activation) {
            case .entries(let commit, _, let batches):
                dr.primaryCommit = commit
                dr.state = "stream-wals"
                var applied = after
                if let last = batches.last {
                    try await apply(batches, through: last.index, core: core)
                    applied = last.index
                }
                if applied >= commit { dr.lastCaughtUp = Date() }
                return batches.isEmpty ? .milliseconds(50) : .zero
            case .reseed(let commit):
                dr.primaryCommit = commit
                logger.warning("DR secondary is behind the primary's retained log; taking a new baseline")
                record.needsBaseline = true
                try await saveSecondaryRecord(record)
                return .zero
            case .trust(let roots):
                record.activation.trustedRoots = roots.map { Data($0).base64EncodedString() }
                _ = try record.activation.credentials()
                try await saveSecondaryRecord(record)
                logger.info("DR primary's cluster CA changed; trusting its new certificates")
                return .zero
            case .refused(let reason):
                dr.connection = "refused"
                logger.warning("DR primary refused", metadata: ["reason": "\(reason)"])
                return .seconds(1)
            default:
                throw DRError.unexpectedAnswer
            }
        } catch {
            if dr.connection != "transient_failure" {
                logger.warning("DR pull failed", metadata: ["error": "\(error)"])
            }
            dr.connection = "transient_failure"
            return .milliseconds(500)
        }
    }

    /// Sends `request` to the primary's active node, trying each member from the one that answered last.
    private func ask(_ request: DRRequest, activation: DRActivation) async throws -> DRResponse {
        let client = try await replicationClient(activation)
        let members = activation.members
        guard !members.isEmpty else { throw DRError.malformedState }
        var lastError: any Error = DRError.refused("no primary member answered")
        for offset in 0..<members.count {
            let position = (dr.preferredMember + offset) % members.count
            let member = members[position]
            guard let name = ClusterNodeID(member.name), let address = ClusterMember.parse(member.clusterAddress)
            else { continue }
            await client.updatePeer(name, address: address)
            do {
                let answer = try await client.request(
                    to: name, ClusterMessage(kind: .control, payload: request.encoded()), timeout: .seconds(10))
                let response = try DRResponse.decode(answer.payload)
                if case .refused(let reason) = response, reason == "not the active node" {
                    lastError = DRError.refused(reason)
                    continue
                }
                dr.preferredMember = position
                dr.connection = "ready"
                dr.lastHeartbeat = Date()
                return response
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func replicationClient(_ activation: DRActivation) async throws -> TLSClusterTransport {
        if let client = dr.client, dr.clientActivation == activation { return client }
        if let client = dr.client { await client.shutdown() }
        let client = try await TLSClusterTransport.start(
            credentials: try activation.credentials(),
            configuration: TLSClusterTransportConfiguration(host: settings.listenHost, port: 0),
            eventLoopGroup: RaftCluster.transportGroup,
            logger: Logger(label: "coffer.dr.client"))
        dr.client = client
        dr.clientActivation = activation
        return client
    }

    /// Applies shipped entries and the new applied primary index as one batch of this cluster's Raft.
    private func apply(_ batches: [DRBatch], through index: UInt64, core: CofferCore) async throws {
        var operations: [StorageOperation] = []
        var keysTouched = false
        for operation in batches.flatMap(\.operations) where !DRKeyspace.isLocal(operation.key) {
            operations.append(operation)
            if operation.key == Barrier.keyringPath || operation.key == SealConfig.storageKey { keysTouched = true }
        }
        operations.append(.put(key: DRState.appliedIndexKey, value: Self.encodeIndex(index)))
        try await storage.batch(operations)
        if keysTouched, let barrier {
            try await barrier.reloadKeyring()
            try await core.reloadSealConfig()
        }
    }

    /// Fetches a baseline and installs it atomically (see the type's comment on keys).
    private func takeBaseline(_ record: DRSecondaryRecord, core: CofferCore) async throws {
        let transfer = UInt64.random(in: 1...UInt64.max)
        var image: [UInt8] = []
        var rootKey: [UInt8] = []
        defer { for index in rootKey.indices { rootKey[index] = 0 } }
        var index: UInt64 = 0
        var chunk: UInt32 = 0
        while true {
            let answer = try await ask(
                .baseline(secondaryID: record.activation.secondaryID, transfer: transfer, chunk: chunk),
                activation: record.activation)
            guard case .baselineChunk(let at, _, let number, let last, let key, let data) = answer, number == chunk
            else {
                if case .refused(let reason) = answer { throw DRError.refused(reason) }
                throw DRError.unexpectedAnswer
            }
            if chunk == 0 {
                index = at
                rootKey = key
            }
            image.append(contentsOf: data)
            guard image.count <= DRState.maximumBaseline else { throw DRError.baselineTooLarge(image.count) }
            if last { break }
            chunk += 1
        }
        // Stage the image through this cluster's Raft in 2 MiB entries (the snapshot-restore staging keys),
        // then one entry commits it: every node swaps its state inside one apply transaction, and the same
        // entry puts back this cluster's own records, re-sealed for the keyring being installed.
        var reader = WireReader(image)
        guard try reader.u8() == 1 else { throw DRError.unexpectedAnswer }
        let staging = SnapshotArchive.hex((0..<8).map { _ in UInt8.random(in: 0...255) })
        var pieces: [[UInt8]] = []
        var pending: [UInt8] = []
        var keyring: [UInt8]?
        while !reader.isAtEnd {
            let key = try reader.blob()
            let value = try reader.blob()
            guard !DRKeyspace.isLocal(key) else { continue }
            if key == Array(Barrier.keyringPath.utf8) { keyring = value }
            RecordScanner.encode(key: key, value: value, into: &pending)
            if pending.count >= 2 << 20 {
                pieces.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty || pieces.isEmpty { pieces.append(pending) }
        image = []
        var hasher = SHA256()
        for (sequence, piece) in pieces.enumerated() {
            hasher.update(data: piece)
            try await storage.batch([.put(key: NodeStore.stagingKey(staging, sequence), value: piece)])
        }
        let chunks = pieces.count
        pieces = []
        guard let keyring else { throw DRError.unexpectedAnswer }
        var operations: [StorageOperation] = [
            .put(key: NodeStore.restoreCommitKey, value: NodeStore.restoreCommit(
                id: staging, chunks: chunks, sha256: SnapshotArchive.hex(hasher.finalize()))),
        ]
        // This cluster's own records, re-sealed for the keyring being installed.
        let existing = try store.environment.read { try $0.keys(in: store.data.database) }
        var local: [(path: String, value: [UInt8])] = []
        if let barrier {
            for key in existing where DRKeyspace.isLocal(key) && key.starts(with: Array("core/".utf8)) {
                let path = String(decoding: key, as: UTF8.self)
                if let value = try? await barrier.get(path) { local.append((path, value)) }
            }
        }
        defer { for item in local.indices { for byte in local[item].value.indices { local[item].value[byte] = 0 } } }
        for (path, value) in try Barrier.seal(local, keyringRecord: keyring, rootKey: rootKey) {
            operations.append(.put(key: path, value: value))
        }
        operations.append(.put(key: DRState.appliedIndexKey, value: Self.encodeIndex(index)))
        let installed = storedCounter(DRState.baselineCountKey) + 1
        operations.append(.put(key: DRState.baselineCountKey, value: Self.encodeIndex(installed)))
        try await storage.batch(operations)
        try await core.adoptReplicatedKeys(rootKey: rootKey)
        var updated = record
        updated.needsBaseline = false
        try await saveSecondaryRecord(updated)
        dr.primaryCommit = max(dr.primaryCommit, index)
        logger.info("DR baseline installed", metadata: ["index": "\(index)", "chunks": "\(chunks)"])
        pushKeyToStandbys()
    }

    /// Hands the adopted root key to every other member of this cluster over its own cluster port, retrying
    /// while a standby has not yet applied the replicated keyring.
    func pushKeyToStandbys() {
        guard let transport, let barrier else { return }
        let others = members().values.compactMap(\.nodeName).filter { $0 != settings.name }
        let logger = self.logger
        Task {
            for name in others {
                for _ in 0..<40 {
                    guard var key = try? await barrier.rootKeyForReplication() else { return }
                    let payload = DRRequest.adoptKey(rootKey: key).encoded()
                    for index in key.indices { key[index] = 0 }
                    if let answer = try? await transport.request(
                        to: name, ClusterMessage(kind: .control, payload: payload), timeout: .seconds(5)),
                        (try? DRResponse.decode(answer.payload)) == .ok
                    {
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            logger.info("replicated root key handed to standbys", metadata: ["count": "\(others.count)"])
        }
    }

    /// A standby receives the adopted root key from its active node (a member of this cluster, never a DR peer).
    func adoptKey(_ payload: [UInt8], from peer: ClusterNodeID) async -> [UInt8] {
        guard members()[peer.rawValue] != nil, let core,
            case .adoptKey(var key)? = try? DRRequest.decode(payload)
        else { return DRResponse.refused("not accepted").encoded() }
        defer { for index in key.indices { key[index] = 0 } }
        do {
            try await core.adoptReplicatedKeys(rootKey: key)
            return DRResponse.ok.encoded()
        } catch {
            return DRResponse.refused("the replicated keyring does not open yet").encoded()
        }
    }

    // MARK: - Fencing

    /// A promoted cluster tells its former primary, whenever it can reach it, that a newer generation began;
    /// the former primary demotes itself on hearing it (see `answer(_:from:)`).
    ///
    /// What is fenced: a demoted primary (by `primary/demote` or by this message) refuses every client request,
    /// persistently, across restarts; the promoted cluster's active node retries every 2 s, with the certificate
    /// the former primary issued it, until that primary's active node answers. What is not: a former primary
    /// that is unsealed again while the promoted cluster cannot reach it (a partition, or the promoted cluster
    /// down) accepts writes until it hears of the new epoch; those writes, like any made in the seconds before
    /// the fence lands, are dropped when it follows the new primary (`update-primary` takes a new baseline).
    /// Clients must be moved to the new primary (DNS, load balancer), as with Vault.
    private func startFencing() {
        guard dr.fenceTask == nil else { return }
        dr.fenceTask = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                if await self.fenceOnce() { return }
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    private func fenceOnce() async -> Bool {
        guard let record = try? await primaryRecord(), let former = record.formerPrimary, !record.demoted else {
            return true
        }
        guard let answer = try? await ask(.fence(epoch: record.epoch), activation: former) else { return false }
        guard answer == .ok else { return false }
        logger.info("former DR primary fenced", metadata: ["epoch": "\(record.epoch)"])
        var updated = record
        updated.formerPrimary = nil
        try? await savePrimaryRecord(updated)
        return true
    }

    // MARK: - Status

    func drStatus(core: CofferCore) async -> [String: JSONValue] {
        let clusterID = (await core.sealStatus()).objectValue?["cluster_id"] ?? ""
        var body: [String: JSONValue]
        if let record = try? await secondaryRecord() {
            let applied = appliedPrimaryIndex() ?? 0
            let lagEntries = dr.primaryCommit > applied ? dr.primaryCommit - applied : 0
            let lagSeconds = lagEntries == 0 ? 0 : dr.lastCaughtUp.map { Date().timeIntervalSince($0) } ?? -1
            let members = record.activation.members
            body = [
                "mode": "secondary",
                "state": .string(dr.state),
                "secondary_id": .string(record.activation.secondaryID),
                "connection_state": .string(dr.connection),
                "known_primary_cluster_addrs": .array(members.map { .string($0.clusterAddress) }),
                "primary_cluster_addr": .string(
                    members.isEmpty ? "" : members[dr.preferredMember % members.count].clusterAddress),
                "primaries": .array(members.map { member in
                    [
                        "api_address": .string(member.apiAddress),
                        "cluster_address": .string(member.clusterAddress),
                        "connection_status": .string(dr.connection == "ready" ? "connected" : "disconnected"),
                        "last_heartbeat": .string(dr.lastHeartbeat.map { Timestamp($0).rfc3339Nano } ?? ""),
                    ]
                }),
                "last_remote_wal": .int(Int64(clamping: applied)),
                "last_primary_wal": .int(Int64(clamping: dr.primaryCommit)),
                "lag_entries": .int(Int64(clamping: lagEntries)),
                "lag_seconds": .double(lagSeconds),
                "replication_epoch": .int(Int64(clamping: record.activation.epoch)),
                "baselines": .int(Int64(clamping: storedCounter(DRState.baselineCountKey))),
            ]
        } else if let record = try? await primaryRecord() {
            body = await primaryStatus(record, core: core)
        } else {
            body = ["mode": "disabled"]
        }
        body["cluster_id"] = clusterID
        return body
    }
}
