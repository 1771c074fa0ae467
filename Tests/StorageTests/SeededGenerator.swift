#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic SplitMix64 generator for replayable randomised tests.
///
/// The seed comes from `COFFER_SEED` when set, else from the system generator, and is
/// printed so a failure can be replayed with `COFFER_SEED=<seed> swift test ...`.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator seeded from `COFFER_SEED` or at random; prints the seed with `label`.
    static func forTest(_ label: String) -> SeededGenerator {
        let seed: UInt64
        if let text = getenv("COFFER_SEED").map({ String(cString: $0) }), let value = UInt64(text) {
            seed = value
        } else {
            seed = UInt64.random(in: .min ... .max)
        }
        print("[\(label)] COFFER_SEED=\(seed)")
        return SeededGenerator(seed: seed)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }
}
