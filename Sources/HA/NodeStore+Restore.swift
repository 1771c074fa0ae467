import LMDB
import Synchronization
import Raft
import Storage

/// A snapshot restore's swap, applied through the log in bounded transactions.
///
/// Swapping the whole state machine in the one transaction of its `Ready` would hold every page of the new
/// state dirty on the heap until the commit, and LMDB keeps freed pages for reuse, so a node would keep that
/// memory after the restore too. Instead, at the entry that carries the restore commit (index `R`):
///
/// 1. One transaction persists the `Ready` as usual, applies what comes before the commit, records the
///    applied index `R - 1` and writes the marker `raft/restore-applying` = `R`.
/// 2. Transactions of at most `deleteBatch` keys remove the state outside `raft/`; then one transaction per
///    staged chunk installs that chunk's records.
/// 3. One synced transaction drops the staging, applies the operations that follow the commit in entry `R`,
///    removes the marker and records the applied index `R`.
///
/// A crash between 1 and 3 leaves the marker: opening the store finishes the swap from the staged chunks
/// (still there until 3) and entry `R` in the log, before anything reads the state. Readers outside the Raft
/// loop see `restoreGeneration` odd from before 2 until after 3 and refuse to answer from a mixed state.
extension NodeStore {
    static let restoreApplyingKey = "raft/restore-applying"
    /// Keys removed per transaction while a restore clears the old state.
    static let deleteBatch = 4096

    /// Where a restore commit first occurs in `entries`: the entry's position, its operations (its batches
    /// in order) and the commit's position among them.
    struct RestoreSplit {
        var entry: Int
        var operations: [StorageOperation]
        var commit: Int
    }

    static func firstRestoreCommit(in entries: [Entry]) -> RestoreSplit? {
        for (position, entry) in entries.enumerated() {
            guard case .command(let bytes) = entry.payload,
                RaftRuntime.mentions(bytes, anyOf: [Array(restoreCommitKey.utf8)]),
                let batches = try? StorageCommand.decode(bytes)
            else { continue }
            let operations = batches.flatMap { $0 }
            if let commit = operations.firstIndex(where: { $0.key == restoreCommitKey && $0.isPut }) {
                return RestoreSplit(entry: position, operations: operations, commit: commit)
            }
        }
        return nil
    }

    /// `persist` for a `Ready` whose committed entries hold a restore commit; see the type's comment.
    func persist(_ ready: Ready, splittingAt split: RestoreSplit, durableHardState: HardState?) throws -> Int {
        let entries = ready.committedEntries
        let index = entries[split.entry].index
        var undecodable = 0
        let durability = Self.durability(of: ready, snapshotData: nil, durableHardState: durableHardState)
        try log.persist(ready, applied: split.entry > 0 ? index - 1 : nil, durability: durability) { transaction in
            undecodable = try apply(entries[..<split.entry], transaction)
            try apply(Array(split.operations[..<split.commit]), transaction)
            var marker = WireWriter(capacity: 8)
            marker.u64(index)
            try transaction.put(Array(Self.restoreApplyingKey.utf8), marker.bytes, in: data.database)
        }
        try swapInRestore(split, index: index)
        let rest = Array(entries[(split.entry + 1)...])
        if !rest.isEmpty {
            undecodable += try persist(Ready(committedEntries: rest), snapshotData: nil)
        }
        return undecodable
    }

    /// Steps 2 and 3 for the restore commit at `split.commit` of entry `index`, whose marker is written.
    private func swapInRestore(_ split: RestoreSplit, index: LogIndex) throws {
        guard case .put(_, let record) = split.operations[split.commit] else { return }
        let plan = try environment.read { transaction in try restorePlan(record, transaction) }
        if let plan {
            restoreGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent)
            try clearState()
            try install(plan)
        }
        try log.persist(Ready(), applied: index, durability: .synced) { transaction in
            try dropStaging(transaction)
            try apply(Array(split.operations[(split.commit + 1)...]), transaction)
            _ = try transaction.delete(Array(Self.restoreApplyingKey.utf8), in: data.database)
        }
        // Left odd if anything above threw: the runtime stops, and the next open finishes the swap.
        if plan != nil { restoreGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent) }
    }

    /// Removes every key outside `raft/`, `deleteBatch` keys per transaction.
    private func clearState() throws {
        let reserved = Array(Self.reservedPrefix.utf8)
        let afterReserved = Array(Self.reservedPrefix.dropLast().utf8) + [UInt8(ascii: "/") + 1]
        let database = data.database
        while true {
            let removed = try environment.write(durability: .deferred) { transaction in
                let doomed = try transaction.withCursor(on: database) { cursor in
                    var doomed: [[UInt8]] = []
                    var key = try cursor.seekKey(atLeast: [])
                    while let current = key, doomed.count < Self.deleteBatch {
                        if current.starts(with: reserved) {
                            key = try cursor.seekKey(atLeast: afterReserved)
                        } else {
                            doomed.append(current)
                            key = try cursor.nextKey()
                        }
                    }
                    return doomed
                }
                for key in doomed { try transaction.delete(key, in: database) }
                return doomed.count
            }
            if removed < Self.deleteBatch { return }
        }
    }

    /// Installs the records of every staged chunk of `plan`, one chunk per transaction. The records are parsed
    /// before each transaction: `Environment.write` may run its closure again after growing the map.
    private func install(_ plan: (id: String, chunks: Int)) throws {
        let reserved = Array(Self.reservedPrefix.utf8)
        let database = data.database
        let parsed = PairBuffer()
        var scanner = RecordScanner { key, value in
            if !key.starts(with: reserved) { parsed.pairs.append((key, value)) }
        }
        for sequence in 0..<plan.chunks {
            let key = Array(Self.stagingKey(plan.id, sequence).utf8)
            guard let chunk = try environment.read({ transaction in try transaction.get(key, in: database) }) else {
                throw WireDecodingError(reason: "a staged restore chunk vanished")
            }
            try scanner.feed(chunk)
            let pairs = parsed.pairs
            parsed.pairs = []
            try environment.write(durability: .deferred) { transaction in
                for (key, value) in pairs { try transaction.put(key, value, in: database) }
            }
        }
        try scanner.finish()
    }

    /// Finishes a swap a crash interrupted (the marker is there): runs steps 2 and 3 again from the staged
    /// chunks and entry `R` of the log. Clearing and installing again is harmless: the result is the same.
    func finishInterruptedRestore() throws {
        let marker = try environment.read { transaction in
            try transaction.get(Array(Self.restoreApplyingKey.utf8), in: data.database)
        }
        guard let marker else { return }
        var reader = WireReader(marker)
        let index = try reader.u64()
        guard let entry = try log.entries(from: index, through: index).first,
            let split = Self.firstRestoreCommit(in: [entry])
        else {
            throw WireDecodingError(reason: "an interrupted snapshot restore names an entry the log does not hold")
        }
        try swapInRestore(split, index: index)
    }

    /// Runs `read` against the state machine, refusing (`ReplicationError.restoring`) when a restore's swap
    /// was under way at any moment of it: a sequence lock over `restoreGeneration`.
    func guardedRead<Result>(_ read: () async throws -> Result) async throws -> Result {
        let before = try restoreGenerationBeforeRead()
        let result = try await read()
        try checkNoRestore(since: before)
        return result
    }

    /// `guardedRead` for synchronous reads.
    func guardedRead<Result>(_ read: () throws -> Result) throws -> Result {
        let before = try restoreGenerationBeforeRead()
        let result = try read()
        try checkNoRestore(since: before)
        return result
    }

    private func restoreGenerationBeforeRead() throws -> UInt64 {
        let generation = restoreGeneration.load(ordering: .sequentiallyConsistent)
        guard generation % 2 == 0 else { throw ReplicationError.restoring }
        return generation
    }

    private func checkNoRestore(since generation: UInt64) throws {
        guard restoreGeneration.load(ordering: .sequentiallyConsistent) == generation else {
            throw ReplicationError.restoring
        }
    }
}

/// The records one staged chunk yields, collected outside the transaction that writes them.
private final class PairBuffer {
    var pairs: [([UInt8], [UInt8])] = []
}

extension StorageOperation {
    fileprivate var isPut: Bool {
        if case .put = self { return true }
        return false
    }
}
