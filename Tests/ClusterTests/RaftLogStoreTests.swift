import Foundation
import LMDB
import Raft
import Testing
@testable import Cluster

/// A fresh directory under the system temporary directory; each test removes its own.
private struct ScratchDirectory {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("coffer-raftlog-tests-\(UUID().uuidString)").path

    var storePath: String { root + "/raft" }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// Drains every `Ready` of `node`, persisting each one before it would be sent, as a runtime must.
private func drain(_ node: inout RaftNode, into store: RaftLogStore) throws {
    while node.hasReady {
        let ready = node.ready()
        try store.persist(ready)
        node.advance(ready)
    }
}

/// A single-voter node that has elected itself and committed `commands`.
private func singleVoterNode(store: RaftLogStore, commands: [[UInt8]]) throws -> RaftNode {
    let state = PersistentState.bootstrap(voters: [1])
    try store.initialize(state)
    var node = RaftNode(config: RaftConfig(id: 1), state: state)
    node.campaign()
    try drain(&node, into: store)
    for command in commands {
        _ = try node.propose(command)
        try drain(&node, into: store)
    }
    return node
}

/// Overwrites the stored record of the entry at `index` by `transform(record)`, through the LMDB wrapper.
private func tamperWithEntry(at index: LogIndex, path: String, _ transform: ([UInt8]) -> [UInt8]) throws {
    let environment = try Environment(path: path)
    let database = try environment.openDatabase("raft.entries")
    try environment.write { transaction in
        let key = RaftLogStore.entryKey(index)
        let record = try #require(try transaction.get(key, in: database))
        try transaction.put(key, transform(record), in: database)
    }
}

private func command(_ text: String) -> [UInt8] { Array(text.utf8) }

@Test func freshStoreLoadsNothing() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    let store = try RaftLogStore(path: directory.storePath)
    #expect(try store.load() == nil)
}

@Test func roundTripThroughARealRaftNode() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    let before: RaftNode
    do {
        let store = try RaftLogStore(path: directory.storePath)
        before = try singleVoterNode(store: store, commands: ["a", "b", "c"].map(command))
    }
    #expect(before.status.role == .leader)
    #expect(before.status.term >= 1)
    #expect(before.status.commit == 4)  // the leader's no-op plus three commands

    let store = try RaftLogStore(path: directory.storePath)
    #expect(throws: RaftLogStoreError.alreadyInitialized) { try store.initialize(.bootstrap(voters: [1])) }
    let state = try #require(try store.load())
    #expect(state.hardState == HardState(term: before.term, vote: 1, commit: 4))
    #expect(state.entries == before.log.entries)
    #expect(state.entries.map(\.index) == [1, 2, 3, 4])
    #expect(state.entries.last?.payload == .command(command("c")))
    #expect(state.snapshot.metadata.configuration == Configuration(voters: [1]))

    let after = RaftNode(config: RaftConfig(id: 1), state: state)
    #expect(after.term == before.term)
    #expect(after.vote == before.vote)
    #expect(after.status.commit == before.status.commit)
    #expect(after.log.entries == before.log.entries)
    #expect(try store.entries(from: 2, through: 3) == Array(before.log.entries[1...2]))
}

@Test func newEntriesTruncateConflictingSuffix() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    let store = try RaftLogStore(path: directory.storePath)
    try store.initialize(.bootstrap(voters: [1, 2, 3]))
    let first = (1...5).map { Entry(index: $0, term: 1, payload: .command([UInt8($0)])) }
    try store.persist(Ready(hardState: HardState(term: 1, vote: 2, commit: 2), entries: first))
    let replacement = [
        Entry(index: 3, term: 2, payload: .empty),
        Entry(index: 4, term: 2, payload: .configuration(Configuration(voters: [1, 2], learners: [3]))),
    ]
    try store.persist(Ready(hardState: HardState(term: 2, vote: nil, commit: 2), entries: replacement))

    let state = try #require(try store.load())
    #expect(state.entries == Array(first[0...1]) + replacement)
    #expect(state.hardState == HardState(term: 2, vote: nil, commit: 2))
}

@Test func entriesThatWouldLeaveAHoleAreRefusedAndNothingIsWritten() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    let store = try RaftLogStore(path: directory.storePath)
    try store.initialize(.bootstrap(voters: [1]))
    try store.persist(Ready(entries: (1...3).map { Entry(index: $0, term: 1, payload: .empty) }))
    let gap = Ready(hardState: HardState(term: 9), entries: [Entry(index: 5, term: 1, payload: .empty)])
    #expect(throws: RaftLogStoreError.nonContiguousEntries(expected: 4, found: 5)) { try store.persist(gap) }
    let skip = Ready(entries: [4, 6].map { Entry(index: $0, term: 1, payload: .empty) })
    #expect(throws: RaftLogStoreError.nonContiguousEntries(expected: 5, found: 6)) { try store.persist(skip) }
    let state = try #require(try store.load())
    #expect(state.entries.map(\.index) == [1, 2, 3])
    #expect(state.hardState == HardState())
}

@Test func compactionKeepsTheTailAndANodeRestartsFromSnapshotPlusTail() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    var before: RaftNode
    do {
        let store = try RaftLogStore(path: directory.storePath)
        before = try singleVoterNode(store: store, commands: (1...6).map { command("c\($0)") })
        let index: LogIndex = 5
        let term = try #require(before.log.term(at: index))
        let snapshot = Snapshot(
            metadata: SnapshotMetadata(index: index, term: term, configuration: before.log.configuration(at: index)),
            data: command("state through 5"))
        try store.compact(to: snapshot)
        try before.compact(through: index, snapshotData: snapshot.data)
        // An older snapshot afterwards changes nothing.
        let older = SnapshotMetadata(index: 3, term: term, configuration: Configuration())
        try store.compact(to: Snapshot(metadata: older, data: []))
        _ = try before.propose(command("after"))
        try drain(&before, into: store)
    }

    let store = try RaftLogStore(path: directory.storePath)
    let state = try #require(try store.load())
    #expect(state.snapshot.index == 5)
    #expect(state.snapshot.data == command("state through 5"))
    #expect(state.entries.map(\.index) == [6, 7, 8])
    #expect(state.entries == before.log.entries)
    #expect(try store.entries(from: 0, through: .max).map(\.index) == [6, 7, 8])  // 1...5 are gone from disk
    let after = RaftNode(config: RaftConfig(id: 1), state: state)
    #expect(after.log.snapshotIndex == 5)
    #expect(after.log.lastIndex == before.log.lastIndex)
    #expect(after.status.commit == before.status.commit)
    #expect(after.term == before.term)
    #expect(after.log.configuration == Configuration(voters: [1]))
}

@Test func aSnapshotInAReadyReplacesTheWholeLog() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    let store = try RaftLogStore(path: directory.storePath)
    try store.initialize(.bootstrap(voters: [1, 2, 3]))
    try store.persist(Ready(entries: (1...8).map { Entry(index: $0, term: 1, payload: .empty) }))
    let snapshot = Snapshot(
        metadata: SnapshotMetadata(index: 5, term: 3, configuration: Configuration(voters: [1, 2, 3])),
        data: [1, 2, 3])
    try store.persist(Ready(hardState: HardState(term: 3, vote: nil, commit: 5), snapshot: snapshot))
    let state = try #require(try store.load())
    #expect(state.snapshot == snapshot)
    #expect(state.entries.isEmpty)  // entries 6...8 came from a log that did not match at index 5
    #expect(try store.entries(from: 0, through: .max).isEmpty)
    #expect(state.hardState.commit == 5)
    let node = RaftNode(config: RaftConfig(id: 2), state: state)
    #expect(node.log.lastIndex == 5)
}

@Test func aFlippedByteInAStoredEntryIsCaughtOnLoad() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    do {
        let store = try RaftLogStore(path: directory.storePath)
        _ = try singleVoterNode(store: store, commands: [command("secret-free payload")])
    }
    // Index 2 is the command; flip one bit of its payload, leaving every length intact.
    try tamperWithEntry(at: 2, path: directory.storePath) { record in
        var record = record
        record[record.count - 6] ^= 0x01
        return record
    }
    let store = try RaftLogStore(path: directory.storePath)
    #expect(throws: RaftLogStoreError.corruptEntry(index: 2)) { try store.load() }
    #expect(throws: RaftLogStoreError.corruptEntry(index: 2)) { try store.entries(from: 1, through: 4) }
    #expect(try store.entries(from: 1, through: 1).count == 1)
}

@Test func anyFlippedByteOfAnEntryGivesATypedError() throws {
    let entry = Entry(index: 7, term: 3, payload: .configuration(Configuration(voters: [1, 2], learners: [3])))
    let record = RaftLogStore.encode(entry)
    #expect(try RaftLogStore.decodeEntry(record, index: 7) == entry)
    #expect(throws: RaftLogStoreError.corruptEntry(index: 8)) { try RaftLogStore.decodeEntry(record, index: 8) }
    for position in record.indices {
        var damaged = record
        damaged[position] ^= 0x40
        do {
            let decoded = try RaftLogStore.decodeEntry(damaged, index: 7)
            Issue.record("byte \(position) flipped but decoded \(decoded)")
        } catch {
            #expect(error == .corruptEntry(index: 7) || error == .truncatedEntry(index: 7))
        }
    }
}

@Test func truncatedRecordsGiveTypedErrors() throws {
    let entry = RaftLogStore.encode(Entry(index: 4, term: 2, payload: .command(command("payload"))))
    for length in 0..<entry.count {
        #expect(throws: RaftLogStoreError.truncatedEntry(index: 4)) {
            try RaftLogStore.decodeEntry(Array(entry.prefix(length)), index: 4)
        }
    }
    #expect(throws: RaftLogStoreError.corruptEntry(index: 4)) { try RaftLogStore.decodeEntry(entry + [0], index: 4) }

    let hardState = RaftLogStore.encode(HardState(term: 5, vote: 2, commit: 9))
    #expect(try RaftLogStore.decodeHardState(hardState) == HardState(term: 5, vote: 2, commit: 9))
    for length in 0..<hardState.count {
        #expect(throws: RaftLogStoreError.truncatedRecord(.hardState)) {
            try RaftLogStore.decodeHardState(Array(hardState.prefix(length)))
        }
    }
    let metadata = RaftLogStore.encode(SnapshotMetadata(index: 3, term: 1, configuration: Configuration(voters: [1])))
    for length in 0..<metadata.count {
        #expect(throws: RaftLogStoreError.truncatedRecord(.snapshotMetadata)) {
            try RaftLogStore.decodeSnapshotMetadata(Array(metadata.prefix(length)))
        }
    }
    let data = RaftLogStore.encodeSnapshotData([9, 9, 9], index: 3)
    #expect(throws: RaftLogStoreError.truncatedRecord(.snapshotData)) {
        try RaftLogStore.decodeSnapshotData(Array(data.dropLast(5)), index: 3)
    }
    // A length field claiming far more than is there is refused before anything is allocated.
    var huge = data
    for offset in 9..<17 { huge[offset] = 0xFF }
    #expect(throws: RaftLogStoreError.truncatedRecord(.snapshotData)) {
        try RaftLogStore.decodeSnapshotData(huge, index: 3)
    }
}

@Test func aTruncatedEntryOnDiskIsATypedErrorOnLoad() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    do {
        let store = try RaftLogStore(path: directory.storePath)
        _ = try singleVoterNode(store: store, commands: [command("x"), command("y")])
    }
    try tamperWithEntry(at: 3, path: directory.storePath) { Array($0.dropLast(3)) }
    let store = try RaftLogStore(path: directory.storePath)
    #expect(throws: RaftLogStoreError.truncatedEntry(index: 3)) { try store.load() }
}

/// The store's contract, in memory: what `load()` must return after any sequence of calls.
private struct StoreModel {
    var hardState = HardState()
    var snapshot: Snapshot
    var entries: [Entry] = []
    var applied: LogIndex?

    var lastIndex: LogIndex { entries.last?.index ?? snapshot.index }

    func lastTerm(before index: LogIndex) -> Term {
        entries.last(where: { $0.index < index })?.term ?? snapshot.term
    }

    mutating func persist(_ ready: Ready) {
        if let new = ready.snapshot, new.index > snapshot.index {
            snapshot = new
            entries.removeAll()
        }
        let fresh = ready.entries.filter { $0.index > snapshot.index }
        if let first = fresh.first {
            entries.removeAll { $0.index >= first.index }
            entries += fresh
        }
        if let state = ready.hardState { hardState = state }
    }

    mutating func compact(to new: Snapshot) {
        guard new.index > snapshot.index else { return }
        snapshot = new
        entries.removeAll { $0.index <= new.index }
    }
}

/// xorshift64*: a tiny deterministic generator, so a printed seed replays the same run.
private struct Xorshift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

@Test func randomPersistCompactReopenCyclesMatchTheModel() throws {
    let seed = ProcessInfo.processInfo.environment["COFFER_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 1...UInt64.max)
    print("RaftLogStoreTests.randomPersistCompactReopenCyclesMatchTheModel seed: \(seed) (replay with COFFER_SEED)")
    var random = Xorshift(seed: seed)
    let directory = ScratchDirectory()
    defer { directory.remove() }
    let configuration = Environment.Configuration(flags: .noSync)  // reopening in-process reads committed pages
    var store: RaftLogStore? = try RaftLogStore(path: directory.storePath, configuration: configuration)
    let bootstrap = PersistentState.bootstrap(voters: [1, 2, 3])
    try #require(store).initialize(bootstrap)
    var model = StoreModel(snapshot: bootstrap.snapshot)

    func randomPayload() -> EntryPayload {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return .empty
        case 1:
            let count = Int.random(in: 1...4, using: &random)
            let voters = Set((0..<count).map { _ in UInt64.random(in: 1...9, using: &random) })
            return .configuration(Configuration(voters: voters, learners: [10]))
        default:
            let count = Int.random(in: 0...40, using: &random)
            return .command((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
    }

    for step in 0..<300 {
        let current = try #require(store)
        switch Int.random(in: 0..<10, using: &random) {
        case 0...4:
            // Append (possibly overwriting a suffix), with or without a hard state.
            let low = model.snapshot.index + 1
            let first = LogIndex.random(in: low...(model.lastIndex + 1), using: &random)
            var term = max(model.lastTerm(before: first), model.hardState.term)
            var entries: [Entry] = []
            for offset in 0..<LogIndex.random(in: 1...5, using: &random) {
                if Int.random(in: 0..<4, using: &random) == 0 { term += 1 }
                entries.append(Entry(index: first + offset, term: term, payload: randomPayload()))
            }
            let hardState = Bool.random(using: &random)
                ? HardState(term: term, vote: UInt64.random(in: 1...3, using: &random), commit: model.snapshot.index)
                : nil
            let ready = Ready(hardState: hardState, entries: entries)
            try current.persist(ready)
            model.persist(ready)
        case 5:
            let state = HardState(
                term: model.hardState.term + 1, vote: Bool.random(using: &random) ? 2 : nil, commit: model.lastIndex)
            try current.persist(Ready(hardState: state))
            model.persist(Ready(hardState: state))
        case 6:
            // The application snapshots a prefix of the log.
            guard let last = model.entries.last else { continue }
            let index = LogIndex.random(in: model.snapshot.index + 1...last.index, using: &random)
            let term = try #require(model.entries.first { $0.index == index }).term
            let snapshot = Snapshot(
                metadata: SnapshotMetadata(index: index, term: term, configuration: Configuration(voters: [1, 2, 3])),
                data: [UInt8(truncatingIfNeeded: step), 1, 2])
            try current.compact(to: snapshot)
            model.compact(to: snapshot)
        case 7:
            // A snapshot from a leader replaces the whole log.
            let index = model.lastIndex + LogIndex.random(in: 0...3, using: &random)
            let snapshot = Snapshot(
                metadata: SnapshotMetadata(
                    index: index, term: model.hardState.term + 1, configuration: Configuration(voters: [1, 2])),
                data: [UInt8(truncatingIfNeeded: step)])
            let ready = Ready(hardState: HardState(term: model.hardState.term + 1, commit: index), snapshot: snapshot)
            try current.persist(ready)
            model.persist(ready)
        default:
            store = nil  // closes the environment
            store = try RaftLogStore(path: directory.storePath, configuration: configuration)
        }
        let reopened = try #require(store)
        let loaded = try #require(try reopened.load())
        #expect(loaded.hardState == model.hardState, "seed \(seed) step \(step)")
        #expect(loaded.snapshot == model.snapshot, "seed \(seed) step \(step)")
        #expect(loaded.entries == model.entries, "seed \(seed) step \(step)")
        // Nothing the snapshot covers is left behind on disk.
        #expect(try reopened.entries(from: 0, through: .max) == model.entries, "seed \(seed) step \(step)")
        if loaded.entries != model.entries { return }
    }
}

@Test func aFlippedByteInTheStoredHardStateIsCaughtOnLoad() throws {
    let directory = ScratchDirectory()
    defer { directory.remove() }
    do {
        let store = try RaftLogStore(path: directory.storePath)
        _ = try singleVoterNode(store: store, commands: [])
    }
    do {
        let environment = try Environment(path: directory.storePath)
        let database = try environment.openDatabase("raft.hardState")
        try environment.write { transaction in
            var record = try #require(try transaction.get(RaftLogStore.currentKey, in: database))
            record[8] ^= 0x80  // inside the term
            try transaction.put(RaftLogStore.currentKey, record, in: database)
        }
    }
    let store = try RaftLogStore(path: directory.storePath)
    #expect(throws: RaftLogStoreError.corruptRecord(.hardState)) { try store.load() }
}

@Test func aHoleInTheStoredLogIsMissingEntryOnLoad() throws {
    for missing: LogIndex in [1, 2] {
        let directory = ScratchDirectory()
        defer { directory.remove() }
        do {
            let store = try RaftLogStore(path: directory.storePath)
            _ = try singleVoterNode(store: store, commands: [command("x"), command("y")])
        }
        do {
            let environment = try Environment(path: directory.storePath)
            let database = try environment.openDatabase("raft.entries")
            let existed = try environment.write { transaction throws in
                try transaction.delete(RaftLogStore.entryKey(missing), in: database)
            }
            #expect(existed)
        }
        let store = try RaftLogStore(path: directory.storePath)
        #expect(throws: RaftLogStoreError.missingEntry(index: missing)) { try store.load() }
    }
}
