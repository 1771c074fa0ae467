import Foundation
import Testing
import TestSupport

@testable import Core

/// The HTTP body parser (`JSONValue.parse`, what every PUT/POST body goes through) fed
/// seeded random input: it answers a value or a `JSONParseError`, never traps, and what
/// it parses re-serialises to something it parses to the same value.
@Suite("JSON body parser fuzz")
struct JSONValueFuzzTests {
    static let fragments = [
        "{", "}", "[", "]", ":", ",", "\"", "\"k\"", "\"v\"", "1", "-0", "1e308", "1e309", "-1.5E-3", "0x10",
        "true", "false", "null", "nul", "\\", "\\u", "\\ud800", "\\u0041", " ", "\n", "é", "\u{0}", "9223372036854775808",
        "{\"a\":", "[1,", "\"\\\"\"", "NaN", "Infinity", "01", ".5", "+1",
    ]

    static func check(_ bytes: [UInt8], seed: UInt64) {
        do {
            let value = try JSONValue.parse(bytes)
            let again = try JSONValue.parse(value.serialized())
            #expect(again == value, "seed \(seed): round trip changed \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        } catch {
            #expect(!error.message.isEmpty, "seed \(seed)")
        }
    }

    @Test func randomBytes() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "JSON randomBytes")
        for _ in 0..<5_000 {
            Self.check(rng.bytes(Int.random(in: 0..<64, using: &rng)), seed: seed)
        }
    }

    @Test func randomFragments() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "JSON randomFragments")
        for _ in 0..<10_000 {
            let count = Int.random(in: 1..<24, using: &rng)
            let text = (0..<count).map { _ in Self.fragments.randomElement(using: &rng) ?? "" }.joined()
            Self.check(Array(text.utf8), seed: seed)
        }
    }

    @Test func mutatedBodies() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "JSON mutatedBodies")
        let valid = Array(#"{"data":{"password":"p","n":[1,2.5,true,null,{"x":"\u00e9"}]},"options":{"cas":0}}"#.utf8)
        for _ in 0..<10_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            Self.check(bytes, seed: seed)
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for depth in [100, 10_000, 200_000] {
            let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            for body in [text, objects] {
                do {
                    _ = try JSONValue.parse(Array(body.utf8))
                    #expect(depth <= 512, "nesting \(depth) accepted")
                } catch {
                    #expect(!error.message.isEmpty)
                }
            }
        }
    }
}
