import Foundation
import Storage
import Testing
import TestSupport
@testable import Barrier

/// A barrier over fresh in-memory storage, initialised and unsealed.
func makeUnsealedBarrier() async throws -> (Barrier, MemoryStorage, SecretKey) {
    let physical = MemoryStorage()
    let barrier = Barrier(physical: physical)
    let unsealKey = SecretKey()
    try await barrier.initialize(unsealKey: unsealKey)
    try await barrier.unseal(unsealKey: unsealKey)
    return (barrier, physical, unsealKey)
}

func term(of ciphertext: [UInt8]?) -> UInt32? {
    guard let bytes = ciphertext, bytes.count >= 4 else { return nil }
    return bytes[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
}

@Suite struct BarrierLifecycleTests {
    @Test func initializeStoresSealedRecordsAndStaysSealed() async throws {
        let physical = MemoryStorage()
        let barrier = Barrier(physical: physical)
        #expect(try await barrier.isInitialized() == false)
        try await barrier.initialize(unsealKey: SecretKey())
        #expect(try await barrier.isInitialized())
        #expect(await barrier.isSealed)
        let stored = await physical.snapshot()
        #expect(Set(stored.keys) == [Barrier.rootKeyPath, Barrier.keyringPath])
        // Root key: 32 bytes plus the envelope, term 0, version 1.
        #expect(stored[Barrier.rootKeyPath]?.count == 32 + BarrierEnvelope.overhead)
        #expect(term(of: stored[Barrier.rootKeyPath]) == 0)
        #expect(stored[Barrier.rootKeyPath]?[4] == 1)
        #expect(term(of: stored[Barrier.keyringPath]) == 0)
    }

    @Test func initializeTwiceIsRefused() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        let before = await physical.snapshot()
        await #expect(throws: BarrierError.alreadyInitialized) { try await barrier.initialize(unsealKey: SecretKey()) }
        #expect(await physical.snapshot() == before)
    }

    @Test func unsealBeforeInitializeIsRefused() async throws {
        let barrier = Barrier(physical: MemoryStorage())
        await #expect(throws: BarrierError.notInitialized) { try await barrier.unseal(unsealKey: SecretKey()) }
        await #expect(throws: BarrierError.notInitialized) { try await barrier.verify(unsealKey: SecretKey()) }
    }

    @Test func wrongUnsealKeyIsRejected() async throws {
        let physical = MemoryStorage()
        let barrier = Barrier(physical: physical)
        let unsealKey = SecretKey()
        try await barrier.initialize(unsealKey: unsealKey)
        await #expect(throws: BarrierError.invalidUnsealKey) { try await barrier.unseal(unsealKey: SecretKey()) }
        #expect(await barrier.isSealed)
        #expect(try await barrier.verify(unsealKey: SecretKey()) == false)
        #expect(try await barrier.verify(unsealKey: unsealKey))
        try await barrier.unseal(unsealKey: unsealKey)
        #expect(await barrier.isSealed == false)
        #expect(try await barrier.verify(unsealKey: unsealKey))
        // A wrong key on an unsealed barrier is still rejected and does not seal it.
        await #expect(throws: BarrierError.invalidUnsealKey) { try await barrier.unseal(unsealKey: SecretKey()) }
        #expect(await barrier.isSealed == false)
    }

    @Test func sealZeroesEveryKeyAndStopsDataOperations() async throws {
        let (barrier, _, _) = try await makeUnsealedBarrier()
        try await barrier.put("secret/a", [1, 2, 3])
        try await barrier.rotate()
        let keys = await barrier.keysForTesting()
        #expect(keys.count == 3)  // root key, term 1, term 2
        #expect(keys.allSatisfy { key in key.withUnsafeBytes { bytes in bytes.contains { $0 != 0 } } })

        await barrier.seal()

        #expect(await barrier.isSealed)
        for key in keys {
            #expect(key.isZeroed)
            #expect(key.withUnsafeBytes { bytes in bytes.allSatisfy { $0 == 0 } })
        }
        #expect(await barrier.keysForTesting().isEmpty)
        await #expect(throws: BarrierError.sealed) { try await barrier.get("secret/a") }
        await #expect(throws: BarrierError.sealed) { try await barrier.put("secret/b", [1]) }
        await #expect(throws: BarrierError.sealed) { try await barrier.delete("secret/a") }
        await #expect(throws: BarrierError.sealed) { try await barrier.list(prefix: "") }
        await #expect(throws: BarrierError.sealed) { try await barrier.batch([.delete(key: "secret/a")]) }
        await #expect(throws: BarrierError.sealed) { try await barrier.keyStatus() }
        await #expect(throws: BarrierError.sealed) { try await barrier.rotate() }
        await #expect(throws: BarrierError.sealed) { try await barrier.rekey(newUnsealKey: SecretKey()) }
        await barrier.seal()  // idempotent
    }

    @Test func unsealAfterSealRestoresAccess() async throws {
        let (barrier, _, unsealKey) = try await makeUnsealedBarrier()
        try await barrier.put("a", Array("hello".utf8))
        await barrier.seal()
        try await barrier.unseal(unsealKey: unsealKey)
        #expect(try await barrier.get("a") == Array("hello".utf8))
    }

    @Test func rekeyReplacesTheUnsealKey() async throws {
        let (barrier, physical, oldKey) = try await makeUnsealedBarrier()
        try await barrier.put("kept", [42])
        let newKey = SecretKey()
        try await barrier.rekey(newUnsealKey: newKey)
        #expect(try await barrier.verify(unsealKey: newKey))
        #expect(try await barrier.verify(unsealKey: oldKey) == false)
        await barrier.seal()
        await #expect(throws: BarrierError.invalidUnsealKey) { try await barrier.unseal(unsealKey: oldKey) }
        try await barrier.unseal(unsealKey: newKey)
        #expect(try await barrier.get("kept") == [42])
        // A fresh barrier over the same storage agrees.
        let reopened = Barrier(physical: physical)
        try await reopened.unseal(unsealKey: newKey)
        #expect(try await reopened.get("kept") == [42])
    }

    @Test func aNewBarrierOverTheSameStorageReadsOldData() async throws {
        let (barrier, physical, unsealKey) = try await makeUnsealedBarrier()
        try await barrier.put("x", [9, 9])
        let other = Barrier(physical: physical)
        #expect(await other.isSealed)
        try await other.unseal(unsealKey: unsealKey)
        #expect(try await other.get("x") == [9, 9])
    }

    @Test func tamperedKeyringFailsUnsealWithIntegrity() async throws {
        let (barrier, physical, unsealKey) = try await makeUnsealedBarrier()
        await barrier.seal()
        var keyring = try #require(try await physical.get(Barrier.keyringPath))
        keyring[keyring.count - 1] ^= 0x01
        try await physical.put(Barrier.keyringPath, keyring)
        await #expect(throws: BarrierError.integrity(path: Barrier.keyringPath)) {
            try await barrier.unseal(unsealKey: unsealKey)
        }
        #expect(await barrier.isSealed)
    }
}

@Suite struct BarrierDataTests {
    @Test(arguments: StorageConformance.Check.allCases)
    func conformsToStorage(_ check: StorageConformance.Check) async throws {
        let (barrier, _, _) = try await makeUnsealedBarrier()
        // The suite expects an empty storage; the barrier's records live under core/.
        try await StorageConformance.run(check, on: barrier.view(prefix: "logical/test/"))
    }

    @Test func roundTripStoresOnlyCiphertext() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        let secret = Array("correct horse battery staple".utf8)
        try await barrier.put("secret/pw", secret)
        #expect(try await barrier.get("secret/pw") == secret)
        #expect(try await barrier.get("secret/missing") == nil)
        #expect(try await barrier.list(prefix: "secret/") == ["pw"])

        let stored = try #require(try await physical.get("secret/pw"))
        #expect(stored.count == secret.count + BarrierEnvelope.overhead)
        #expect(term(of: stored) == 1)
        #expect(stored[4] == 1)
        #expect(!contains(stored, secret))

        try await barrier.delete("secret/pw")
        #expect(try await barrier.get("secret/pw") == nil)
        #expect(try await physical.get("secret/pw") == nil)
    }

    @Test func sameValueEncryptsDifferentlyEachTime() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        try await barrier.put("a", [1, 2, 3])
        try await barrier.put("b", [1, 2, 3])
        let a = try #require(try await physical.get("a"))
        let b = try #require(try await physical.get("b"))
        #expect(a[5..<17] != b[5..<17])  // nonces differ
        #expect(a != b)
    }

    @Test func batchEncryptsEveryPut() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        try await barrier.put("gone", [0])
        try await barrier.batch([
            .put(key: "p/1", value: [0xAA, 0xBB]), .delete(key: "gone"), .put(key: "p/2", value: []),
        ])
        #expect(try await barrier.get("p/1") == [0xAA, 0xBB])
        #expect(try await barrier.get("p/2") == [])
        #expect(try await barrier.get("gone") == nil)
        #expect(try await physical.get("p/1")?.count == 2 + BarrierEnvelope.overhead)
        #expect(term(of: try await physical.get("p/2")) == 1)
    }

    @Test func rotationKeepsOldTermsReadableAndUsesTheNewest() async throws {
        let (barrier, physical, unsealKey) = try await makeUnsealedBarrier()
        let first = try await barrier.keyStatus()
        #expect(first.term == 1)
        try await barrier.put("old", [1])
        #expect(try await barrier.keyStatus().encryptions == 1)

        #expect(try await barrier.rotate() == 2)
        let second = try await barrier.keyStatus()
        #expect(second.term == 2)
        #expect(second.installTime >= first.installTime)
        #expect(second.encryptions == 0)
        try await barrier.put("new", [2])
        #expect(term(of: try await physical.get("old")) == 1)
        #expect(term(of: try await physical.get("new")) == 2)
        #expect(try await barrier.get("old") == [1])
        #expect(try await barrier.get("new") == [2])

        // Rewriting an old value moves it to the new term.
        try await barrier.put("old", [3])
        #expect(term(of: try await physical.get("old")) == 2)

        // The rotation is durable: a sealed/unsealed barrier still has term 2 and both values.
        await barrier.seal()
        try await barrier.unseal(unsealKey: unsealKey)
        #expect(try await barrier.keyStatus().term == 2)
        #expect(try await barrier.get("old") == [3])
        #expect(try await barrier.get("new") == [2])
    }

    @Test func installTimesComeFromTheInjectedClock() async throws {
        let physical = MemoryStorage()
        let fixed = Date(timeIntervalSince1970: 1_700_000_000.123)
        let barrier = Barrier(physical: physical, now: { fixed })
        let unsealKey = SecretKey()
        try await barrier.initialize(unsealKey: unsealKey)
        try await barrier.unseal(unsealKey: unsealKey)
        let status = try await barrier.keyStatus()
        #expect(abs(status.installTime.timeIntervalSince(fixed)) < 0.001)
    }

    @Test func concurrentRotationsEachGetTheirOwnTerm() async throws {
        let (barrier, _, unsealKey) = try await makeUnsealedBarrier()
        let terms = try await withThrowingTaskGroup(of: KeyTerm.self) { group in
            for _ in 0..<8 { group.addTask { try await barrier.rotate() } }
            var terms = [KeyTerm]()
            for try await term in group { terms.append(term) }
            return terms
        }
        #expect(terms.sorted() == Array(2...9))
        try await barrier.put("after", [7])
        await barrier.seal()
        try await barrier.unseal(unsealKey: unsealKey)
        #expect(try await barrier.keyStatus().term == 9)
        #expect(try await barrier.get("after") == [7])
    }

    @Test func swappedCiphertextsFailIntegrityAtBothPaths() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        try await barrier.put("a", Array("alpha".utf8))
        try await barrier.put("b", Array("bravo".utf8))
        let a = try #require(try await physical.get("a"))
        let b = try #require(try await physical.get("b"))
        try await physical.put("a", b)
        try await physical.put("b", a)
        await #expect(throws: BarrierError.integrity(path: "a")) { try await barrier.get("a") }
        await #expect(throws: BarrierError.integrity(path: "b")) { try await barrier.get("b") }
    }

    @Test func headerTamperingGivesTypedErrors() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        try await barrier.put("v", [1, 2, 3, 4])
        let good = try #require(try await physical.get("v"))

        var unknownTerm = good
        unknownTerm[3] = 7
        try await physical.put("v", unknownTerm)
        await #expect(throws: BarrierError.unknownTerm(7)) { try await barrier.get("v") }

        var badVersion = good
        badVersion[4] = 2
        try await physical.put("v", badVersion)
        await #expect(throws: BarrierError.unsupportedVersion(2)) { try await barrier.get("v") }

        try await physical.put("v", Array(good.prefix(BarrierEnvelope.overhead - 1)))
        await #expect(throws: BarrierError.self) { try await barrier.get("v") }

        try await physical.put("v", [])
        await #expect(throws: BarrierError.self) { try await barrier.get("v") }

        var flipped = good
        flipped[BarrierEnvelope.headerLength + BarrierEnvelope.nonceLength] ^= 0x80
        try await physical.put("v", flipped)
        await #expect(throws: BarrierError.integrity(path: "v")) { try await barrier.get("v") }
    }

    @Test func reservedPathsAreRefused() async throws {
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        let before = await physical.snapshot()
        for path in [Barrier.rootKeyPath, Barrier.keyringPath, Barrier.keyringPath + "/x", Barrier.rootKeyPath + "/"] {
            await #expect(throws: BarrierError.reservedPath(path)) { try await barrier.put(path, [1]) }
            await #expect(throws: BarrierError.reservedPath(path)) { try await barrier.get(path) }
            await #expect(throws: BarrierError.reservedPath(path)) { try await barrier.delete(path) }
            await #expect(throws: BarrierError.reservedPath(path)) {
                try await barrier.batch([.put(key: "fine", value: [1]), .delete(key: path)])
            }
        }
        #expect(await physical.snapshot() == before)
        // Neighbouring names are ordinary data paths.
        try await barrier.put("core/keyring-notes", [5])
        #expect(try await barrier.get("core/keyring-notes") == [5])
        // list passes through, so the records are visible by name only.
        #expect(try await barrier.list(prefix: "core/") == ["keyring", "keyring-notes", "root-key"])
    }

    @Test func decoderSurvivesRandomInputTruncationAndBitFlips() async throws {
        var rng = SeededGenerator.forTest("decoderSurvivesRandomInputTruncationAndBitFlips")
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        let secret = rng.bytes(48)
        try await barrier.put("f", secret)
        let good = try #require(try await physical.get("f"))

        for round in 0..<600 {
            var input: [UInt8]
            switch round % 3 {
            case 0:  // random bytes, sometimes with a valid-looking header
                input = rng.bytes(Int.random(in: 0...120, using: &rng))
                if input.count >= 5, Bool.random(using: &rng) {
                    input.replaceSubrange(0..<5, with: [0, 0, 0, 1, 1])
                }
            case 1:  // truncation
                input = Array(good.prefix(Int.random(in: 0..<good.count, using: &rng)))
            default:  // one to three bit flips
                input = good
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    input[Int.random(in: 0..<input.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                }
                if input == good { continue }
            }
            try await physical.put("f", input)
            do {
                let value = try await barrier.get("f")
                Issue.record("round \(round): a corrupted value opened to \(value?.count ?? -1) bytes")
            } catch let error as BarrierError {
                switch error {
                case .integrity, .unknownTerm, .unsupportedVersion, .malformed: break
                default: Issue.record("round \(round): unexpected \(error)")
                }
            }
        }
    }
}

/// Whether `needle` occurs in `haystack` as a contiguous run.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    return haystack.withUnsafeBufferPointer { hay in
        needle.withUnsafeBufferPointer { pattern in
            let first = pattern[0]
            var start = 0
            while start <= hay.count - pattern.count {
                if hay[start] == first {
                    var offset = 1
                    while offset < pattern.count, hay[start + offset] == pattern[offset] { offset += 1 }
                    if offset == pattern.count { return true }
                }
                start += 1
            }
            return false
        }
    }
}
