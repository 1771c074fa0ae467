import Foundation
import Storage
import Testing
@testable import Barrier

/// Physical storage whose reads can be held at a gate, to interleave barrier operations.
actor GatedStorage: Storage {
    let inner = MemoryStorage()
    private var holdReads = false
    private var held: [CheckedContinuation<Void, Never>] = []
    private var arrivals: [CheckedContinuation<Void, Never>] = []

    func holdNextReads() { holdReads = true }

    /// Returns once a read is waiting at the gate.
    func waitForHeldRead() async {
        if !held.isEmpty { return }
        await withCheckedContinuation { arrivals.append($0) }
    }

    func release() {
        holdReads = false
        for continuation in held { continuation.resume() }
        held = []
    }

    func get(_ key: String) async throws -> [UInt8]? {
        if holdReads {
            await withCheckedContinuation { continuation in
                held.append(continuation)
                for arrival in arrivals { arrival.resume() }
                arrivals = []
            }
        }
        return try await inner.get(key)
    }

    func put(_ key: String, _ value: [UInt8]) async throws { try await inner.put(key, value) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [String] { await inner.list(prefix: prefix) }
    func batch(_ operations: [StorageOperation]) async throws { try await inner.batch(operations) }
}

@Suite struct BarrierConcurrencyTests {
    @Test func aReadPendingDuringSealIsNotDecrypted() async throws {
        let physical = GatedStorage()
        let barrier = Barrier(physical: physical)
        let unsealKey = SecretKey()
        try await barrier.initialize(unsealKey: unsealKey)
        try await barrier.unseal(unsealKey: unsealKey)
        try await barrier.put("secret", [1, 2, 3])

        await physical.holdNextReads()
        let read = Task { try await barrier.get("secret") }
        await physical.waitForHeldRead()
        await barrier.seal()
        await physical.release()
        await #expect(throws: BarrierError.sealed) { try await read.value }
    }

    @Test func writesRacingRotationsStayReadable() async throws {
        let (barrier, physical, unsealKey) = try await makeUnsealedBarrier()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask { try await barrier.put("k/\(i)", [UInt8(i)]) }
                if i.isMultiple(of: 16) {
                    group.addTask { try await barrier.rotate() }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await barrier.keyStatus().term == 5)
        var terms = Set<UInt32>()
        for i in 0..<64 {
            #expect(try await barrier.get("k/\(i)") == [UInt8(i)])
            if let stored = try await physical.get("k/\(i)") { terms.insert(term(of: stored) ?? 0) }
        }
        #expect(terms.isSubset(of: Set(1...5)))
        // Every term a value was written under survived into the persisted keyring.
        await barrier.seal()
        try await barrier.unseal(unsealKey: unsealKey)
        for i in 0..<64 {
            #expect(try await barrier.get("k/\(i)") == [UInt8(i)])
        }
    }
}
