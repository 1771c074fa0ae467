import Barrier
import Cluster
import Core
import Engines
import Foundation
import Raft
import Storage

/// DR replication, primary side: `sys/replication/dr/primary/*`, and answering secondaries on the cluster port.
///
/// A secondary authenticates with a client certificate from this cluster's replication CA (made by
/// `primary/enable`, kept behind the barrier, trusted by the cluster port next to the cluster CA). Only the
/// active node answers, only to a certificate named for a known, unrevoked secondary id, and never while
/// demoted. What it ships: committed entries from its own Raft log (the replicable keys only, see
/// `DRKeyspace`), or, when the secondary is below the retained log or the history was replaced by a
/// snapshot restore, a baseline image plus the root key (over mutual TLS, once per baseline).
extension RaftCluster {
    static let secondaryTokenDefaultTTL: Int64 = 30 * 60

    /// A replication record behind the barrier (JSON), or nil when there is none.
    func replicationRecord<Record: Decodable>(_ type: Record.Type, at key: String) async throws -> Record? {
        guard let barrier, let bytes = try await barrier.get(key) else { return nil }
        return try JSONDecoder().decode(Record.self, from: Data(bytes))
    }

    func saveReplicationRecord(_ record: some Encodable, at key: String) async throws {
        guard let barrier else { throw CoreError.sealed }
        try await barrier.put(key, Array(JSONEncoder().encode(record)))
    }

    func primaryRecord() async throws -> DRPrimaryRecord? {
        try await replicationRecord(DRPrimaryRecord.self, at: DRPrimaryRecord.storageKey)
    }

    func savePrimaryRecord(_ record: DRPrimaryRecord) async throws {
        try await saveReplicationRecord(record, at: DRPrimaryRecord.storageKey)
    }

    /// `primary/enable`: a replication CA; the cluster port starts trusting its certificates.
    func enablePrimary(core: CofferCore) async throws(CoreError) -> Response {
        try await requireActive(core)
        do {
            if try await secondaryRecord() != nil {
                throw CoreError.badRequest("this cluster is a DR secondary; promote it first")
            }
            if let existing = try await primaryRecord(), !existing.demoted {
                throw CoreError.badRequest("DR replication is already enabled as primary")
            }
            let epoch = (try await primaryRecord()?.epoch ?? 0) + 1
            try await savePrimaryRecord(DRPrimaryRecord(authority: try ClusterCertificateAuthority.generate(
                commonName: "Coffer DR replication CA"), epoch: epoch))
        } catch {
            throw drFault(error, doing: "enable DR primary")
        }
        await applyReplicationMode(core: core)
        logger.info("DR replication enabled as primary")
        return Response.data([:]).withWarnings(["This cluster is now a DR primary."])
    }

    /// `primary/secondary-token {id, ttl}`: a client certificate for secondary `id`, answered wrapped.
    func secondaryToken(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        try await requireActive(core)
        guard let id = request.data["id"]?.stringValue, !id.isEmpty, id.utf8.count <= 128 else {
            throw CoreError.badRequest("missing or invalid \"id\": a secondary id is required")
        }
        let ttl = try ttlSeconds(request.data["ttl"]) ?? Self.secondaryTokenDefaultTTL
        let activation: DRActivation
        do {
            guard var record = try await primaryRecord(), !record.demoted else {
                throw CoreError.badRequest("DR replication is not enabled as primary on this cluster")
            }
            guard record.secondaries[id] == nil || record.secondaries[id]?.revoked == true else {
                throw CoreError.badRequest("a secondary with id \"\(id)\" already exists; revoke it first")
            }
            guard let name = DRIdentity.nodeName(for: id), let barrier,
                let caBytes = try await barrier.get(ClusterAuthorityRecord.storageKey)
            else { throw DRError.malformedState }
            let credentials = try record.authority().issueCredentials(for: name)
            let clusterCA = try ClusterAuthorityRecord.decode(caBytes)
            let clusterID = (await core.sealStatus()).objectValue?["cluster_id"]?.stringValue ?? ""
            activation = DRActivation(
                secondaryID: id, primaryClusterID: clusterID,
                members: members().values.sorted { $0.name < $1.name }.map {
                    DRActivation.Member(name: $0.name, clusterAddress: $0.clusterAddress, apiAddress: $0.apiAddress)
                },
                trustedRoots: clusterCA.trustedRoots().map { Data($0).base64EncodedString() },
                certificate: Data(credentials.certificateDER).base64EncodedString(),
                privateKey: Data(credentials.privateKeyDER).base64EncodedString(), epoch: record.epoch)
            record.secondaries[id] = DRPrimaryRecord.Secondary(id: id)
            try await savePrimaryRecord(record)
        } catch {
            throw drFault(error, doing: "issue a secondary token")
        }
        guard let encoded = try? JSONEncoder().encode(activation), let value = try? JSONValue.parse(Array(encoded)),
            let data = value.objectValue
        else { throw CoreError.internal("could not encode the activation") }
        logger.info("DR secondary token issued", metadata: ["secondary": "\(id)"])
        return try await core.wrapForReplication(data, ttl: ttl, path: request.path)
    }

    /// `primary/revoke-secondary {id}`: that secondary's certificate is no longer served.
    func revokeSecondary(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        try await requireActive(core)
        guard let id = request.data["id"]?.stringValue, !id.isEmpty else {
            throw CoreError.badRequest("missing \"id\"")
        }
        do {
            guard var record = try await primaryRecord(), record.secondaries[id] != nil else {
                throw CoreError.badRequest("no secondary with id \"\(id)\"")
            }
            record.secondaries[id]?.revoked = true
            try await savePrimaryRecord(record)
        } catch {
            throw drFault(error, doing: "revoke a secondary")
        }
        return .noContent
    }

    /// `primary/demote`: this cluster stops accepting client requests (it can follow a new primary with
    /// `secondary/update-primary`).
    func demotePrimary(core: CofferCore) async throws(CoreError) -> Response {
        try await requireActive(core)
        do {
            guard var record = try await primaryRecord() else {
                throw CoreError.badRequest("DR replication is not enabled as primary on this cluster")
            }
            record.demoted = true
            try await savePrimaryRecord(record)
        } catch {
            throw drFault(error, doing: "demote")
        }
        await applyReplicationMode(core: core)
        logger.warning("DR primary demoted: client requests are refused from now on")
        return Response.data([:]).withWarnings(["This cluster is demoted: it refuses client requests."])
    }

    // MARK: - Serving secondaries

    /// Answers one DR request from `peer` (a DR identity, authenticated by the replication CA).
    func serveReplication(_ payload: [UInt8], from peer: ClusterNodeID) async -> [UInt8] {
        guard let request = try? DRRequest.decode(payload) else {
            return DRResponse.refused("malformed request").encoded()
        }
        do {
            return try await answer(request, from: peer).encoded()
        } catch let error as DRError {
            if case .refused(let reason) = error { return DRResponse.refused(reason).encoded() }
            return DRResponse.refused("\(error)").encoded()
        } catch {
            logger.warning("DR request failed", metadata: ["request": "\(request)", "error": "\(type(of: error))"])
            return DRResponse.refused("the primary could not answer").encoded()
        }
    }

    private func answer(_ request: DRRequest, from peer: ClusterNodeID) async throws -> DRResponse {
        guard let runtime, let core, activeSince != nil, await !core.isStandby else {
            throw DRError.refused("not the active node")
        }
        guard var record = try await primaryRecord() else { throw DRError.refused("not a DR primary") }
        let known = record.secondaries.values.first { !$0.revoked && DRIdentity.nodeName(for: $0.id) == peer }
        guard let secondary = known else { throw DRError.refused("unknown or revoked secondary") }
        if case .fence(let epoch) = request {
            if epoch > record.epoch {
                record.epoch = epoch
                record.demoted = true
                try await savePrimaryRecord(record)
                await applyReplicationMode(core: core)
                logger.warning("fenced by a promoted DR secondary of a newer generation; demoted",
                               metadata: ["epoch": "\(epoch)"])
            }
            return .ok
        }
        guard !record.demoted else { throw DRError.refused("the primary is demoted") }
        let applied = await runtime.status.applied
        switch request {
        case .fetch(let id, let after, _, let digest):
            guard id == secondary.id else { throw DRError.refused("id does not match the certificate") }
            dr.lastSeen[id] = (Date(), after)
            // After a cluster CA rotation the secondary learns the new roots over the connection it still has.
            if let barrier, let bytes = try await barrier.get(ClusterAuthorityRecord.storageKey) {
                let roots = try ClusterAuthorityRecord.decode(bytes).trustedRoots()
                if DRIdentity.digest(ofRoots: roots) != digest { return .trust(roots: roots) }
            }
            return try entries(after: after, applied: applied, epoch: record.epoch)
        case .baseline(let id, let transfer, let chunk):
            guard id == secondary.id else { throw DRError.refused("id does not match the certificate") }
            return try await baselineChunk(
                id: id, transfer: transfer, chunk: chunk, applied: applied, epoch: record.epoch)
        case .fence, .adoptKey:
            throw DRError.refused("unexpected request")
        }
    }

    /// Committed entries after `after`, at most 512 or about 4 MiB; `reseed` when `after + 1` is no longer in
    /// the log (compacted) or an entry replaced the whole state.
    private func entries(after: UInt64, applied: UInt64, epoch: UInt64) throws -> DRResponse {
        guard after < applied else { return .entries(commit: applied, epoch: epoch, batches: []) }
        let read = (try? store.log.entries(from: after + 1, through: min(applied, after + 512))) ?? []
        guard let first = read.first, first.index == after + 1 else { return .reseed(commit: applied) }
        var batches: [DRBatch] = []
        var size = 0
        for entry in read {
            var operations: [StorageOperation] = []
            if case .command(let bytes) = entry.payload, let decoded = try? StorageCommand.decode(bytes) {
                if DRKeyspace.replacesState(decoded) {
                    if batches.isEmpty { return .reseed(commit: applied) }
                    break
                }
                operations = DRKeyspace.replicable(decoded)
                size += bytes.count
            }
            batches.append(DRBatch(index: entry.index, operations: operations))
            if size > DRState.chunkSize { break }
        }
        return .entries(commit: applied, epoch: epoch, batches: batches)
    }

    /// Chunk `chunk` of a baseline. Chunk 0 takes the image: the store's replicable pairs at an applied index
    /// at or above `index` (entries after `index` are whole-value puts and deletes: applying them again on top
    /// gives the same state), and carries the root key.
    private func baselineChunk(
        id: String, transfer: UInt64, chunk: UInt32, applied: UInt64, epoch: UInt64
    ) async throws -> DRResponse {
        if chunk == 0 {
            let store = self.store
            let image = try await Self.offActor { try store.replicationImage() }
            dr.baselines[id] = DRState.Baseline(transfer: transfer, index: applied, image: image)
        }
        guard let baseline = dr.baselines[id], baseline.transfer == transfer else {
            throw DRError.refused("unknown baseline transfer")
        }
        let start = Int(chunk) * DRState.chunkSize
        guard start <= baseline.image.count else { throw DRError.refused("chunk out of range") }
        let end = min(baseline.image.count, start + DRState.chunkSize)
        let last = end == baseline.image.count
        if last { dr.baselines[id] = nil }
        var rootKey: [UInt8] = []
        if chunk == 0, let barrier { rootKey = try await barrier.rootKeyForReplication() }
        defer { for index in rootKey.indices { rootKey[index] = 0 } }
        logger.info("DR baseline chunk sent", metadata: ["secondary": "\(id)", "chunk": "\(chunk)", "last": "\(last)"])
        return .baselineChunk(
            index: baseline.index, epoch: epoch, chunk: chunk, last: last, rootKey: rootKey,
            data: Array(baseline.image[start..<end]))
    }

    // MARK: - Status

    func primaryStatus(_ record: DRPrimaryRecord, core: CofferCore) async -> [String: JSONValue] {
        let applied = await runtime?.status.applied ?? 0
        var secondaries: [JSONValue] = []
        for secondary in record.secondaries.values.sorted(by: { $0.id < $1.id }) where !secondary.revoked {
            let seen = dr.lastSeen[secondary.id]
            let connected = seen.map { Date().timeIntervalSince($0.time) < 5 } ?? false
            secondaries.append([
                "node_id": .string(secondary.id),
                "connection_status": .string(connected ? "connected" : "disconnected"),
                "last_heartbeat": .string(seen.map { Timestamp($0.time).rfc3339Nano } ?? ""),
                "last_applied_wal": .int(Int64(clamping: seen?.applied ?? 0)),
                "lag_entries": .int(Int64(clamping: applied - min(applied, seen?.applied ?? 0))),
            ])
        }
        return [
            "mode": .string(record.demoted ? "secondary" : "primary"),
            "state": .string(record.demoted ? "idle" : "running"),
            "demoted": .bool(record.demoted),
            "known_secondaries": .array(record.secondaries.values.filter { !$0.revoked }.map(\.id).sorted()
                .map { .string($0) }),
            "secondaries": .array(secondaries),
            "last_wal": .int(Int64(clamping: applied)),
            "last_dr_wal": .int(Int64(clamping: applied)),
            "primary_cluster_addr": "",
            "replication_epoch": .int(Int64(clamping: record.epoch)),
        ]
    }

    // MARK: - Helpers

    func ttlSeconds(_ value: JSONValue?) throws(CoreError) -> Int64? {
        guard let value else { return nil }
        switch GoDuration.parseSeconds(value) {
        case .success(let nanoseconds): return nanoseconds > 0 ? nanoseconds / 1_000_000_000 : nil
        case .failure(let error): throw CoreError.badRequest("invalid ttl: \(error.message)")
        }
    }

    func drFault(_ error: any Error, doing action: String) -> CoreError {
        if let error = error as? CoreError { return error }
        if let error = error as? DRError {
            if case .refused(let reason) = error { return .badRequest("the primary refused: \(reason)") }
            return .internal("could not \(action): \(error)")
        }
        logger.error("DR replication fault", metadata: ["action": "\(action)", "error": "\(type(of: error))"])
        return .internal("could not \(action)")
    }
}

extension NodeStore {
    /// The replicable pairs of the state machine (see `DRKeyspace`) in the layout of `image()`, from one
    /// read transaction.
    func replicationImage() throws -> [UInt8] {
        try environment.read { transaction in
            var writer = WireWriter(capacity: 1 << 16)
            writer.u8(1)
            try transaction.scan(data.database) { key, value in
                if !DRKeyspace.isLocal(key) {
                    writer.blob(key)
                    writer.blob(value)
                }
                return true
            }
            return writer.bytes
        }
    }
}

extension Response {
    func withWarnings(_ warnings: [String]) -> Response {
        var response = self
        if case .logical(var body) = response.body {
            body.warnings = warnings
            response.body = .logical(body)
        }
        return response
    }
}
