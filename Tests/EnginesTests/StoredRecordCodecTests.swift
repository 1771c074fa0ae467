import Core
import Foundation
import Testing
import TestSupport

@testable import Engines

/// KV v2's records are read by hand (`FastStoredRecord`); `JSONDecoder` is the oracle.
struct StoredRecordCodecTests {
    static func agree<T: FastStoredRecord & Encodable & Equatable>(_ value: T, seed: UInt64) throws {
        let bytes = try StoredRecord.encode(value)
        let byHand = T(stored: try JSONValue.parse(bytes))
        #expect(byHand == value, "seed \(seed): \(value)")
        #expect(byHand == (try JSONDecoder().decode(T.self, from: Data(bytes))), "seed \(seed)")
    }

    static func timestamp(_ rng: inout SeededGenerator) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: Int64.random(in: Int64.min...Int64.max, using: &rng) >> Int64.random(in: 0..<63, using: &rng))
    }

    @Test func kvRecordsDecodeByHandAsJSONDecoderDecodesThem() throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "KV record codec")
        let words = ["", "a", "é😀", "q\"uote", "x/y"]
        for _ in 0..<1_000 {
            var metadata = KeyMetadata(key: words.randomElement(using: &rng)!)
            for number in 0..<UInt64.random(in: 0..<12, using: &rng) {
                metadata.setVersion(number, VersionMetadata(
                    createdTime: Self.timestamp(&rng), deletionTime: Bool.random(using: &rng) ? nil : Self.timestamp(&rng),
                    destroyed: Bool.random(using: &rng)))
            }
            metadata.currentVersion = UInt64.random(in: 0...UInt64(Int64.max), using: &rng)
            metadata.oldestVersion = UInt64.random(in: 0...100, using: &rng)
            metadata.createdTime = Bool.random(using: &rng) ? nil : Self.timestamp(&rng)
            metadata.updatedTime = Bool.random(using: &rng) ? nil : Self.timestamp(&rng)
            metadata.maxVersions = UInt32.random(in: 0...UInt32.max, using: &rng)
            metadata.casRequired = Bool.random(using: &rng)
            metadata.deleteVersionAfter = Bool.random(using: &rng) ? nil : Int64.random(in: -1...1_000_000, using: &rng)
            metadata.customMetadata = Bool.random(using: &rng) ? nil : [words.randomElement(using: &rng)!: "v"]
            metadata.metadataCasRequired = Bool.random(using: &rng)
            metadata.currentMetadataVersion = UInt64.random(in: 0...9, using: &rng)
            try Self.agree(metadata, seed: seed)

            let data: [String: JSONValue]? = Bool.random(using: &rng) ? nil : [
                "s": .string(words.randomElement(using: &rng)!), "n": .int(Int64.random(in: -9...9, using: &rng)),
                "f": .double(0.5), "nested": .object(["a": .array([.null, .bool(true)])]),
            ]
            try Self.agree(StoredVersion(data: data, createdTime: Self.timestamp(&rng)), seed: seed)

            var config = KVv2Config()
            config.maxVersions = UInt32.random(in: 0...50, using: &rng)
            config.casRequired = Bool.random(using: &rng)
            config.metadataCasRequired = Bool.random(using: &rng)
            config.deleteVersionAfter = Bool.random(using: &rng) ? nil : Int64.random(in: -1...100, using: &rng)
            try Self.agree(config, seed: seed)
        }
    }

    @Test func anyOtherShapeIsLeftToJSONDecoder() throws {
        var metadata = KeyMetadata(key: "k")
        metadata.setVersion(1, VersionMetadata(createdTime: Timestamp(nanosecondsSinceEpoch: 5)))
        guard case .object(var fields) = try JSONValue.parse(try StoredRecord.encode(metadata)) else {
            Issue.record("not an object")
            return
        }
        fields["maxVersions"] = .int(-1)  // out of UInt32: JSONDecoder refuses it too
        #expect(KeyMetadata(stored: .object(fields)) == nil)
        #expect((try? JSONDecoder().decode(KeyMetadata.self, from: Data(JSONValue.object(fields).serialized()))) == nil)
        fields["maxVersions"] = .int(3)
        fields["versions"] = .object(["1": .object(["createdTime": .string("yesterday"), "destroyed": .bool(false)])])
        #expect(KeyMetadata(stored: .object(fields)) == nil)
        fields["versions"] = .object([:])
        fields["unknown"] = .bool(true)
        #expect(KeyMetadata(stored: .object(fields)) != nil)
    }
}
