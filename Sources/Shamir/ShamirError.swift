/// Why a Shamir split or combine was refused.
///
/// Every malformed input to ``Shamir/combine(_:)`` maps to one of these cases; the
/// functions never trap on input.
public enum ShamirError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `shares` outside 2...255, `threshold` outside 2...shares, or an empty secret.
    case invalidParameters(String)
    /// Fewer than two shares were given to ``Shamir/combine(_:)``.
    case tooFewShares(count: Int)
    /// A share has fewer than two bytes (at least one y byte and the x byte).
    case shareTooShort(length: Int)
    /// The shares do not all have the same length.
    case mismatchedLengths
    /// A share carries the x coordinate 0, which would be the secret itself.
    case zeroX
    /// Two shares carry the same x coordinate.
    case duplicateX(UInt8)

    public var description: String {
        switch self {
        case .invalidParameters(let reason):
            "invalid Shamir parameters: \(reason)"
        case .tooFewShares(let count):
            "at least two shares are required to combine, got \(count)"
        case .shareTooShort(let length):
            "a share must be at least 2 bytes long, got \(length)"
        case .mismatchedLengths:
            "all shares must have the same length"
        case .zeroX:
            "a share has the x coordinate 0"
        case .duplicateX(let x):
            "two shares have the same x coordinate \(x)"
        }
    }
}
