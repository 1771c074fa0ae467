import Foundation
import Testing
import TestSupport
@testable import Barrier

@Suite struct SecretKeyTests {
    @Test func generatedKeysAreRandomAndFullLength() {
        let a = SecretKey()
        let b = SecretKey()
        #expect(a.copyBytes().count == 32)
        #expect(a != b)
        #expect(a.copyBytes() != [UInt8](repeating: 0, count: 32))
    }

    @Test func keysFromBytesCopyAndCompareByValue() throws {
        var bytes = (0..<32).map { UInt8($0) }
        let a = try SecretKey(bytes: bytes)
        let b = try SecretKey(bytes: bytes)
        #expect(a == b)
        #expect(a == a)
        bytes[0] = 0xFF  // the key holds its own copy
        #expect(a.copyBytes()[0] == 0)
        let c = try SecretKey(bytes: bytes)
        #expect(a != c)
        var last = (0..<32).map { UInt8($0) }
        last[31] ^= 1
        #expect(a != (try SecretKey(bytes: last)))
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func wrongLengthsAreRejected(length: Int) {
        #expect(throws: BarrierError.invalidKeyLength(length)) {
            try SecretKey(bytes: [UInt8](repeating: 1, count: length))
        }
    }

    @Test func zeroOverwritesTheBytes() throws {
        let key = try SecretKey(bytes: [UInt8](repeating: 0xA5, count: 32))
        #expect(key.isZeroed == false)
        key.zero()
        #expect(key.isZeroed)
        #expect(key.copyBytes() == [UInt8](repeating: 0, count: 32))
        key.zero()
        #expect(key.isZeroed)
    }

    @Test func descriptionsNeverShowTheBytes() throws {
        let key = try SecretKey(bytes: [UInt8](repeating: 0xAB, count: 32))
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped, "\([key])"] {
            #expect(text.contains("redacted") || text.contains("SecretKey"))
            #expect(!text.lowercased().contains("ab, ") && !text.contains("171"))
        }
        #expect("\(key)" == "SecretKey(redacted)")
    }

    @Test func equalityIsSafeAcrossThreads() async throws {
        let a = try SecretKey(bytes: [UInt8](repeating: 3, count: 32))
        let b = try SecretKey(bytes: [UInt8](repeating: 3, count: 32))
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<200 { group.addTask { i.isMultiple(of: 2) ? a == b : b == a } }
            var all = [Bool]()
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 200 && results.allSatisfy { $0 })
    }
}

@Suite struct KeyringEncodingTests {
    @Test func roundTrips() throws {
        let first = Keyring(firstKey: SecretKey(), installTime: Date(timeIntervalSince1970: 1_000))
        let keyring = try first.adding(SecretKey(), installTime: Date(timeIntervalSince1970: 2_000.5))
        let decoded = try Keyring(decoding: keyring.encoded())
        #expect(decoded.activeTerm == 2)
        #expect(decoded.entries.count == 2)
        #expect(decoded.key(for: 1) == keyring.key(for: 1))
        #expect(decoded.key(for: 2) == keyring.key(for: 2))
        #expect(decoded.active.installTime == Date(timeIntervalSince1970: 2_000.5))
    }

    @Test func decoderSurvivesRandomAndTruncatedInput() throws {
        var rng = SeededGenerator.forTest("KeyringEncodingTests.decoderSurvives")
        let keyring = try Keyring(firstKey: SecretKey(), installTime: Date()).adding(SecretKey(), installTime: Date())
        let good = keyring.encoded()
        for length in 0..<good.count {
            #expect(throws: BarrierError.self) { try Keyring(decoding: good.prefix(length)) }
        }
        var opened = 0
        for _ in 0..<2000 {
            var input = Bool.random(using: &rng) ? good : rng.bytes(Int.random(in: 0...120, using: &rng))
            if !input.isEmpty {
                input[Int.random(in: 0..<min(9, input.count), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if (try? Keyring(decoding: input)) != nil { opened += 1 }
        }
        // Corrupting the header usually breaks it; anything that decodes is self-consistent.
        #expect(opened < 2000)
    }

    @Test func inconsistentKeyringsAreRejected() throws {
        let key = SecretKey()
        #expect(throws: BarrierError.self) {
            try Keyring(entries: [.init(term: 1, key: key, installTime: Date())], activeTerm: 2)
        }
        #expect(throws: BarrierError.self) {
            try Keyring(entries: [.init(term: 0, key: key, installTime: Date())], activeTerm: 0)
        }
        #expect(throws: BarrierError.self) {
            try Keyring(entries: [.init(term: 1, key: key, installTime: Date()),
                                  .init(term: 1, key: key, installTime: Date())], activeTerm: 1)
        }
        #expect(throws: BarrierError.self) { try Keyring(entries: [], activeTerm: 1) }
    }
}
