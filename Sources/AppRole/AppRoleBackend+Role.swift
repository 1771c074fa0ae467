import Core
import Storage

/// Role CRUD, listing and role_id, as OpenBao's `role/<name>` and `role/<name>/role-id`.
extension AppRoleBackend {
    static let maxHMACInput = 4096

    func listRoles(_ request: BackendRequest) async throws(CoreError) -> Response {
        let names = try Self.page(try await list("role/", request.storage).filter { !$0.hasSuffix("/") }, request)
        guard !names.isEmpty else { throw .notFound([]) }
        return .data(["keys": .array(names.map { .string($0) })])
    }

    /// OpenBao's paginated LIST: names strictly after `after`, at most `limit` of them
    /// (no limit when absent or not positive).
    static func page(_ names: [String], _ request: BackendRequest) throws(CoreError) -> [String] {
        let fields = FieldReader(request.data)
        var result = names
        if let after = try fields.string("after"), !after.isEmpty {
            result = result.filter { Array(after.utf8).lexicographicallyPrecedes(Array($0.utf8)) }
        }
        if let limit = try fields.int("limit"), limit > 0, result.count > limit {
            result = Array(result.prefix(limit))
        }
        return result
    }

    func readRole(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        guard let role = try await loadRole(name, request.storage) else { throw .notFound([]) }
        return .data(Self.describe(role))
    }

    static func describe(_ role: Role) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "bind_secret_id": .bool(role.bindSecretID),
            "local_secret_ids": .bool(role.localSecretIDs),
            "secret_id_bound_cidrs": role.secretIDBoundCIDRs.map(strings) ?? .null,
            "secret_id_num_uses": .int(Int64(role.secretIDNumUses)),
            "secret_id_ttl": .int(role.secretIDTTL),
            "token_bound_cidrs": strings(role.tokenBoundCIDRs),
            "token_explicit_max_ttl": .int(role.tokenExplicitMaxTTL),
            "token_max_ttl": .int(role.tokenMaxTTL),
            "token_no_default_policy": .bool(role.tokenNoDefaultPolicy),
            "token_num_uses": .int(Int64(role.tokenNumUses)),
            "token_period": .int(role.tokenPeriod),
            "token_policies": strings(role.tokenPolicies),
            "token_strictly_bind_ip": .bool(role.tokenStrictlyBindIP),
            "token_ttl": .int(role.tokenTTL),
            "token_type": .string(role.tokenType),
        ]
        if role.legacyPeriod != 0 { data["period"] = .int(role.legacyPeriod) }
        if let policies = role.legacyPolicies, !policies.isEmpty { data["policies"] = strings(policies) }
        return data
    }

    static func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }

    func writeRole(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        if name.utf8.count > Self.maxHMACInput {
            throw .badRequest("role_name is longer than maximum of \(Self.maxHMACInput) bytes")
        }
        return try await locks.withLock(Self.roleLockKey) { () async throws(CoreError) -> Response in
            let existing = try await loadRole(name, request.storage)
            let creating = existing == nil
            var role = existing ?? Role(name: name.lowercased(), roleID: "", hmacKey: SecretHMAC.hexString(random(32)))
            var data = request.data
            var warnings: [String] = []
            switch data["token_type"] {
            case .string("default-service")?:
                data["token_type"] = "service"
                warnings.append("default-service has no useful meaning; adjusting to service")
            case .string("default-batch")?:
                data["token_type"] = "batch"
                warnings.append("default-batch has no useful meaning; adjusting to batch")
            default: break
            }
            let fields = FieldReader(data, errorPrefix: "")
            try Self.applyTokenFields(fields, to: &role, remoteAddress: request.remoteAddress)

            if let local = try fields.bool("local_secret_ids") {
                guard creating else { throw .badRequest("local_secret_ids can only be modified during role creation") }
                role.localSecretIDs = local
            }
            let previousRoleID = role.roleID
            if let roleID = try fields.string("role_id") {
                role.roleID = roleID
            } else if creating {
                role.roleID = uuid()
            }
            if role.roleID.isEmpty { throw .badRequest("invalid role_id supplied, or failed to generate a role_id") }
            if let bind = try fields.bool("bind_secret_id") { role.bindSecretID = bind }
            if let cidrs = try fields.commaStrings("secret_id_bound_cidrs") {
                role.secretIDBoundCIDRs = cidrs
            } else if let cidrs = try fields.commaStrings("bound_cidr_list") {
                role.secretIDBoundCIDRs = cidrs
            }
            if let cidrs = role.secretIDBoundCIDRs, !cidrs.isEmpty { _ = try CIDRList.validate(cidrs) }
            if let uses = try fields.int("secret_id_num_uses") { role.secretIDNumUses = uses }
            if role.secretIDNumUses < 0 { throw .badRequest("secret_id_num_uses cannot be negative") }
            if let ttl = try fields.seconds("secret_id_ttl") { role.secretIDTTL = ttl }

            try Self.upgradeLegacyFields(fields, on: &role)
            if role.legacyPeriod > maxLeaseTTL {
                throw .badRequest(
                    "period of \"\(GoDuration.string(seconds: role.legacyPeriod))\" is greater than the backend's "
                        + "maximum lease TTL of \"\(GoDuration.string(seconds: maxLeaseTTL))\"")
            }
            if role.tokenMaxTTL > maxLeaseTTL {
                warnings.append(
                    "token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL "
                        + "value will be truncated")
            }
            try await saveRole(role, previousRoleID: previousRoleID, request.storage)
            if warnings.isEmpty { return .noContent }
            return Response(status: 200, body: .logical(LogicalBody(warnings: warnings)))
        }
    }

    /// OpenBao's `tokenutil.ParseTokenFields`, in its order and with its messages.
    static func applyTokenFields(_ fields: FieldReader, to role: inout Role, remoteAddress: String?) throws(CoreError) {
        if let cidrs = try fields.commaStrings("token_bound_cidrs") {
            role.tokenBoundCIDRs = try CIDRList.normalisedAddresses(cidrs)
        }
        if let value = try fields.seconds("token_explicit_max_ttl") { role.tokenExplicitMaxTTL = value }
        if let value = try fields.seconds("token_max_ttl") { role.tokenMaxTTL = value }
        if role.tokenMaxTTL < 0 { throw .badRequest("'token_max_ttl' cannot be negative") }
        if let value = try fields.bool("token_no_default_policy") { role.tokenNoDefaultPolicy = value }
        if let value = try fields.seconds("token_period") { role.tokenPeriod = value }
        if role.tokenPeriod < 0 { throw .badRequest("'token_period' cannot be negative") }
        if let value = try fields.commaStrings("token_policies") { role.tokenPolicies = value }
        if let value = try fields.string("token_type") {
            switch value {
            case "", "default": role.tokenType = "default"
            case "service", "batch": role.tokenType = value
            default: throw .badRequest("invalid 'token_type' value \"\(value)\"")
            }
        }
        if let value = try fields.int("token_num_uses") { role.tokenNumUses = value }
        if role.tokenNumUses < 0 { throw .badRequest("'token_num_uses' cannot be negative") }
        if role.tokenType == "batch" {
            if role.tokenPeriod != 0 {
                throw .badRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
            }
            if role.tokenNumUses != 0 {
                throw .badRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use "
                        + "count")
            }
        }
        if let value = try fields.seconds("token_ttl") { role.tokenTTL = value }
        if role.tokenTTL < 0 { throw .badRequest("'token_ttl' cannot be negative") }
        if role.tokenTTL > 0, role.tokenMaxTTL > 0, role.tokenTTL > role.tokenMaxTTL {
            throw .badRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
        }
        if let value = try fields.bool("token_strictly_bind_ip") { role.tokenStrictlyBindIP = value }
        if role.tokenStrictlyBindIP, !role.tokenBoundCIDRs.isEmpty {
            throw .badRequest("'token_strictly_bind_ip' conflicts with 'token_bound_cidrs'; set only one")
        }
    }

    /// The legacy `policies` and `period` fields: written alone they set the new field
    /// too; the new field written alone clears them.
    static func upgradeLegacyFields(_ fields: FieldReader, on role: inout Role) throws(CoreError) {
        if fields.has("token_policies") {
            role.legacyPolicies = fields.has("policies") ? role.tokenPolicies : nil
        } else if let legacy = try fields.commaStrings("policies") {
            role.legacyPolicies = sanitisedPolicies(legacy)
            role.tokenPolicies = role.legacyPolicies ?? []
        }
        if fields.has("token_period") {
            role.legacyPeriod = fields.has("period") ? role.tokenPeriod : 0
        } else if let legacy = try fields.seconds("period") {
            role.legacyPeriod = legacy
            role.tokenPeriod = legacy
        }
    }

    /// OpenBao's `policyutil.ParsePolicies`: trimmed, lowercased, without empties or
    /// duplicates, sorted; "root" anywhere means only "root".
    static func sanitisedPolicies(_ items: [String]) -> [String] {
        let cleaned = Set(items.map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty })
        if cleaned.contains("root") { return ["root"] }
        return cleaned.sorted()
    }

    /// Stores a role and keeps the role_id index one-to-one, in one atomic batch. Callers
    /// hold the role lock.
    func saveRole(_ role: Role, previousRoleID: String, _ storage: any Storage) async throws(CoreError) {
        guard role.hasConstraint else {
            throw CoreError.goError("at least one constraint should be enabled on the role")
        }
        let mount = try await mountHMAC(storage)
        let indexKey = "role_id/" + mount.hex(role.roleID)
        if let index = try await loadJSON(RoleIDIndex.self, indexKey, storage), index.name != role.name {
            throw CoreError.goError("role_id already in use")
        }
        var operations: [StorageOperation] = []
        if !previousRoleID.isEmpty, previousRoleID != role.roleID {
            operations.append(.delete(key: "role_id/" + mount.hex(previousRoleID)))
        }
        operations.append(.put(key: Self.roleKey(role.name), value: try Self.encode(role)))
        if previousRoleID.isEmpty || previousRoleID != role.roleID {
            operations.append(.put(key: indexKey, value: try Self.encode(RoleIDIndex(name: role.name))))
        }
        try await commit(operations, storage)
    }

    func deleteRole(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        try await locks.withLock(Self.roleLockKey) { () async throws(CoreError) -> Response in
            let storage = request.storage
            guard let role = try await loadRole(name, storage) else { return .noContent }
            let mount = try await mountHMAC(storage)
            let key = try roleHMAC(role)
            var operations: [StorageOperation] = []
            let directory = role.secretIDPrefix + key.hex(role.name) + "/"
            for child in try await list(directory, storage) where !child.hasSuffix("/") {
                if let entry = try await loadJSON(SecretIDEntry.self, directory + child, storage) {
                    operations.append(.delete(key: role.accessorPrefix + mount.hex(entry.accessor)))
                }
                operations.append(.delete(key: directory + child))
            }
            operations.append(.delete(key: "role_id/" + mount.hex(role.roleID)))
            operations.append(.delete(key: Self.roleKey(role.name)))
            try await commit(operations, storage)
            return .noContent
        }
    }

    func readRoleID(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        guard let role = try await loadRole(name, request.storage) else { throw .notFound([]) }
        return .data(["role_id": .string(role.roleID)])
    }

    func writeRoleID(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        let fields = FieldReader(request.data)
        let roleID = try fields.string("role_id") ?? ""
        return try await locks.withLock(Self.roleLockKey) { () async throws(CoreError) -> Response in
            guard var role = try await loadRole(name, request.storage) else {
                throw .notFound([CoreError.wrapped("unsupported path")])
            }
            if roleID.isEmpty { throw .badRequest("missing role_id") }
            let previous = role.roleID
            role.roleID = roleID
            try await saveRole(role, previousRoleID: previous, request.storage)
            return .noContent
        }
    }

    /// The HMAC keyed with the role's own random key.
    func roleHMAC(_ role: Role) throws(CoreError) -> SecretHMAC {
        guard let bytes = SecretHMAC.bytes(fromHex: role.hmacKey), !bytes.isEmpty else {
            throw CoreError.goError("invalid HMAC key")
        }
        return SecretHMAC(keyBytes: bytes)
    }
}
