/// What an auth method hands the core after a successful login: the token to create.
/// The core creates and stores the token, applies the mount's TTL limits, and answers
/// Vault's `auth` block; the auth method never sees the token string.
public struct LoginAuth: Sendable, Equatable {
    /// Policies the token gets (the core adds "default" unless `noDefaultPolicy`).
    public var policies: [String]
    public var noDefaultPolicy: Bool
    /// Shown in `auth.metadata` and stored on the token (e.g. `role_name`).
    public var metadata: [String: String]
    /// Becomes the token's display name, prefixed with the mount's path ("approle").
    public var displayName: String
    /// Seconds; 0 means the mount's default TTL.
    public var ttl: Int64
    /// Seconds; 0 means the mount's max TTL.
    public var maxTTL: Int64
    /// Seconds; a hard cap on the token's life from creation, renewals included (0: none).
    public var explicitMaxTTL: Int64
    /// Seconds; non-zero makes a periodic token.
    public var period: Int64
    /// 0 means unlimited.
    public var numUses: Int
    public var renewable: Bool
    /// CIDR blocks the token may be used from; empty means anywhere.
    public var boundCIDRs: [String]
    /// "service" (default) or "batch".
    public var tokenType: String
    /// Opaque to the core; kept with the token for the auth method (renewal checks).
    public var internalData: [String: String]

    public init(
        policies: [String],
        noDefaultPolicy: Bool = false,
        metadata: [String: String] = [:],
        displayName: String = "",
        ttl: Int64 = 0,
        maxTTL: Int64 = 0,
        explicitMaxTTL: Int64 = 0,
        period: Int64 = 0,
        numUses: Int = 0,
        renewable: Bool = true,
        boundCIDRs: [String] = [],
        tokenType: String = "service",
        internalData: [String: String] = [:]
    ) {
        self.policies = policies
        self.noDefaultPolicy = noDefaultPolicy
        self.metadata = metadata
        self.displayName = displayName
        self.ttl = ttl
        self.maxTTL = maxTTL
        self.explicitMaxTTL = explicitMaxTTL
        self.period = period
        self.numUses = numUses
        self.renewable = renewable
        self.boundCIDRs = boundCIDRs
        self.tokenType = tokenType
        self.internalData = internalData
    }
}
