import Crypto
import Foundation
import LMDB
import Storage

/// What `NodeStore.writeState(to:)` wrote.
struct StateSummary: Sendable {
    var size: UInt64
    var sha256: String
    var records: UInt64
    var contentHash: String
}

/// Snapshot save and restore on the state machine.
///
/// Restore runs through the Raft log so every node ends in the same state at the same index: the leader
/// stages the archive's `state.bin` as chunks under `raft/restore/<id>/<seq>` (ordinary puts, each well under
/// the transport's frame limit), then commits `raft/restore-commit`. Applying that entry, inside the one
/// transaction of its `Ready`, checks the staged chunks against the digest it names, removes every key outside
/// `raft/`, installs the archived pairs and drops the staging keys: every node swaps atomically at that index.
/// Membership records (`raft/members/`) are kept: a restore does not change who is in the cluster.
extension NodeStore {
    static let reservedPrefix = "raft/"
    static let restoreStagingPrefix = "raft/restore/"
    static let restoreCommitKey = "raft/restore-commit"

    static func stagingKey(_ id: String, _ sequence: Int) -> String {
        restoreStagingPrefix + id + "/" + String(format: "%08d", sequence)
    }

    /// Writes the state machine's pairs outside `raft/`, in key order, to a new 0600 file at `path`, from one
    /// LMDB read transaction (a consistent point in time). Memory: one pair at a time plus a 1 MiB buffer.
    func writeState(to path: String) throws -> StateSummary {
        let output = try SnapshotFile.create(path)
        defer { output.close() }
        let reserved = Array(Self.reservedPrefix.utf8)
        var hasher = SHA256()
        var content = ContentHasher()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 4096)
        var size: UInt64 = 0
        var records: UInt64 = 0
        try guardedRead { try environment.read { transaction in
            try transaction.scan(data.database) { key, value in
                if key.starts(with: reserved) { return true }
                RecordScanner.encode(key: key, value: value, into: &buffer)
                content.update(key: key, value: value)
                records += 1
                if buffer.count >= 1 << 20 {
                    hasher.update(data: buffer)
                    try output.write(buffer)
                    size += UInt64(buffer.count)
                    buffer.removeAll(keepingCapacity: true)
                }
                return true
            }
        } }
        hasher.update(data: buffer)
        try output.write(buffer)
        size += UInt64(buffer.count)
        try output.sync()
        return StateSummary(
            size: size, sha256: SnapshotArchive.hex(hasher.finalize()), records: records,
            contentHash: content.finalize())
    }

    /// SHA-256 over the pairs outside `raft/` (what an archive holds), in the layout of `stateHash()`: equal
    /// for two clusters holding the same secrets, whoever their members are. Reveals nothing of the plaintext.
    public func contentHash() throws -> String {
        let reserved = Array(Self.reservedPrefix.utf8)
        return try guardedRead { try environment.read { transaction in
            var content = ContentHasher()
            try transaction.scan(data.database) { key, value in
                if !key.starts(with: reserved) { content.update(key: key, value: value) }
                return true
            }
            return content.finalize()
        } }
    }

    /// The commit record a leader proposes once every chunk of restore `id` is staged.
    static func restoreCommit(id: String, chunks: Int, sha256: String) -> [UInt8] {
        var writer = WireWriter(capacity: 128)
        writer.u8(1)
        writer.string(id)
        writer.u32(UInt32(chunks))
        writer.string(sha256)
        return writer.bytes
    }

    /// Applies a restore commit inside one transaction: for `writeLocally` only. Through the log, `persist` swaps
    /// the state in bounded transactions instead (`NodeStore+Restore.swift`). Deterministic: either swaps or
    /// (staging incomplete or altered) leaves the state as it was; staging keys are dropped either way.
    @discardableResult
    func applyRestoreCommit(_ record: [UInt8], _ transaction: WriteTransaction) throws -> Bool {
        defer { try? dropStaging(transaction) }
        guard let plan = try restorePlan(record, transaction) else { return false }
        let reserved = Array(Self.reservedPrefix.utf8)
        for key in try transaction.keys(in: data.database) where !key.starts(with: reserved) {
            _ = try transaction.delete(key, in: data.database)
        }
        let database = data.database
        var scanner = RecordScanner { key, value in
            guard !key.starts(with: reserved) else { return }
            try transaction.put(key, value, in: database)
        }
        for sequence in 0..<plan.chunks {
            if let chunk = try transaction.get(Array(Self.stagingKey(plan.id, sequence).utf8), in: data.database) {
                try scanner.feed(chunk)
            }
        }
        return true
    }

    /// What a restore commit record names, when every staged chunk is there, matches its digest and parses
    /// as whole records; nil otherwise (the commit then changes nothing but dropping the staging).
    func restorePlan(_ record: [UInt8], _ transaction: ReadTransaction) throws -> (id: String, chunks: Int)? {
        var reader = WireReader(record)
        guard (try? reader.u8()) == 1, let id = try? reader.string(), let chunks = try? reader.u32(),
            let digest = try? reader.string()
        else { return nil }
        var hasher = SHA256()
        var dryRun = RecordScanner()
        for sequence in 0..<Int(chunks) {
            guard let chunk = try transaction.get(Array(Self.stagingKey(id, sequence).utf8), in: data.database) else {
                return nil
            }
            hasher.update(data: chunk)
            try? dryRun.feed(chunk)
        }
        guard SnapshotArchive.hex(hasher.finalize()) == digest, (try? dryRun.finish()) != nil else { return nil }
        return (id, Int(chunks))
    }

    func dropStaging(_ transaction: WriteTransaction) throws {
        for key in try transaction.keys(in: data.database, prefix: Array(Self.restoreStagingPrefix.utf8)) {
            _ = try transaction.delete(key, in: data.database)
        }
    }
}
