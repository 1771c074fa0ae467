import Foundation

/// A token as stored: everything about it except the token string itself, which is
/// kept only as a salted HMAC (the storage key).
public struct TokenEntry: Codable, Sendable, Equatable {
    public var accessor: String
    public var policies: [String]
    /// The path that created it ("auth/token/create", "auth/approle/login", or for a
    /// wrapping token the path of the wrapped request).
    public var path: String
    public var displayName: String
    public var meta: [String: String]?
    /// Uses left; 0 is unlimited.
    public var numUses: Int
    /// Unix seconds.
    public var creationTime: Int64
    public var issueTime: Date
    /// The TTL given at creation, seconds (0: none).
    public var ttlSeconds: Int64
    /// Unix seconds when it expires; 0 never.
    public var expireAt: Int64
    public var explicitMaxTTLSeconds: Int64
    public var periodSeconds: Int64
    public var renewable: Bool
    /// Storage hash of the parent token; nil for orphans.
    public var parentHash: String?
    public var boundCIDRs: [String]
    public var internalData: [String: String]?
    public var type: String

    public var isRoot: Bool { policies.contains("root") }
    public var isOrphan: Bool { parentHash == nil }
    public var isWrapping: Bool { policies == [TokenEntry.wrappingPolicy] }

    static let wrappingPolicy = "response-wrapping"

    public init(
        accessor: String, policies: [String], path: String, displayName: String, meta: [String: String]? = nil,
        numUses: Int = 0, creationTime: Int64, issueTime: Date, ttlSeconds: Int64 = 0, expireAt: Int64 = 0,
        explicitMaxTTLSeconds: Int64 = 0, periodSeconds: Int64 = 0, renewable: Bool = false,
        parentHash: String? = nil, boundCIDRs: [String] = [], internalData: [String: String]? = nil,
        type: String = "service"
    ) {
        self.accessor = accessor
        self.policies = policies
        self.path = path
        self.displayName = displayName
        self.meta = meta
        self.numUses = numUses
        self.creationTime = creationTime
        self.issueTime = issueTime
        self.ttlSeconds = ttlSeconds
        self.expireAt = expireAt
        self.explicitMaxTTLSeconds = explicitMaxTTLSeconds
        self.periodSeconds = periodSeconds
        self.renewable = renewable
        self.parentHash = parentHash
        self.boundCIDRs = boundCIDRs
        self.internalData = internalData
        self.type = type
    }

    func isExpired(at now: Date) -> Bool {
        expireAt != 0 && Int64(now.timeIntervalSince1970) >= expireAt
    }
}
