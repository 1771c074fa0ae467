import Foundation
import Storage
import Testing
import TestSupport
@testable import Barrier

/// Seeded random input against every decode path of the barrier: stored values, the
/// envelope parser, the keyring encoding and the unseal path's root key record. Each
/// input must open or fail with a `BarrierError`; nothing may trap.
@Suite("Barrier decoder fuzz")
struct BarrierDecoderFuzzTests {
    /// Random bytes, or a real ciphertext with a few bytes flipped, cut or extended.
    static func input(from valid: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            return rng.bytes(Int.random(in: 0..<96, using: &rng))
        case 1:
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8.random(in: 1...255, using: &rng)
            }
            return bytes
        case 2:
            return Array(valid.prefix(Int.random(in: 0..<valid.count, using: &rng)))
        default:
            return valid + rng.bytes(Int.random(in: 1..<16, using: &rng))
        }
    }

    @Test func storedValuesNeverTrap() async throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "barrier stored values")
        let (barrier, physical, _) = try await makeUnsealedBarrier()
        try await barrier.put("app/value", Array("plaintext".utf8))
        let valid = try #require(await physical.snapshot()["app/value"])
        for round in 0..<3_000 {
            let bytes = Self.input(from: valid, using: &rng)
            try await physical.put("app/value", bytes)
            do {
                let opened = try await barrier.get("app/value")
                // Only the untouched ciphertext may open.
                #expect(bytes == valid && opened == Array("plaintext".utf8), "seed \(seed) round \(round)")
            } catch {
                #expect(error is BarrierError, "seed \(seed) round \(round): \(type(of: error))")
            }
        }
    }

    @Test func envelopeAndKeyringDecodersNeverTrap() throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "barrier envelope and keyring")
        let key = SecretKey()
        let valid = try BarrierEnvelope.seal(Array("x".utf8), key: key, term: 7, path: "p")
        var opened = 0
        for _ in 0..<20_000 {
            let bytes = Self.input(from: valid, using: &rng)
            if let parts = try? BarrierEnvelope.parse(bytes), (try? BarrierEnvelope.open(parts, key: key, path: "p")) != nil {
                opened += 1
                // The term only picks the key (the barrier looks it up in its keyring); every
                // other byte is authenticated.
                #expect(bytes.dropFirst(4).elementsEqual(valid.dropFirst(4)), "seed \(seed): a changed envelope opened")
            }
            _ = try? Keyring(decoding: bytes)
            _ = try? Keyring(decoding: rng.bytes(Int.random(in: 0..<200, using: &rng)))
        }
        #expect(opened <= 20_000)
    }

    @Test func aCorruptRootKeyRecordFailsUnsealWithAnError() async throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "barrier root key record")
        let (barrier, physical, unsealKey) = try await makeUnsealedBarrier()
        let valid = try #require(await physical.snapshot()[Barrier.rootKeyPath])
        await barrier.seal()
        for round in 0..<300 {
            let bytes = Self.input(from: valid, using: &rng)
            guard bytes != valid else { continue }
            try await physical.put(Barrier.rootKeyPath, bytes)
            do {
                try await barrier.unseal(unsealKey: unsealKey)
                Issue.record("seed \(seed) round \(round): unsealed with a corrupt root key record")
                await barrier.seal()
            } catch {
                #expect(error is BarrierError, "seed \(seed) round \(round): \(type(of: error))")
            }
        }
    }
}
