/// Why the barrier refused an operation. Errors from the physical storage underneath are
/// passed through unchanged, not wrapped.
public enum BarrierError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The barrier holds no keys; unseal it first.
    case sealed
    /// No root key record exists yet; initialise first.
    case notInitialized
    /// `initialize` was called on a barrier whose storage already holds a root key.
    case alreadyInitialized
    /// The unseal key does not open the stored root key.
    case invalidUnsealKey
    /// The value at `path` failed authentication: it was tampered with, corrupted, or
    /// written for another path.
    case integrity(path: String)
    /// The value names a key term the keyring does not hold.
    case unknownTerm(UInt32)
    /// The value's format version is not one this barrier writes.
    case unsupportedVersion(UInt8)
    /// A stored record cannot be decoded (too short, inconsistent lengths, ...).
    case malformed(String)
    /// Key material of the wrong length was offered.
    case invalidKeyLength(Int)
    /// The path belongs to the barrier's own records and is not reachable through its
    /// `Storage` interface.
    case reservedPath(String)
    /// The keyring cannot take another term.
    case termExhausted

    public var description: String {
        switch self {
        case .sealed: "the barrier is sealed"
        case .notInitialized: "the barrier is not initialized"
        case .alreadyInitialized: "the barrier is already initialized"
        case .invalidUnsealKey: "the unseal key does not open the root key"
        case .integrity(let path): "integrity check failed for the value at \(path)"
        case .unknownTerm(let term): "no key with term \(term) in the keyring"
        case .unsupportedVersion(let version): "unsupported barrier value version \(version)"
        case .malformed(let reason): "malformed barrier record: \(reason)"
        case .invalidKeyLength(let length): "a key must be \(SecretKey.byteCount) bytes, got \(length)"
        case .reservedPath(let path): "the path \(path) is reserved for the barrier"
        case .termExhausted: "the keyring has reached the largest key term"
        }
    }
}
