/// A numeric literal as written: integers stay exact, anything with a fraction or exponent is a float.
public enum HCLNumber: Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case float(Double)

    /// The value as a `Double`; integers convert exactly up to 2^53.
    public var doubleValue: Double {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        }
    }

    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .float(let value): String(value)
        }
    }
}
