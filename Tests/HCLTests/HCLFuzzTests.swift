import Foundation
import Testing
import TestSupport
@testable import HCL

@Suite("HCL fuzz: no input crashes the parsers")
struct HCLFuzzTests {
    static let tokens = [
        "path", "\"secret/*\"", "{", "}", "[", "]", "=", ",", "capabilities", "\"read\"", "1", "-2.5", "0x1F",
        "true", "false", "# c\n", "// c\n", "/* c */", "/*", "\n", " ", "<<EOF\n", "EOF\n", "<<-X\n", "  X\n",
        "\"\\u00e9\"", "\"${a}\"", "\"\\", "\"", "null", ":", "{\"a\":", "é", "\t", "-", "0755", "1e", "\"\\x4\"",
    ]

    /// Parses with every entry point and checks the one property fuzzing can check: success, or an `HCLError`
    /// whose position is inside the document.
    static func check(_ source: String, seed: UInt64) {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).count
        for form in 0..<3 {
            do {
                switch form {
                case 0: _ = try HCLParser.parse(source)
                case 1: _ = try HCLParser.parseJSON(source)
                default: _ = try HCLParser.parseDocument(source)
                }
            } catch {
                let inside = error.line >= 1 && error.line <= max(lines, 1) + 1 && error.column >= 1
                #expect(inside, "seed \(seed): error position out of range: \(error) for \(source.debugDescription)")
            }
        }
    }

    @Test func randomBytes() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "HCL randomBytes")
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<200, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            Self.check(String(decoding: bytes, as: UTF8.self), seed: seed)
        }
    }

    @Test func tokenSoup() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "HCL tokenSoup")
        for _ in 0..<3_000 {
            let count = Int.random(in: 0..<60, using: &rng)
            let source = (0..<count).map { _ in Self.tokens.randomElement(using: &rng) ?? "" }.joined(separator: " ")
            Self.check(source, seed: seed)
        }
    }

    @Test func truncationsAndMutationsOfValidFiles() throws {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "HCL truncations")
        let json = #"{"path": {"a/*": {"capabilities": ["read"]}}, "ui": true, "n": [1, 2.5, null]}"#
        for valid in [sampleServerConfig, json] {
            _ = try HCLParser.parseDocument(valid)
            let scalars = Array(valid.unicodeScalars)
            for cut in 0...scalars.count {
                var prefix = String.UnicodeScalarView()
                prefix.append(contentsOf: scalars[..<cut])
                Self.check(String(prefix), seed: seed)
            }
            for _ in 0..<1_000 {
                var mutated = Array(valid.utf8)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let index = Int.random(in: 0..<mutated.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: mutated[index] = UInt8.random(in: 0...127, using: &rng)
                    case 1: mutated.remove(at: index)
                    default: mutated.insert(Array("{}[]\"=,#".utf8).randomElement(using: &rng) ?? 0, at: index)
                    }
                }
                Self.check(String(decoding: mutated, as: UTF8.self), seed: seed)
            }
        }
    }

    @Test func deepRandomNesting() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "HCL deepRandomNesting")
        let openers = ["a {", "b = {", "c = [", "[", "{\"k\":", "\"l\" {"]
        for _ in 0..<50 {
            let depth = Int.random(in: 50...5_000, using: &rng)
            let source = (0..<depth).map { _ in openers.randomElement(using: &rng) ?? "" }.joined()
            Self.check(source, seed: seed)
        }
    }
}
