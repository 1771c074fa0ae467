/// An AppRole role as stored at `role/<lowercased name>` in the mount's storage (behind
/// the barrier). Durations are whole seconds. Holds the role's random HMAC key, under
/// which its secret_ids are stored; the key is never returned by any endpoint.
struct Role: Codable, Sendable, Equatable {
    var name: String
    var roleID: String
    /// Hex of 32 random bytes: the HMAC-SHA256 key for this role's secret_ids.
    var hmacKey: String
    var bindSecretID: Bool = true
    /// nil until set, answered as JSON null the way OpenBao answers an unset list.
    var secretIDBoundCIDRs: [String]?
    var secretIDNumUses: Int = 0
    var secretIDTTL: Int64 = 0
    var localSecretIDs: Bool = false

    var tokenPolicies: [String] = []
    /// The legacy `policies` field, answered only while it was the last one written.
    var legacyPolicies: [String]?
    var tokenTTL: Int64 = 0
    var tokenMaxTTL: Int64 = 0
    var tokenExplicitMaxTTL: Int64 = 0
    var tokenPeriod: Int64 = 0
    /// The legacy `period` field, answered only when non-zero.
    var legacyPeriod: Int64 = 0
    var tokenNumUses: Int = 0
    /// "default", "service" or "batch".
    var tokenType: String = "default"
    var tokenBoundCIDRs: [String] = []
    var tokenNoDefaultPolicy: Bool = false
    var tokenStrictlyBindIP: Bool = false

    /// The storage prefix of this role's secret_ids.
    var secretIDPrefix: String { localSecretIDs ? "secret_id_local/" : "secret_id/" }
    /// The storage prefix of this role's accessor index.
    var accessorPrefix: String { localSecretIDs ? "accessor_local/" : "accessor/" }

    /// OpenBao refuses to store a role that binds nothing.
    var hasConstraint: Bool {
        bindSecretID || !(secretIDBoundCIDRs ?? []).isEmpty || !tokenBoundCIDRs.isEmpty
    }
}

/// The index from a role_id to its role, stored at `role_id/<HMAC of role_id>`.
struct RoleIDIndex: Codable, Sendable, Equatable {
    var name: String
}
