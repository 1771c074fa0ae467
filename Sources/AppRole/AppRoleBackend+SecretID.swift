import Core
import Foundation
import Storage

/// secret_id issue, listing, lookup and destroy (by secret_id and by accessor), and tidy.
extension AppRoleBackend {
    static func secretIDLockKey(_ hmac: String) -> String { "secret_id:" + hmac }

    func createSecretID(_ name: String, custom: Bool, _ request: BackendRequest) async throws(CoreError) -> Response {
        let fields = FieldReader(request.data)
        let customSecretID = custom ? (try fields.string("secret_id") ?? "") : ""
        let cidrList = try fields.commaStrings("cidr_list") ?? []
        let tokenCIDRs = try fields.commaStrings("token_bound_cidrs") ?? []
        let requestedUses = try fields.int("num_uses")
        let requestedTTL = try fields.seconds("ttl")
        let metadataText = try fields.string("metadata") ?? ""
        let secretID = custom ? customSecretID : uuid()
        if secretID.isEmpty { throw .badRequest("missing secret_id") }

        // Shared: secret_ids for the same role are issued concurrently (each waits on its own
        // replicated write); a change to a role still waits for every issue in flight, as Vault's
        // read lock on the role does.
        return try await locks.withSharedLock(Self.roleLockKey) { () async throws(CoreError) -> Response in
            let storage = request.storage
            guard let role = try await loadRole(name, storage) else {
                throw .notFound(["role \"\(name)\" does not exist"])
            }
            guard role.bindSecretID else { throw .badRequest("bind_secret_id is not set on the role") }
            if !cidrList.isEmpty { _ = try CIDRList.validate(cidrList) }
            try CIDRList.requireSubset(cidrList, of: role.secretIDBoundCIDRs ?? [])
            if !tokenCIDRs.isEmpty { _ = try CIDRList.validate(tokenCIDRs, what: "token CIDR blocks") }
            try CIDRList.requireSubset(tokenCIDRs, of: role.tokenBoundCIDRs)

            var numUses = role.secretIDNumUses
            if let requestedUses {
                if requestedUses < 0 { throw .badRequest("num_uses cannot be negative") }
                if role.secretIDNumUses > 0, requestedUses == 0 || requestedUses > role.secretIDNumUses {
                    throw .badRequest("num_uses cannot be higher than the role's secret_id_num_uses")
                }
                numUses = requestedUses
            }
            var ttl = role.secretIDTTL
            if let requestedTTL {
                if role.secretIDTTL > 0, requestedTTL == 0 || requestedTTL > role.secretIDTTL {
                    throw .badRequest("ttl cannot be longer than the role's secret_id_ttl")
                }
                ttl = requestedTTL
            }
            let metadata: [String: String]
            do throws(SecretIDMetadata.ParseError) {
                metadata = try SecretIDMetadata.parse(metadataText)
            } catch {
                throw .badRequest("failed to parse metadata: \(error.message)")
            }
            if secretID.utf8.count > Self.maxHMACInput {
                throw CoreError.goError(
                    "failed to store secret_id: failed to create HMAC of secret ID: value is longer than maximum of "
                        + "\(Self.maxHMACInput) bytes")
            }
            let key = try roleHMAC(role)
            let secretIDHMAC = key.hex(secretID)
            let entryKey = role.secretIDPrefix + key.hex(role.name) + "/" + secretIDHMAC
            let effectiveTTL = effectiveSecretIDTTL(ttl)
            let accessor = uuid()
            let mount = try await mountHMAC(storage)
            let entry = SecretIDEntry(
                secretIDHMAC: secretIDHMAC, accessor: accessor, numUses: numUses, ttl: ttl,
                creationTime: request.now,
                expirationTime: effectiveTTL == 0 ? nil : request.now.addingTimeInterval(TimeInterval(effectiveTTL)),
                lastUpdatedTime: request.now, metadata: metadata, cidrList: cidrList, tokenBoundCIDRs: tokenCIDRs)
            let response = Response.data([
                "secret_id": .string(secretID),
                "secret_id_accessor": .string(accessor),
                "secret_id_ttl": .int(effectiveTTL),
                "secret_id_num_uses": .int(Int64(numUses)),
            ])
            return try await locks.withLock(Self.secretIDLockKey(secretIDHMAC)) {
                () async throws(CoreError) -> Response in
                if try await loadJSON(SecretIDEntry.self, entryKey, storage) != nil {
                    throw CoreError.goError("failed to store secret_id: SecretID is already registered")
                }
                let operations: [StorageOperation] = [
                    .put(
                        key: role.accessorPrefix + mount.hex(accessor),
                        value: try Self.encode(AccessorIndex(secretIDHMAC: secretIDHMAC, entryKey: entryKey))),
                    .put(key: entryKey, value: try Self.encode(entry)),
                ]
                // Wrapped (the secret-zero delivery): the secret_id and its wrapping token are one write, made
                // under the role's and the secret_id's locks like the unwrapped one.
                if let wrapping = request.wrapping { return try await wrapping.commit(operations, with: response) }
                try await commit(operations, storage)
                return response
            }
        }
    }

    /// OpenBao caps a secret_id's TTL at the mount's maximum lease TTL.
    func effectiveSecretIDTTL(_ ttl: Int64) -> Int64 {
        ttl < 0 || ttl > maxLeaseTTL ? maxLeaseTTL : ttl
    }

    func listSecretIDs(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        let storage = request.storage
        guard let role = try await loadRole(name, storage) else {
            throw .badRequest("role \"\(name)\" does not exist")
        }
        let directory = role.secretIDPrefix + (try roleHMAC(role)).hex(role.name) + "/"
        var accessors: [JSONValue] = []
        let children = try Self.page(try await list(directory, storage).filter { !$0.hasSuffix("/") }, request)
        for child in children {
            guard let entry = try await loadJSON(SecretIDEntry.self, directory + child, storage) else {
                throw CoreError.goError("storage entry for SecretID is present but no content found at the index")
            }
            accessors.append(.string(entry.accessor))
        }
        guard !accessors.isEmpty else { throw .notFound([]) }
        return .data(["keys": .array(accessors)])
    }

    static func describe(_ entry: SecretIDEntry) -> [String: JSONValue] {
        [
            "secret_id_accessor": .string(entry.accessor),
            "secret_id_num_uses": .int(Int64(entry.numUses)),
            "secret_id_ttl": .int(entry.ttl),
            "creation_time": .string(GoTime.string(entry.creationTime)),
            "expiration_time": .string(GoTime.string(entry.expirationTime)),
            "last_updated_time": .string(GoTime.string(entry.lastUpdatedTime)),
            "metadata": .object(entry.metadata.mapValues { .string($0) }),
            "cidr_list": strings(entry.cidrList),
            "token_bound_cidrs": strings(entry.tokenBoundCIDRs),
        ]
    }

    /// The role and the storage location of a presented secret_id.
    struct SecretIDLocation: Sendable {
        var role: Role
        var secretIDHMAC: String
        var entryKey: String
    }

    func locate(
        secretID: String, roleName: String, _ storage: any Storage
    ) async throws(CoreError) -> SecretIDLocation {
        guard let role = try await loadRole(roleName, storage) else {
            throw CoreError.goError("role \"\(roleName)\" does not exist")
        }
        if secretID.utf8.count > Self.maxHMACInput {
            throw CoreError.goError(
                "failed to create HMAC of secret_id: value is longer than maximum of \(Self.maxHMACInput) bytes")
        }
        let key = try roleHMAC(role)
        let secretIDHMAC = key.hex(secretID)
        return SecretIDLocation(
            role: role, secretIDHMAC: secretIDHMAC,
            entryKey: role.secretIDPrefix + key.hex(role.name) + "/" + secretIDHMAC)
    }

    func lookupSecretID(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        let secretID = try FieldReader(request.data).string("secret_id") ?? ""
        if secretID.isEmpty { throw .badRequest("missing secret_id") }
        let storage = request.storage
        let location = try await locate(secretID: secretID, roleName: name, storage)
        let mount = try await mountHMAC(storage)
        return try await locks.withLock(Self.secretIDLockKey(location.secretIDHMAC)) {
            () async throws(CoreError) -> Response in
            guard let entry = try await loadJSON(SecretIDEntry.self, location.entryKey, storage) else {
                return .noContent
            }
            let accessorKey = location.role.accessorPrefix + mount.hex(entry.accessor)
            if try await loadJSON(AccessorIndex.self, accessorKey, storage) == nil {
                try await commit([.delete(key: location.entryKey)], storage)
                throw .badRequest("invalid secret id")
            }
            return .data(Self.describe(entry))
        }
    }

    func destroySecretID(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        let secretID = try FieldReader(request.data).string("secret_id") ?? ""
        if secretID.isEmpty { throw .badRequest("missing secret_id") }
        let storage = request.storage
        let location = try await locate(secretID: secretID, roleName: name, storage)
        let mount = try await mountHMAC(storage)
        return try await locks.withLock(Self.secretIDLockKey(location.secretIDHMAC)) {
            () async throws(CoreError) -> Response in
            guard let entry = try await loadJSON(SecretIDEntry.self, location.entryKey, storage) else {
                return .noContent
            }
            try await commit(
                [
                    .delete(key: location.role.accessorPrefix + mount.hex(entry.accessor)),
                    .delete(key: location.entryKey),
                ], storage)
            return .noContent
        }
    }

    func lookupAccessor(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        let accessor = try FieldReader(request.data).string("secret_id_accessor") ?? ""
        if accessor.isEmpty { throw .badRequest("missing secret_id_accessor") }
        let storage = request.storage
        guard let role = try await loadRole(name, storage) else {
            throw CoreError.goError("role \"\(name)\" does not exist")
        }
        let mount = try await mountHMAC(storage)
        guard let index = try await loadJSON(AccessorIndex.self, role.accessorPrefix + mount.hex(accessor), storage)
        else {
            let message = "failed to find accessor entry for secret_id_accessor: \"\(accessor)\""
            return Response(status: 404, body: .logical(LogicalBody(data: ["error": .string(message)])))
        }
        let entryKey = role.secretIDPrefix + (try roleHMAC(role)).hex(role.name) + "/" + index.secretIDHMAC
        return try await locks.withLock(Self.secretIDLockKey(index.secretIDHMAC)) {
            () async throws(CoreError) -> Response in
            guard let entry = try await loadJSON(SecretIDEntry.self, entryKey, storage) else { return .noContent }
            return .data(Self.describe(entry))
        }
    }

    func destroyAccessor(_ name: String, _ request: BackendRequest) async throws(CoreError) -> Response {
        let accessor = try FieldReader(request.data).string("secret_id_accessor") ?? ""
        if accessor.isEmpty { throw .badRequest("missing secret_id_accessor") }
        let storage = request.storage
        guard let role = try await loadRole(name, storage) else {
            throw CoreError.goError("role \"\(name)\" does not exist")
        }
        let mount = try await mountHMAC(storage)
        let accessorKey = role.accessorPrefix + mount.hex(accessor)
        guard let index = try await loadJSON(AccessorIndex.self, accessorKey, storage) else {
            throw CoreError.goError("failed to find accessor entry for secret_id_accessor: \"\(accessor)\"")
        }
        let entryKey = role.secretIDPrefix + (try roleHMAC(role)).hex(role.name) + "/" + index.secretIDHMAC
        return try await locks.withLock(Self.secretIDLockKey(index.secretIDHMAC)) {
            () async throws(CoreError) -> Response in
            guard try await loadJSON(SecretIDEntry.self, entryKey, storage) != nil else {
                throw .permissionDenied
            }
            try await commit([.delete(key: accessorKey), .delete(key: entryKey)], storage)
            return .noContent
        }
    }

    /// Deletes expired secret_ids and accessor entries that point at no secret_id.
    /// Runs to completion before answering (OpenBao answers 202 and works in the
    /// background); each deletion re-checks its entry under the secret_id's lock.
    func tidy(_ request: BackendRequest) async throws(CoreError) -> Response {
        let storage = request.storage
        let mount = try await mountHMAC(storage)
        for (secretPrefix, accessorPrefix) in [("secret_id/", "accessor/"), ("secret_id_local/", "accessor_local/")] {
            for roleDirectory in try await list(secretPrefix, storage) where roleDirectory.hasSuffix("/") {
                let directory = secretPrefix + roleDirectory
                for child in try await list(directory, storage) where !child.hasSuffix("/") {
                    let entryKey = directory + child
                    try await locks.withLock(Self.secretIDLockKey(child)) { () async throws(CoreError) in
                        guard let entry = try await loadJSON(SecretIDEntry.self, entryKey, storage),
                            entry.isExpired(at: request.now)
                        else { return }
                        try await commit(
                            [.delete(key: accessorPrefix + mount.hex(entry.accessor)), .delete(key: entryKey)],
                            storage)
                    }
                }
            }
            for accessorKey in try await list(accessorPrefix, storage) where !accessorKey.hasSuffix("/") {
                let key = accessorPrefix + accessorKey
                guard let index = try await loadJSON(AccessorIndex.self, key, storage) else { continue }
                try await locks.withLock(Self.secretIDLockKey(index.secretIDHMAC)) { () async throws(CoreError) in
                    if try await loadJSON(SecretIDEntry.self, index.entryKey, storage) == nil {
                        try await commit([.delete(key: key)], storage)
                    }
                }
            }
        }
        let warning = "Tidy operation successfully started. Any information from the operation will be printed to "
            + "Coffer's server logs."
        return Response(status: 202, body: .logical(LogicalBody(warnings: [warning])))
    }
}
