import Foundation
import Testing
import TestSupport

@testable import Core

/// `JSONValue.parse` and `serialized()` read and write bytes by hand; Foundation's Codable path, which they
/// replaced, is the oracle: on every input both accept or both refuse, and accept the same value, and both
/// writers give the same bytes.
@Suite("JSON codec against Foundation")
struct JSONValueCodecTests {
    static func oracleParse(_ bytes: [UInt8]) -> JSONValue? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object([:]) }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static func oracleWrite(_ value: JSONValue) -> [UInt8]? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { Array($0) }
    }

    /// Where the two may differ, on purpose, siding with OpenBao's Go decoder: Foundation accepts a trailing
    /// comma, a leading byte-order mark and UTF-16 or UTF-32 input (it guesses the encoding from NUL bytes),
    /// which Go and this reader refuse, and keeps the first of duplicate keys where Go and this reader keep
    /// the last.
    static func agree(_ bytes: [UInt8], _ note: String) {
        let ours = try? JSONValue.parse(bytes)
        let theirs = oracleParse(bytes)
        let shown = "\(note): \(String(decoding: bytes, as: UTF8.self).debugDescription)"
        switch (ours, theirs) {
        case (nil, .some):
            #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.contains(0) || hasTrailingComma(bytes),
                    "refused: \(shown)")
        case (.some(let mine), .some(let foundation)) where mine != foundation:
            #expect(hasDuplicateKey(bytes), "\(mine) != \(foundation): \(shown)")
        default:
            #expect(ours == theirs, "\(shown)")
        }
    }

    /// Outside strings, a ',' followed (after whitespace) by ']' or '}'.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        var pendingComma = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == 0x22 { inString = false }
                continue
            }
            switch byte {
            case 0x22: inString = true; pendingComma = false
            case UInt8(ascii: ","): pendingComma = true
            case UInt8(ascii: "]"), UInt8(ascii: "}"): if pendingComma { return true }
            case 0x20, 0x09, 0x0A, 0x0D: break
            default: pendingComma = false
            }
        }
        return false
    }

    /// Some object holds the same raw member name twice.
    static func hasDuplicateKey(_ bytes: [UInt8]) -> Bool {
        var names: [Set<[UInt8]>] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["): names.append([])
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = names.popLast()
            case 0x22:
                var end = index + 1
                var escaped = false
                while end < bytes.count {
                    if escaped { escaped = false } else if bytes[end] == UInt8(ascii: "\\") { escaped = true } else if bytes[end] == 0x22 { break }
                    end += 1
                }
                let name = Array(bytes[index..<min(end + 1, bytes.count)])
                var next = end + 1
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: ":"), !names.isEmpty {
                    if names[names.count - 1].contains(name) { return true }
                    names[names.count - 1].insert(name)
                }
                index = end
            default: break
            }
            index += 1
        }
        return false
    }

    @Test(arguments: [
        "", "  ", "{}", "[]", "null", "true", "false", "0", "-0", "5", "-5", "5.0", "1e2", "1E+2", "-1.5e-3", "0.1",
        "1.5", "1e15", "1e16", "9007199254740992.0", "9007199254740994.0", "-9007199254740992.5", "4807628883353465763.14159",
        "1e20", "1e308", "1e309", "-1e309", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1.0000000000000000001",
        "01", "-", "-01", "1.", ".5", "+1", "1e", "0x10", "NaN", "Infinity", "[1,]", "{\"a\":1,}", "{\"a\" 1}",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":[1,2,{\"c\":null}]}}", "\"\\u0041\\n\\t\\\\\\\"\\/\"", "\"\\ud83d\\ude00\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u00\"", "\"\\x\"", "\"a\u{1}b\"", "\"é✓😀\"",
        "[1 2]", "{1:2}", "nul", "truex", "[", "]", "\"open", " [ 1 , \"x\" ] ", "\u{FEFF}{}", "{\"\":\"\"}",
    ])
    func edgeCases(_ text: String) {
        Self.agree(Array(text.utf8), "edge case")
    }

    @Test func invalidUTF8AndNesting() {
        Self.agree([0x22, 0xFF, 0x22], "invalid UTF-8")
        Self.agree([0x22, 0xC3, 0x22], "truncated UTF-8")
        Self.agree([0x22, 0xED, 0xA0, 0x80, 0x22], "encoded surrogate")
        for depth in [1, 100, 511, 512, 513, 2000] {
            Self.agree(Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8),
                       "depth \(depth)")
        }
    }

    static func randomValue(_ rng: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        let strings = ["", "a", "key", "é", "😀", "a/b", "q\"uote", "back\\slash", "line\nbreak", "\u{1}\u{1f}", "tab\t"]
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: .min ... .max, using: &rng) >> Int64.random(in: 0..<64, using: &rng))
        case 3:
            let double = [0.5, -2.25, 1e-7, 3.14159, 1e300, -1e-300, 123456.789, 0.1 + 0.2].randomElement(using: &rng)!
            return .double(double)
        case 4: return .string(strings.randomElement(using: &rng)!)
        case 5: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<4, using: &rng) {
                members[strings.randomElement(using: &rng)! + String(Int.random(in: 0..<3, using: &rng))] =
                    randomValue(&rng, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func randomValuesWriteTheSameBytesAndReadBack() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "JSON codec values")
        for _ in 0..<2_000 {
            let value = Self.randomValue(&rng)
            let ours = value.serialized()
            #expect(ours == Self.oracleWrite(value), "seed \(seed): \(value)")
            #expect((try? JSONValue.parse(ours)) == Self.oracleParse(ours), "seed \(seed): \(value)")
        }
    }

    @Test func mutatedDocumentsAreJudgedAlike() {
        var (rng, seed) = SeededGenerator.fromEnvironment(test: "JSON codec mutations")
        let alphabet = Array("{}[]:,\"\\u0123456789abcdefEe.+- tnrfl\n".utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        for _ in 0..<3_000 {
            var bytes = Self.randomValue(&rng).serialized()
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                }
            }
            Self.agree(bytes, "seed \(seed)")
        }
    }
}
