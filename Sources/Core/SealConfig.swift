/// How many shares the unseal key was split into and how many unseal it. Stored in
/// clear at `core/seal-config` (it holds no secret) so a sealed node can report it.
public struct SealConfig: Codable, Sendable, Equatable {
    public static let storageKey = "core/seal-config"

    public var type: String
    public var secretShares: Int
    public var secretThreshold: Int

    enum CodingKeys: String, CodingKey {
        case type
        case secretShares = "secret_shares"
        case secretThreshold = "secret_threshold"
    }

    /// Validates shares and threshold with Vault's rules and messages.
    public init(shares: Int, threshold: Int) throws(CoreError) {
        if shares < 1 {
            throw CoreError.badRequest("invalid seal configuration: shares must be at least one")
        }
        if threshold < 1 {
            throw CoreError.badRequest("invalid seal configuration: threshold must be at least one")
        }
        if shares > 1 && threshold == 1 {
            throw CoreError.badRequest("invalid seal configuration: threshold must be greater than one for multiple shares")
        }
        if shares > 255 {
            throw CoreError.badRequest("invalid seal configuration: shares must be less than 256")
        }
        if threshold > shares {
            throw CoreError.badRequest("invalid seal configuration: threshold cannot be larger than shares")
        }
        self.type = "shamir"
        self.secretShares = shares
        self.secretThreshold = threshold
    }
}
