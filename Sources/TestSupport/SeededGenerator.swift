import Foundation

/// SplitMix64: a deterministic generator for replayable randomised tests, shared by every
/// test target. The seed comes from `COFFER_SEED` when set, else from the system
/// generator, and is printed so a failure replays with `COFFER_SEED=<seed> swift test`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator seeded from `COFFER_SEED` or at random; prints the seed with `label`.
    public static func forTest(_ label: String) -> SeededGenerator {
        fromEnvironment(test: label).0
    }

    /// Like ``forTest(_:)``, also answering the seed.
    public static func fromEnvironment(test label: String) -> (SeededGenerator, UInt64) {
        let seed = ProcessInfo.processInfo.environment["COFFER_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: .min ... .max)
        print("[\(label)] COFFER_SEED=\(seed)")
        return (SeededGenerator(seed: seed), seed)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }
}
