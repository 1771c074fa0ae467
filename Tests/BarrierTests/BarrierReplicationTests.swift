import Storage
import Testing
@testable import Barrier

/// What a DR secondary does with the primary's keys: re-seal its own records for the primary's keyring, then
/// adopt the primary's root key in memory.
@Suite struct BarrierReplicationTests {
    @Test func secondaryAdoptsThePrimaryKeysAndKeepsItsOwnRecordsReadable() async throws {
        let (primary, primaryPhysical, primaryUnsealKey) = try await makeUnsealedBarrier()
        try await primary.put("logical/a", Array("from the primary".utf8))
        let (secondary, secondaryPhysical, _) = try await makeUnsealedBarrier()
        try await secondary.put("core/cluster/tls-ca", Array("secondary CA".utf8))

        // The secondary installs the primary's records as stored, plus its own re-sealed for the new keyring.
        var rootKey = try await primary.rootKeyForReplication()
        let stored = await primaryPhysical.snapshot()
        let keyring = try #require(stored[Barrier.keyringPath])
        let own = try #require(try await secondary.get("core/cluster/tls-ca"))
        let resealed = try Barrier.seal([("core/cluster/tls-ca", own)], keyringRecord: keyring, rootKey: rootKey)
        var batch: [StorageOperation] = stored.map { .put(key: $0.key, value: $0.value) }
        batch += resealed.map { .put(key: $0.path, value: $0.value) }
        try await secondaryPhysical.batch(batch)

        // Before adopting, the secondary's old keys no longer open its re-sealed record; after, everything opens.
        await #expect(throws: BarrierError.self) { _ = try await secondary.get("core/cluster/tls-ca") }
        try await secondary.adopt(rootKey: rootKey)
        for index in rootKey.indices { rootKey[index] = 0 }
        #expect(try await secondary.get("logical/a") == Array("from the primary".utf8))
        #expect(try await secondary.get("core/cluster/tls-ca") == Array("secondary CA".utf8))
        // And the primary's unseal key now opens the secondary's stored root key.
        #expect(try await secondary.verify(unsealKey: primaryUnsealKey))
    }

    @Test func adoptRefusesAWrongKeyAndKeepsTheOldOnes() async throws {
        let (barrier, _, _) = try await makeUnsealedBarrier()
        try await barrier.put("logical/a", [1])
        await #expect(throws: BarrierError.self) { try await barrier.adopt(rootKey: Array(repeating: 7, count: 32)) }
        await #expect(throws: BarrierError.self) { try await barrier.adopt(rootKey: [1, 2, 3]) }
        #expect(try await barrier.get("logical/a") == [1])
        #expect(throws: BarrierError.self) {
            _ = try Barrier.seal(
                [("core/raft/x", [1])], keyringRecord: [0, 1, 2], rootKey: Array(repeating: 7, count: 32))
        }
    }

    @Test func sealedBarrierGivesNoRootKey() async throws {
        let (barrier, _, _) = try await makeUnsealedBarrier()
        await barrier.seal()
        await #expect(throws: BarrierError.self) { _ = try await barrier.rootKeyForReplication() }
    }
}
