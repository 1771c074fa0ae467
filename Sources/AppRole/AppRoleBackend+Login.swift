import Core
import Foundation
import Storage

/// `login`: role_id (+ secret_id when the role binds one) in, ``LoginAuth`` out.
extension AppRoleBackend {
    static let invalidCredentials = "invalid role or secret ID"

    func login(_ request: BackendRequest) async throws(CoreError) -> Response {
        // OpenBao validates login fields in its alias lookahead, where a failure is a 500.
        let fields = FieldReader(request.data)
        let roleID: String
        let presentedSecretID: String
        do throws(CoreError) {
            roleID = (try fields.string("role_id") ?? "").trimmingSpaces()
            presentedSecretID = (try fields.string("secret_id") ?? "").trimmingSpaces()
        } catch {
            if case .badRequest(let message) = error { throw .internal(message) }
            throw error
        }
        if roleID.isEmpty { throw .internal("missing role_id") }

        let storage = request.storage
        let mount = try await mountHMAC(storage)
        guard let index = try await loadJSON(RoleIDIndex.self, "role_id/" + mount.hex(roleID), storage),
            let role = try await loadRole(index.name, storage),
            ConstantTime.equal(role.roleID, roleID)
        else { throw .badRequest(Self.invalidCredentials) }

        var entry: SecretIDEntry?
        if role.bindSecretID {
            if presentedSecretID.isEmpty { throw .badRequest("missing secret_id") }
            entry = try await spend(presentedSecretID, of: role, request)
        }
        let remote = request.remoteAddress.map(Self.clientIP) ?? ""
        if let blocks = role.secretIDBoundCIDRs, !blocks.isEmpty {
            if remote.isEmpty { throw CoreError.goError("failed to get connection information") }
            if !CIDRList.admits(remote, blocks) {
                throw .badRequest(
                    "source address \"\(remote)\" unauthorized by CIDR restrictions on the role: %!w(<nil>)")
            }
        }
        var boundCIDRs = role.tokenBoundCIDRs
        if let entry, !entry.tokenBoundCIDRs.isEmpty {
            boundCIDRs = try CIDRList.normalisedAddresses(entry.tokenBoundCIDRs)
        } else if role.tokenStrictlyBindIP, boundCIDRs.isEmpty, !remote.isEmpty {
            // OpenBao 2.7.2 computes this binding and then overwrites it; Coffer keeps it.
            boundCIDRs = [remote]
        }
        var metadata = entry?.metadata ?? [:]
        metadata["role_name"] = role.name
        return .login(
            LoginAuth(
                // Sanitised as OpenBao's token store does (trimmed, lowercased, deduplicated).
                policies: Self.sanitisedPolicies(role.tokenPolicies),
                noDefaultPolicy: role.tokenNoDefaultPolicy,
                metadata: metadata,
                displayName: "",
                ttl: role.tokenTTL,
                maxTTL: role.tokenMaxTTL,
                explicitMaxTTL: role.tokenExplicitMaxTTL,
                period: role.tokenPeriod,
                numUses: role.tokenNumUses,
                renewable: true,
                boundCIDRs: boundCIDRs,
                tokenType: role.tokenType == "batch" ? "batch" : "service",
                internalData: ["role_name": role.name]))
    }

    /// Checks a presented secret_id and spends one of its uses, all under the secret_id's
    /// lock: of concurrent logins, exactly as many succeed as uses were left; the last use
    /// deletes the secret_id and its accessor in one batch. Answers the entry as it was
    /// before the use was spent.
    func spend(_ secretID: String, of role: Role, _ request: BackendRequest) async throws(CoreError) -> SecretIDEntry {
        if secretID.utf8.count > Self.maxHMACInput {
            throw CoreError.goError(
                "failed to create HMAC of secret_id: value is longer than maximum of \(Self.maxHMACInput) bytes")
        }
        let storage = request.storage
        let key = try roleHMAC(role)
        let secretIDHMAC = key.hex(secretID)
        let entryKey = role.secretIDPrefix + key.hex(role.name) + "/" + secretIDHMAC
        let mount = try await mountHMAC(storage)
        let remote = request.remoteAddress.map(Self.clientIP) ?? ""
        return try await locks.withLock(Self.secretIDLockKey(secretIDHMAC)) {
            () async throws(CoreError) -> SecretIDEntry in
            guard var entry = try await loadJSON(SecretIDEntry.self, entryKey, storage),
                ConstantTime.equal(entry.secretIDHMAC, secretIDHMAC)
            else { throw .badRequest(Self.invalidCredentials) }
            let accessorKey = role.accessorPrefix + mount.hex(entry.accessor)
            // Expired secret_ids are refused at once (OpenBao waits for its periodic tidy).
            if entry.isExpired(at: request.now) {
                try await commit([.delete(key: accessorKey), .delete(key: entryKey)], storage)
                throw .badRequest(Self.invalidCredentials)
            }
            if try await loadJSON(AccessorIndex.self, accessorKey, storage) == nil {
                try await commit([.delete(key: entryKey)], storage)
                throw .badRequest(Self.invalidCredentials)
            }
            let original = entry
            if entry.numUses == 0 {
                try CIDRList.requireSubset(entry.cidrList, of: role.secretIDBoundCIDRs ?? [])
                if !entry.cidrList.isEmpty {
                    if remote.isEmpty { throw CoreError.goError("failed to get connection information") }
                    if !CIDRList.admits(remote, entry.cidrList) {
                        throw .badRequest(
                            "source address \"\(remote)\" unauthorized through CIDR restrictions on the secret ID")
                    }
                }
                return original
            }
            // OpenBao 2.7.2 spends the use first but rolls the write back when the CIDR
            // check refuses the login; checking first gives the same outcome.
            try CIDRList.requireSubset(entry.cidrList, of: role.secretIDBoundCIDRs ?? [])
            if !entry.cidrList.isEmpty {
                if remote.isEmpty { throw CoreError.goError("failed to get connection information") }
                if !CIDRList.admits(remote, entry.cidrList) {
                    throw .badRequest(
                        "source address \"\(remote)\" unauthorized by CIDR restrictions on the secret ID: %!w(<nil>)")
                }
            }
            if entry.numUses == 1 {
                try await commit([.delete(key: accessorKey), .delete(key: entryKey)], storage)
            } else {
                entry.numUses -= 1
                entry.lastUpdatedTime = request.now
                try await commit([.put(key: entryKey, value: try Self.encode(entry))], storage)
            }
            return original
        }
    }

    /// The IP part of a client address that may carry a port.
    static func clientIP(_ remote: String) -> String {
        if IPAddress.bytes(remote) != nil { return remote }
        if remote.hasPrefix("["), let close = remote.firstIndex(of: "]") {
            return String(remote[remote.index(after: remote.startIndex)..<close])
        }
        if let colon = remote.lastIndex(of: ":"), remote.firstIndex(of: ":") == colon {
            return String(remote[..<colon])
        }
        return remote
    }
}
