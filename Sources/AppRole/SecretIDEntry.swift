import Foundation

/// One issued secret_id, stored at `secret_id/<HMAC(role key, role name)>/<HMAC(role key,
/// secret_id)>`. It holds the HMAC, never the secret_id: nothing stored lets anyone
/// recover a secret_id. Times are the request times the core handed in.
struct SecretIDEntry: Codable, Sendable, Equatable {
    var secretIDHMAC: String
    var accessor: String
    /// Uses left; 0 means unlimited.
    var numUses: Int
    /// Seconds as issued; 0 means no expiry.
    var ttl: Int64
    var creationTime: Date
    var expirationTime: Date?
    var lastUpdatedTime: Date
    var metadata: [String: String]
    var cidrList: [String]
    var tokenBoundCIDRs: [String]

    func isExpired(at now: Date) -> Bool {
        guard let expirationTime else { return false }
        return now > expirationTime
    }
}

/// The index from a secret_id accessor to its secret_id's HMAC, stored at
/// `accessor/<HMAC(mount salt, accessor)>`.
struct AccessorIndex: Codable, Sendable, Equatable {
    var secretIDHMAC: String
    /// Where the secret_id's entry is stored (made of HMACs only), so tidy can tell a
    /// dangling accessor from a live one without knowing the role.
    var entryKey: String
}
