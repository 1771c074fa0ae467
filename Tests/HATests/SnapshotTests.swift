import Core
import Foundation
import Raft
import Storage
import Testing
import TestSupport

@testable import HA

/// The archive format, its refusal of damaged files, and restore through the Raft log.
@Suite(.serialized) struct SnapshotTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-snap-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// A store with `count` pairs (values of varied sizes, some over a gzip block) and a member record.
    func filledStore(_ count: Int) throws -> NodeStore {
        let store = try NodeStore(path: path("store-\(UUID().uuidString)"))
        var operations: [StorageOperation] = [.put(key: "raft/members/alpha", value: Array("member".utf8))]
        for index in 0..<count {
            operations.append(.put(key: "logical/x/\(index)", value: [UInt8](repeating: UInt8(index % 251),
                                                                             count: (index * 37) % 70_000)))
        }
        try store.writeLocally(operations)
        return store
    }

    func archive(_ store: NodeStore, mac: [UInt8] = Array(repeating: 7, count: 32)) throws -> String {
        let state = path("state-\(UUID().uuidString)")
        let summary = try store.writeState(to: state)
        let metadata = SnapshotArchiveMetadata(
            id: "1-1-0", index: 1, term: 1, size: summary.size, version: 1, format: SnapshotArchiveMetadata.stateFormat,
            records: summary.records, contentHash: summary.contentHash, createdAt: "now")
        let meta = try SnapshotArchive.encodeMeta(metadata)
        let sums = SnapshotArchive.sums(meta: meta, stateDigest: summary.sha256)
        let file = path("archive-\(UUID().uuidString).snap")
        try SnapshotArchive.write(to: file, meta: meta, stateFile: state, stateSize: summary.size, sums: sums,
                                  sealed: mac)
        return file
    }

    @Test func anArchiveRoundTripsAndLeavesRaftKeysOut() throws {
        let store = try filledStore(300)
        let file = try archive(store)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let verified = try SnapshotArchive.verify(file)
        #expect(verified.metadata.records == 300)
        #expect(verified.metadata.contentHash == (try store.contentHash()))
        #expect(verified.isSealed(by: Array(repeating: 7, count: 32)))
        #expect(!verified.isSealed(by: Array(repeating: 8, count: 32)))
        // gzip(1) reads it: the format is OpenBao's gzip'd tar.
        let listing = Process()
        listing.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        listing.arguments = ["-tzf", file]
        let pipe = Pipe()
        listing.standardOutput = pipe
        try listing.run()
        listing.waitUntilExit()
        let names = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(names.split(separator: "\n") == ["meta.json", "state.bin", "SHA256SUMS", "SHA256SUMS.sealed"])
    }

    @Test func truncatedOrAlteredArchivesAreRefused() throws {
        var random = SeededGenerator.forTest("truncatedOrAlteredArchivesAreRefused")
        let file = try archive(try filledStore(50))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        for trial in 0..<40 {
            var damaged = bytes
            if trial % 2 == 0 {
                damaged = Array(bytes[0..<Int(random.next() % UInt64(bytes.count))])
            } else {
                let position = Int(random.next() % UInt64(bytes.count))
                damaged[position] ^= UInt8(1 << (random.next() % 8))
            }
            let damagedFile = path("damaged-\(trial)")
            try Data(damaged).write(to: URL(fileURLWithPath: damagedFile))
            #expect(throws: SnapshotArchiveError.self, "trial \(trial)") { try SnapshotArchive.verify(damagedFile) }
        }
        let cut = path("cut")
        try Data(bytes[0..<(bytes.count / 2)]).write(to: URL(fileURLWithPath: cut))
        #expect(throws: SnapshotArchiveError.truncated) { try SnapshotArchive.verify(cut) }
    }

    @Test func aRestoreThroughTheLogReplacesStateOnEveryNodeAndKeepsMembers() async throws {
        let source = try filledStore(120)
        let file = try archive(source)
        let harness = try RuntimeHarness()
        try await harness.start()
        let leader = try await harness.leader()
        let runtime = harness.runtimes[leader]
        try await runtime.write([.put(key: "logical/x/stale", value: [1]), .put(key: "raft/members/m", value: [2])])
        // More old keys than one clearing transaction removes.
        try await runtime.write((0..<(NodeStore.deleteBatch + 100)).map { .put(key: "logical/y/\($0)", value: [1]) })
        // What RaftCluster.restore does: stage state.bin in chunks, then commit.
        let reader = try SnapshotArchiveReader(path: file)
        var staged: [UInt8] = []
        var chunks = 0
        while let chunk = try reader.nextStateChunk() {
            staged += chunk
            try await runtime.write([.put(key: NodeStore.stagingKey("r1", chunks), value: chunk)])
            chunks += 1
        }
        _ = try reader.finish()
        let digest = SnapshotArchive.sha256Hex(staged)
        try await runtime.write([.put(key: NodeStore.restoreCommitKey,
                                      value: NodeStore.restoreCommit(id: "r1", chunks: chunks, sha256: digest))])
        let expected = try source.contentHash()
        for _ in 0..<300 {
            if harness.stores.allSatisfy({ (try? $0.contentHash()) == expected }) { break }  // refused mid-swap
            try await Task.sleep(for: .milliseconds(20))
        }
        for store in harness.stores {
            #expect(try store.contentHash() == expected)
            #expect(try await store.data.get("raft/members/m") == [2])
            #expect(try await store.data.list(prefix: "raft/restore/").isEmpty)
            #expect(try await store.data.get("logical/x/stale") == nil)
            #expect(try await store.data.list(prefix: "logical/y/").isEmpty)
            #expect(try await store.data.get(NodeStore.restoreApplyingKey) == nil)
        }
        // A commit whose staging does not match changes nothing (and drops the staging).
        try await runtime.write([.put(key: NodeStore.stagingKey("r2", 0), value: [0, 0, 0, 1])])
        try await runtime.write([.put(key: NodeStore.restoreCommitKey,
                                      value: NodeStore.restoreCommit(id: "r2", chunks: 1, sha256: digest))])
        #expect(try harness.stores[leader].contentHash() == expected)
        #expect(try await harness.stores[leader].data.list(prefix: "raft/restore/").isEmpty)
        await harness.stop()
    }

    /// A crash in the middle of a restore's swap (after the marker, with part of the old state removed): opening
    /// the store finishes it from the staged chunks and the log's entry, before anything reads the state.
    @Test func aRestoreInterruptedByACrashIsFinishedWhenTheStoreOpens() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-restore-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var records: [UInt8] = []
        RecordScanner.encode(key: Array("logical/new".utf8), value: [2], into: &records)
        RecordScanner.encode(key: Array("raft/members/smuggled".utf8), value: [9], into: &records)
        let record = NodeStore.restoreCommit(id: "r", chunks: 1, sha256: SnapshotArchive.sha256Hex(records))
        let command = StorageCommand.encode([
            [.put(key: "logical/before", value: [5]), .put(key: NodeStore.restoreCommitKey, value: record)],
            [.put(key: "logical/after", value: [3])],
        ])
        do {
            let store = try NodeStore(path: directory.path)
            try store.log.initialize(.bootstrap(voters: [1]))
            try store.log.persist(Ready(entries: [Entry(index: 1, term: 1, payload: .command(command))]))
            var marker = WireWriter(capacity: 8)
            marker.u64(1)
            try store.writeLocally([
                .put(key: "logical/old", value: [1]), .put(key: "raft/members/m", value: [4]),
                .put(key: NodeStore.stagingKey("r", 0), value: records),
                .put(key: NodeStore.restoreApplyingKey, value: marker.bytes),
            ])
        }
        let store = try NodeStore(path: directory.path)
        #expect(try await store.data.get("logical/old") == nil)
        #expect(try await store.data.get("logical/before") == nil, "what preceded the commit is replaced too")
        #expect(try await store.data.get("logical/new") == [2])
        #expect(try await store.data.get("logical/after") == [3], "what followed the commit in its entry applies")
        #expect(try await store.data.get("raft/members/m") == [4])
        #expect(try await store.data.get("raft/members/smuggled") == nil, "an archive never brings raft/ keys")
        #expect(try await store.data.list(prefix: "raft/restore/").isEmpty)
        #expect(try await store.data.get(NodeStore.restoreApplyingKey) == nil)
        #expect(try store.log.load()?.applied == 1)
    }

    /// While a restore's swap is under way, reads through the replicated storage are refused, not answered
    /// from a state that is part old and part new.
    @Test func readsOverlappingARestoreSwapAreRefused() async throws {
        let store = try filledStore(3)
        let storage = ReplicatedStorage(store: store, mode: .closed)
        #expect(try await storage.list(prefix: "").isEmpty == false)
        store.restoreGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent)
        await #expect(throws: ReplicationError.restoring) { _ = try await storage.get("anything") }
        await #expect(throws: ReplicationError.restoring) { _ = try await storage.list(prefix: "") }
        #expect(throws: ReplicationError.restoring) { _ = try store.contentHash() }
        #expect(throws: ReplicationError.restoring) { _ = try store.image() }
        #expect(throws: ReplicationError.restoring) { _ = try store.stateHash() }
        store.restoreGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent)
        #expect(try await storage.list(prefix: "").isEmpty == false)
    }

    @Test func schedulesKeepTheNewestArchives() throws {
        let schedule = SnapshotSchedule(name: "n", interval: 60, retain: 2, pathPrefix: "/x", filePrefix: "p")
        let names = ["p-20260101T000000.000Z-1.snap", "p-20260103T000000.000Z-3.snap", ".p-x.snap.tmp",
                     "p-20260102T000000.000Z-2.snap", "other.snap"]
        #expect(schedule.toPrune(names) == ["p-20260101T000000.000Z-1.snap"])
        #expect(throws: (any Error).self) {
            try SnapshotSchedule.parse(name: "n", ["interval": .string("1h"), "path_prefix": .string("relative")], existing: nil)
        }
        let parsed = try SnapshotSchedule.parse(
            name: "n", ["interval": .string("1h"), "retain": .int(3), "path_prefix": .string("/srv/snap")], existing: nil)
        #expect(parsed.interval == 3600 && parsed.retain == 3 && parsed.filePrefix == "coffer-snapshot")
    }
}
