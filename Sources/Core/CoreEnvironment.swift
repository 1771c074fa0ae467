import Foundation

/// Time and randomness as the core sees them. Production uses the system clock and
/// CSPRNG; tests pass fixed ones, so decisions that depend on them replay.
public struct CoreEnvironment: Sendable {
    public var now: @Sendable () -> Date
    public var randomBytes: @Sendable (Int) -> [UInt8]

    public init(now: @escaping @Sendable () -> Date, randomBytes: @escaping @Sendable (Int) -> [UInt8]) {
        self.now = now
        self.randomBytes = randomBytes
    }

    public static let system = CoreEnvironment(
        now: { Date() },
        randomBytes: { count in
            var generator = SystemRandomNumberGenerator()
            return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
    )

    /// A random UUID-shaped string (Vault's nonces and request ids have this shape).
    func uuid() -> String {
        let bytes = randomBytes(16)
        let hex = hexString(bytes)
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }
}
