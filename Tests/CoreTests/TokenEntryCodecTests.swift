import Foundation
import Testing
import TestSupport

@testable import Core

/// `TokenEntry.decode` reads the stored shape by hand; `JSONDecoder` is the oracle.
struct TokenEntryCodecTests {
    static func randomEntry(_ rng: inout SeededGenerator) -> TokenEntry {
        let words = ["", "a", "root", "default", "é😀", "q\"uote", "x/y", "line\nbreak"]
        func word() -> String { words.randomElement(using: &rng)! }
        func map() -> [String: String]? {
            Bool.random(using: &rng) ? nil : Dictionary((0..<Int.random(in: 0..<3, using: &rng)).map { _ in (word(), word()) }, uniquingKeysWith: { a, _ in a })
        }
        let issue = [0, 1, 1e9 + 0.123456789, -12.5, 7.0e8, Double(Int64.random(in: 0...2_000_000_000, using: &rng)) / 7]
            .randomElement(using: &rng)!
        return TokenEntry(
            accessor: word(), policies: (0..<Int.random(in: 0..<4, using: &rng)).map { _ in word() }, path: word(),
            displayName: word(), meta: map(), numUses: Int.random(in: -1...5, using: &rng),
            creationTime: Int64.random(in: 0...Int64.max, using: &rng), issueTime: Date(timeIntervalSinceReferenceDate: issue),
            ttlSeconds: Int64.random(in: 0...100_000, using: &rng), expireAt: Int64.random(in: 0...Int64.max, using: &rng),
            explicitMaxTTLSeconds: Int64.random(in: 0...9, using: &rng), periodSeconds: Int64.random(in: 0...9, using: &rng),
            renewable: Bool.random(using: &rng), parentHash: Bool.random(using: &rng) ? nil : word(),
            boundCIDRs: Bool.random(using: &rng) ? [] : ["10.0.0.0/8"], internalData: map(),
            type: Bool.random(using: &rng) ? "service" : "batch")
    }

    @Test func storedEntriesDecodeByHandAsJSONDecoderDecodesThem() throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "TokenEntry codec")
        for _ in 0..<2_000 {
            let entry = Self.randomEntry(&rng)
            let bytes = Array(try JSONEncoder().encode(entry))
            let byHand = TokenEntry(stored: try JSONValue.parse(bytes))
            #expect(byHand == entry, "seed \(seed)")
            #expect(try TokenEntry.decode(bytes) == JSONDecoder().decode(TokenEntry.self, from: Data(bytes)), "seed \(seed)")
        }
    }

    @Test func otherShapesFallBackToJSONDecoder() throws {
        var rng = SeededGenerator(seed: 7)
        let bytes = Array(try JSONEncoder().encode(Self.randomEntry(&rng)))
        guard case .object(var fields) = try JSONValue.parse(bytes) else {
            Issue.record("not an object")
            return
        }
        // A missing required field: neither reads it.
        fields["accessor"] = nil
        let missing = JSONValue.object(fields).serialized()
        #expect(TokenEntry(stored: try JSONValue.parse(missing)) == nil)
        #expect(throws: (any Error).self) { try TokenEntry.decode(missing) }
        // A wrong type where Codable is lenient or strict: the answer is always JSONDecoder's.
        fields["accessor"] = .string("a")
        fields["renewable"] = .int(1)
        let wrongType = JSONValue.object(fields).serialized()
        #expect(TokenEntry(stored: try JSONValue.parse(wrongType)) == nil)
        #expect((try? TokenEntry.decode(wrongType)) == (try? JSONDecoder().decode(TokenEntry.self, from: Data(wrongType))))
        // Unknown keys are ignored by both.
        fields["renewable"] = .bool(true)
        fields["somethingNew"] = .string("x")
        let extra = JSONValue.object(fields).serialized()
        #expect(TokenEntry(stored: try JSONValue.parse(extra)) != nil)
        #expect(try TokenEntry.decode(extra) == JSONDecoder().decode(TokenEntry.self, from: Data(extra)))
    }
}
