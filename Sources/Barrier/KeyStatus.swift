import Foundation

/// A key term: the generation number of a keyring data key. Terms start at 1 and grow
/// by one with each rotation; 0 marks the barrier's own records (root key, keyring).
public typealias KeyTerm = UInt32

/// The state of the keyring's active (newest) data key.
public struct KeyStatus: Sendable, Equatable {
    /// The term new writes are encrypted under.
    public let term: KeyTerm
    /// When this key was added to the keyring (by `initialize` or `rotate`).
    public let installTime: Date
    /// Encryptions performed with this key by this process since it was unsealed or the
    /// key was installed. Not persisted; random 96-bit nonces call for rotation well
    /// before 2^32 encryptions per key.
    public let encryptions: UInt64

    public init(term: KeyTerm, installTime: Date, encryptions: UInt64) {
        self.term = term
        self.installTime = installTime
        self.encryptions = encryptions
    }
}
