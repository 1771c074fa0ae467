import Foundation

/// A token as stored: everything about it except the token string itself, which is
/// kept only as a salted HMAC (the storage key).
public struct TokenEntry: Codable, Sendable, Equatable {
    public var accessor: String
    public var policies: [String]
    public var path: String
    public var displayName: String
    public var meta: [String: String]
    public var numUses: Int
    public var creationTime: Int64
    public var ttlSeconds: Int64
    public var explicitMaxTTLSeconds: Int64
    public var periodSeconds: Int64
    public var renewable: Bool
    public var parentHash: String?
    public var orphan: Bool

    enum CodingKeys: String, CodingKey {
        case accessor, policies, path, meta, renewable, orphan
        case displayName = "display_name"
        case numUses = "num_uses"
        case creationTime = "creation_time"
        case ttlSeconds = "ttl"
        case explicitMaxTTLSeconds = "explicit_max_ttl"
        case periodSeconds = "period"
        case parentHash = "parent"
    }

    public var isRoot: Bool { policies.contains("root") }
}
