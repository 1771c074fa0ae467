import Barrier
import Core
import Crypto
import Foundation
import Raft
import Storage

/// Tickets between the snapshot endpoints and the HTTP layer, and the restore in progress. Owned by the
/// `RaftCluster` actor.
struct SnapshotState {
    var archives: [String: SnapshotArchiveFile] = [:]
    var uploads: [String: String] = [:]
    var restoring = false
    var spoolCleaned = false
    /// Automated snapshot runs by schedule name (active node only).
    var schedules: [String: SnapshotScheduleStatus] = [:]
    var scheduleRunning = false
    /// Schedules from the server config (`snapshot_schedule` stanzas); they win over stored ones.
    var configuredSchedules: [SnapshotSchedule] = []
    /// Told of every automated snapshot attempt: schedule name, whether it succeeded (metrics).
    var scheduleObserver: (@Sendable (String, Bool) -> Void)?
}

/// Why a snapshot operation failed, mapped to Vault's wire errors in `coreError`.
enum SnapshotError: Error {
    case archive(SnapshotArchiveError)
    case busy
    case replication(any Error)

    var coreError: CoreError {
        switch self {
        case .archive(let error):
            if case .io = error { return .internal("\(error)") }
            return .badRequest("\(error)")
        case .busy: return .badRequest("a snapshot restore is already in progress")
        case .replication(let error): return .internal("the snapshot could not be replicated: \(error)")
        }
    }
}

extension RaftCluster: SnapshotTransfers {
    /// Staged restore chunks: well under the cluster transport's 16 MiB frame limit.
    static let restoreChunkSize = 2 << 20

    // MARK: - SnapshotTransfers

    public func takeArchive(_ ticket: String) async -> SnapshotArchiveFile? {
        snapshotState.archives.removeValue(forKey: ticket)
    }

    public func uploadPath(_ ticket: String) async -> String? {
        snapshotState.uploads[ticket]
    }

    public func activeNodeAddress() async -> String? {
        let status = await leaderStatus(stateHash: false)
        return status.leaderAddress.isEmpty ? nil : status.leaderAddress
    }

    // MARK: - Endpoints

    /// `sys/storage/raft/snapshot`, `snapshot-force` and `state-digest`; nil for other paths.
    func handleSnapshot(_ request: Request, core: CofferCore, runtime: RaftRuntime) async throws(CoreError)
        -> Response?
    {
        switch (request.path, request.operation) {
        case ("sys/storage/raft/snapshot", .read):
            let (file, _) = try await saveArchive(runtime: runtime)
            let ticket = Self.newTicket()
            snapshotState.archives[ticket] = file
            return .data([SnapshotTicketField.archive: .string(ticket)])
        case ("sys/storage/raft/snapshot", .update), ("sys/storage/raft/snapshot", .create),
            ("sys/storage/raft/snapshot-force", .update), ("sys/storage/raft/snapshot-force", .create):
            guard let ticket = request.data[SnapshotTicketField.upload]?.stringValue else {
                let ticket = Self.newTicket()
                snapshotState.uploads[ticket] = try spoolPath("upload-" + ticket + ".snap")
                return .data([SnapshotTicketField.upload: .string(ticket)])
            }
            guard let path = snapshotState.uploads.removeValue(forKey: ticket) else {
                throw CoreError.badRequest("no snapshot was uploaded for this request")
            }
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                try await restore(path, force: request.path.hasSuffix("-force"), runtime: runtime)
            } catch {
                throw error.coreError
            }
            return .noContent
        case ("sys/storage/raft/snapshot", _), ("sys/storage/raft/snapshot-force", _):
            throw CoreError.methodNotAllowed
        case ("sys/storage/raft/state-digest", .read):
            do {
                return .data([
                    "content_hash": .string(try store.contentHash()),
                    "state_hash": .string(try store.stateHash()),
                    "applied_index": .int(Int64(clamping: await runtime.status.applied)),
                ])
            } catch {
                throw CoreError.internal("could not hash the state")
            }
        default:
            if request.path.hasPrefix("sys/storage/raft/snapshot-auto/") {
                return try await handleSchedule(request, runtime: runtime)
            }
            return nil
        }
    }

    static func newTicket() -> String {
        SnapshotArchive.hex((0..<16).map { _ in UInt8.random(in: 0...255) })
    }

    /// A path in the node's spool directory (created 0700; files left by an earlier run are removed once).
    func spoolPath(_ name: String) throws(CoreError) -> String {
        let directory = (store.environment.path as NSString).appendingPathComponent("snapshot-spool")
        do {
            if !snapshotState.spoolCleaned {
                try? FileManager.default.removeItem(atPath: directory)
                snapshotState.spoolCleaned = true
            }
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError.internal("could not create the snapshot spool directory")
        }
        return (directory as NSString).appendingPathComponent(name)
    }

    // MARK: - Save

    /// Writes an archive of the current state (one LMDB read transaction after a ReadIndex, so it holds every
    /// write acknowledged before the call) into the spool and returns it with its metadata.
    func saveArchive(runtime: RaftRuntime) async throws(CoreError) -> (SnapshotArchiveFile, SnapshotArchiveMetadata) {
        let name = Self.newTicket()
        let archive = try spoolPath("snapshot-" + name + ".snap")
        let metadata: SnapshotArchiveMetadata
        do {
            metadata = try await writeArchive(to: archive, runtime: runtime)
        } catch {
            try? FileManager.default.removeItem(atPath: archive)
            throw CoreError.internal("could not take the snapshot: \(error)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: archive)[.size] as? UInt64) ?? 0
        return (SnapshotArchiveFile(path: archive, size: size ?? 0), metadata)
    }

    /// Writes a complete archive at `path` (must not exist; 0600; fsync'd).
    func writeArchive(to path: String, runtime: RaftRuntime) async throws -> SnapshotArchiveMetadata {
        guard let barrier else { throw CoreError.sealed }
        try await runtime.confirmLeadership()
        let status = await runtime.status
        let stateFile = try spoolPath("state-" + Self.newTicket() + ".bin")
        defer { try? FileManager.default.removeItem(atPath: stateFile) }
        let store = self.store
        let summary = try await Self.offActor { try store.writeState(to: stateFile) }
        let created = Date()
        let metadata = SnapshotArchiveMetadata(
            id: "\(status.term)-\(status.applied)-\(Int64(created.timeIntervalSince1970 * 1000))",
            index: status.applied, term: status.term, size: summary.size, version: 1,
            format: SnapshotArchiveMetadata.stateFormat, records: summary.records, contentHash: summary.contentHash,
            createdAt: Timestamp(created).rfc3339Nano)
        let meta = try SnapshotArchive.encodeMeta(metadata)
        let sums = SnapshotArchive.sums(meta: meta, stateDigest: summary.sha256)
        let sealed = try await barrier.snapshotSeal(sums)
        try await Self.offActor {
            try SnapshotArchive.write(
                to: path, meta: meta, stateFile: stateFile, stateSize: summary.size, sums: sums, sealed: sealed)
        }
        logger.info(
            "snapshot taken",
            metadata: ["index": "\(metadata.index)", "records": "\(metadata.records)", "bytes": "\(summary.size)"])
        return metadata
    }

    // MARK: - Restore

    /// Verifies the archive at `path`, then replaces the cluster's state with it through the Raft log (see
    /// `NodeStore`'s restore notes). Refuses an archive sealed under another root key unless `force`.
    func restore(_ path: String, force: Bool, runtime: RaftRuntime) async throws(SnapshotError) {
        guard !snapshotState.restoring else { throw .busy }
        snapshotState.restoring = true
        defer { snapshotState.restoring = false }
        guard let barrier else { throw .replication(CoreError.sealed) }
        let verified: SnapshotArchive.Verified
        do {
            verified = try await Self.offActor { try SnapshotArchive.verify(path) }
        } catch let error as SnapshotArchiveError {
            throw .archive(error)
        } catch {
            throw .archive(.io("\(error)"))
        }
        let sameCluster: Bool
        do {
            sameCluster = verified.isSealed(by: try await barrier.snapshotSeal(verified.sums))
        } catch {
            throw .replication(error)
        }
        guard sameCluster || force else { throw .archive(.otherCluster) }
        let id = Self.newTicket()
        var chunks = 0
        var digest = SHA256()
        do {
            let reader = try SnapshotArchiveReader(path: path)
            var pending: [UInt8] = []
            var finished = false
            while !finished {
                if let chunk = try reader.nextStateChunk() {
                    pending.append(contentsOf: chunk)
                    if pending.count < Self.restoreChunkSize { continue }
                } else {
                    finished = true
                    if pending.isEmpty { break }
                }
                digest.update(data: pending)
                try await runtime.write([.put(key: NodeStore.stagingKey(id, chunks), value: pending)])
                chunks += 1
                pending = []
            }
            // The file was read again: it must still be the archive verified above.
            guard try reader.finish().sums == verified.sums else {
                throw SnapshotArchiveError.corrupt("the archive changed while it was installed")
            }
            let commit = NodeStore.restoreCommit(
                id: id, chunks: chunks, sha256: SnapshotArchive.hex(digest.finalize()))
            try await runtime.write([.put(key: NodeStore.restoreCommitKey, value: commit)])
        } catch let error as SnapshotArchiveError {
            try? await runtime.write([.put(key: NodeStore.restoreCommitKey, value: [0])])  // drops the staging
            throw .archive(error)
        } catch {
            try? await runtime.write([.put(key: NodeStore.restoreCommitKey, value: [0])])
            throw .replication(error)
        }
        logger.info(
            "snapshot restored",
            metadata: [
                "index": "\(verified.metadata.index)", "records": "\(verified.metadata.records)",
                "other_cluster": "\(!sameCluster)",
            ])
        await restoreApplied()
    }

    /// A restore committed (here or, through the log, on the leader): reload what the core keeps in memory.
    /// The keyring is re-read; if it no longer opens under this node's root key (a forced restore of another
    /// cluster's archive) the node seals, to be unsealed with that cluster's keys. The active node steps down
    /// and up, rebuilding mounts, policies and tokens from the restored state.
    func restoreApplied() async {
        await runtime?.requestCompaction()
        guard let core, let barrier else { return }
        do {
            try await barrier.reloadKeyring()
        } catch {
            if appliedPrimaryIndex() != nil {
                // A DR baseline installed the primary's keyring: the active node hands its root key over (adoptKey).
                logger.info("DR baseline installed; waiting for the primary's root key from the active node")
                return
            }
            logger.error("the restored keyring does not open under this node's root key; sealing")
            Task { await core.seal() }
            return
        }
        guard activeSince != nil else { return }
        await core.stepDown()
        do {
            try await core.stepUp()
            logger.info("active node reloaded after a snapshot restore")
        } catch {
            logger.error("could not reload after a snapshot restore; handing leadership on")
            activeSince = nil
            await stepDown()
        }
    }

    /// Runs blocking file and LMDB work off the actor (and off the cooperative pool).
    static func offActor<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
