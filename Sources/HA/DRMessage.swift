import Cluster
import Crypto
import Storage

/// The DR replication protocol on the cluster port (`ClusterMessage.Kind.control` payloads), between a DR
/// secondary's active node, which asks, and the primary's active node, which answers; plus the one message a
/// secondary's active node sends its own standbys (`adoptKey`).
///
/// The secondary pulls: `fetch` the committed entries after the primary index it has applied, or a
/// `baseline` image in chunks. Decoding treats input as hostile: malformed bytes give a `WireDecodingError`,
/// never a crash. Payloads are ciphertext except `adoptKey` and the `rootKey` of a baseline's first chunk,
/// which travel only over mutual TLS; `description` never prints them.
enum DRRequest: Equatable, Sendable {
    /// Committed entries after primary index `after`; `epoch` is the replication generation the secondary knows,
    /// `rootsDigest` the SHA-256 of the primary cluster CA certificates it trusts (see `DRResponse.trust`).
    case fetch(secondaryID: String, after: UInt64, epoch: UInt64, rootsDigest: [UInt8])
    /// Chunk `chunk` of a baseline image; chunk 0 takes a new image (and names a new `transfer`).
    case baseline(secondaryID: String, transfer: UInt64, chunk: UInt32)
    /// A promoted cluster tells its former primary that generation `epoch` has begun: it must stop accepting writes.
    case fence(epoch: UInt64)
    /// Within one cluster: the active node hands a standby the root key it adopted from the primary.
    case adoptKey(rootKey: [UInt8])

    static let format: UInt8 = 1

    func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        writer.u8(Self.format)
        switch self {
        case .fetch(let id, let after, let epoch, let digest):
            writer.u8(1)
            writer.string(id)
            writer.u64(after)
            writer.u64(epoch)
            writer.blob(digest)
        case .baseline(let id, let transfer, let chunk):
            writer.u8(2)
            writer.string(id)
            writer.u64(transfer)
            writer.u32(chunk)
        case .fence(let epoch):
            writer.u8(3)
            writer.u64(epoch)
        case .adoptKey(let key):
            writer.u8(4)
            writer.blob(key)
        }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> DRRequest {
        var reader = WireReader(bytes)
        guard try reader.u8() == format else { throw WireDecodingError(reason: "unknown DR message format") }
        let request: DRRequest
        switch try reader.u8() {
        case 1:
            request = .fetch(
                secondaryID: try reader.string(), after: try reader.u64(), epoch: try reader.u64(),
                rootsDigest: try reader.blob())
        case 2:
            request = .baseline(secondaryID: try reader.string(), transfer: try reader.u64(), chunk: try reader.u32())
        case 3: request = .fence(epoch: try reader.u64())
        case 4: request = .adoptKey(rootKey: try reader.blob())
        default: throw WireDecodingError(reason: "unknown DR request")
        }
        try reader.finish()
        return request
    }
}

/// One shipped primary log entry: its index and the replicable part of its write batches.
struct DRBatch: Equatable, Sendable {
    var index: UInt64
    var operations: [StorageOperation]
}

/// The primary's answers to `DRRequest`s.
enum DRResponse: Equatable, Sendable {
    /// Entries after the requested index, up to the primary's applied index `commit` (may be empty).
    case entries(commit: UInt64, epoch: UInt64, batches: [DRBatch])
    /// The requested index is below the primary's retained log (or its history was replaced by a
    /// snapshot restore): the secondary must take a new baseline.
    case reseed(commit: UInt64)
    /// A chunk of the baseline image taken at primary index `index`. Chunk 0 carries the root key.
    case baselineChunk(index: UInt64, epoch: UInt64, chunk: UInt32, last: Bool, rootKey: [UInt8], data: [UInt8])
    /// Refused, with a reason safe to log (not the active node, unknown or revoked secondary, demoted...).
    case refused(String)
    case ok
    /// The primary's cluster CA certificates (DER) changed (a CA rotation): trust these, then fetch again.
    case trust(roots: [[UInt8]])

    static let format: UInt8 = 1

    func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 256)
        writer.u8(Self.format)
        switch self {
        case .entries(let commit, let epoch, let batches):
            writer.u8(1)
            writer.u64(commit)
            writer.u64(epoch)
            writer.u32(UInt32(batches.count))
            for batch in batches {
                writer.u64(batch.index)
                writer.blob(StorageCommand.encode([batch.operations]))
            }
        case .reseed(let commit):
            writer.u8(2)
            writer.u64(commit)
        case .baselineChunk(let index, let epoch, let chunk, let last, let rootKey, let data):
            writer.u8(3)
            writer.u64(index)
            writer.u64(epoch)
            writer.u32(chunk)
            writer.bool(last)
            writer.blob(rootKey)
            writer.blob(data)
        case .refused(let reason):
            writer.u8(4)
            writer.string(reason)
        case .ok:
            writer.u8(5)
        case .trust(let roots):
            writer.u8(6)
            writer.u32(UInt32(roots.count))
            for root in roots { writer.blob(root) }
        }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> DRResponse {
        var reader = WireReader(bytes)
        guard try reader.u8() == format else { throw WireDecodingError(reason: "unknown DR message format") }
        let response: DRResponse
        switch try reader.u8() {
        case 1:
            let commit = try reader.u64()
            let epoch = try reader.u64()
            var batches: [DRBatch] = []
            for _ in 0..<(try reader.count(minimumSize: 12)) {
                let index = try reader.u64()
                let operations = try StorageCommand.decode(try reader.blob()).flatMap { $0 }
                batches.append(DRBatch(index: index, operations: operations))
            }
            response = .entries(commit: commit, epoch: epoch, batches: batches)
        case 2: response = .reseed(commit: try reader.u64())
        case 3:
            response = .baselineChunk(
                index: try reader.u64(), epoch: try reader.u64(), chunk: try reader.u32(), last: try reader.bool(),
                rootKey: try reader.blob(), data: try reader.blob())
        case 4: response = .refused(try reader.string())
        case 5: response = .ok
        case 6:
            var roots: [[UInt8]] = []
            for _ in 0..<(try reader.count(minimumSize: 4)) { roots.append(try reader.blob()) }
            response = .trust(roots: roots)
        default: throw WireDecodingError(reason: "unknown DR response")
        }
        try reader.finish()
        return response
    }
}

extension DRRequest: CustomStringConvertible {
    /// The message type only: never a key.
    var description: String {
        switch self {
        case .fetch: "fetch"
        case .baseline: "baseline"
        case .fence: "fence"
        case .adoptKey: "adoptKey"
        }
    }
}

/// How DR secondaries are named on the cluster port: `drsec-` and 16 hex digits of SHA-256 of the secondary id.
/// Certificates with these names come only from a primary's replication CA; the Raft runtime drops everything
/// but `control` messages from them, so a secondary's certificate can pull data but never take part in Raft.
enum DRIdentity {
    /// What a secondary sends in `fetch` to say which primary CA certificates it trusts.
    static func digest(ofRoots roots: [[UInt8]]) -> [UInt8] {
        var hasher = SHA256()
        for root in roots {
            hasher.update(data: RaftCluster.encodeIndex(UInt64(root.count)))
            hasher.update(data: root)
        }
        return Array(hasher.finalize())
    }

    static let prefix = "drsec-"

    static func nodeName(for secondaryID: String) -> ClusterNodeID? {
        let digest = SHA256.hash(data: Array(secondaryID.utf8)).prefix(8).map { String(format: "%02x", $0) }
        return ClusterNodeID(prefix + digest.joined())
    }

    static func isSecondary(_ name: ClusterNodeID) -> Bool {
        name.rawValue.hasPrefix(prefix)
    }
}
