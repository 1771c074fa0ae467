/// Key shares collected toward a threshold: for unsealing, for a rekey, or for
/// generating a root token. Lives in memory only, on one node; shares are zeroed when
/// the progress is reset or completes.
///
/// Deterministic: the nonce naming an attempt is supplied by the caller.
public struct UnsealProgress: Sendable {
    public let threshold: Int
    public let nonce: String
    private var shares: [KeyShare] = []

    public init(threshold: Int, nonce: String) {
        self.threshold = threshold
        self.nonce = nonce
    }

    /// How many distinct shares have been given.
    public var count: Int { shares.count }

    public enum Outcome: Sendable {
        /// The same share was given before; progress is unchanged (Vault ignores it).
        case duplicate
        /// Recorded; more are needed.
        case recorded
        /// The threshold is reached: these shares, in the order given. The progress is
        /// empty again afterwards.
        case complete([KeyShare])
    }

    public mutating func add(_ share: KeyShare) -> Outcome {
        if shares.contains(where: { $0.isSame(as: share) }) {
            return .duplicate
        }
        shares.append(share)
        guard shares.count >= threshold else { return .recorded }
        let complete = shares
        shares = []
        return .complete(complete)
    }
}
