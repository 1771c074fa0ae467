import Barrier
import Foundation
import Policy
import Storage

/// The authenticated `sys/` endpoints (ACL already checked by the caller).
extension CofferCore {
    func handleSystem(
        _ request: Request, token: TokenEntry, tokenHash: String, acl: ACL, node: ActiveNode, wrapTTL: Int64?
    ) async throws(CoreError) -> Response {
        let path = request.path
        if let ha,
            path.hasPrefix("sys/storage/raft/") || path.hasPrefix("sys/replication/") || path == "sys/ha-status"
                || path == "sys/step-down",
            let response = try await ha.handleSystem(request, core: self)
        {
            return response
        }
        switch path {
        case "sys/seal":
            try requireMethod(request, [.update, .create])
            await seal()
            return .noContent
        case "sys/rotate", "sys/rotate/keyring":
            try requireMethod(request, [.update, .create])
            do {
                _ = try await barrier.rotate()
            } catch {
                throw fault(error, doing: "rotate")
            }
            return .noContent
        case "sys/key-status", "sys/rotate/keyring/status":
            try requireMethod(request, [.read])
            let status: KeyStatus
            do {
                status = try await barrier.keyStatus()
            } catch {
                throw fault(error, doing: "read key status")
            }
            return .data(
                [
                    "term": .int(Int64(status.term)),
                    "install_time": .string(rfc3339(status.installTime)),
                    "encryptions": .int(Int64(status.encryptions)),
                ],
                alsoAtTopLevel: true
            )
        case "sys/rotate/root/init", "sys/rotate/root/update":
            return try await handleRekey(request, authenticated: true)
        case "sys/generate-root-token/attempt", "sys/generate-root-token/update":
            return try await handleGenerateRoot(request, authenticated: true)
        case "sys/mounts", "sys/auth":
            try requireMethod(request, [.read])
            return listMounts(auth: path == "sys/auth", node: node)
        case "sys/internal/ui/mounts":
            return internalMounts(acl: acl, node: node)
        case "sys/policy", "sys/policies/acl":
            return try await listPolicies(legacy: path == "sys/policy", request: request, node: node)
        case "sys/capabilities-self", "sys/capabilities", "sys/capabilities-accessor":
            return try await capabilities(request, ownACL: acl, node: node)
        case "sys/wrapping/wrap", "sys/wrapping/unwrap", "sys/wrapping/lookup", "sys/wrapping/rewrap":
            return try await handleWrapping(request, caller: token, callerHash: tokenHash, node: node, wrapTTL: wrapTTL)
        default:
            break
        }
        if path.hasPrefix("sys/leases/") || ["sys/renew", "sys/revoke"].contains(path) || path.hasPrefix("sys/revoke-"),
            let response = try await handleLeases(request, node: node)
        {
            return response
        }
        if path == "sys/audit" || path.hasPrefix("sys/audit/") || path.hasPrefix("sys/audit-hash/") {
            return try await handleAuditEndpoint(request)
        }
        if path == "sys/metrics" {
            return try metricsEndpoint(request)
        }
        if let rest = path.dropPrefix("sys/mounts/") {
            return try await handleMount(request, path: rest, auth: false, node: node)
        }
        if let rest = path.dropPrefix("sys/auth/") {
            return try await handleMount(request, path: rest, auth: true, node: node)
        }
        if let rest = path.dropPrefix("sys/internal/ui/mounts/") {
            let policies: [Policy]
            do {
                var store = node.policies
                policies = try await store.policies(token.policies)
            } catch {
                throw fault(error, doing: "load policies")
            }
            return try internalMount(rest, acl: acl, policies: policies, node: node)
        }
        if let name = path.dropPrefix("sys/policies/acl/") {
            return try await handlePolicy(request, name: name, legacy: false, node: node)
        }
        if let name = path.dropPrefix("sys/policy/") {
            return try await handlePolicy(request, name: name, legacy: true, node: node)
        }
        throw CoreError.notFound(["unsupported path"])
    }

    // MARK: mounts

    func listMounts(auth: Bool, node: ActiveNode) -> Response {
        let table = auth ? node.authMounts : node.mounts
        var data: [String: JSONValue] = [:]
        for entry in table.entries {
            data[entry.path] = entry.wireJSON(isAuth: auth)
        }
        return .data(data, alsoAtTopLevel: true)
    }

    func internalMounts(acl: ACL, node: ActiveNode) -> Response {
        func visible(_ table: MountTable, prefix: String, auth: Bool) -> JSONValue {
            var out: [String: JSONValue] = [:]
            for entry in table.entries where acl.isRoot || !acl.capabilities(for: prefix + entry.path).isEmpty
                || entry.type == "cubbyhole"
            {
                out[entry.path] = entry.wireJSON(isAuth: auth)
            }
            return .object(out)
        }
        return .data([
            "secret": visible(node.mounts, prefix: "", auth: false),
            "auth": visible(node.authMounts, prefix: "auth/", auth: true),
        ])
    }

    /// `sys/internal/ui/mounts/<path>`: what the CLI asks to learn a mount's type and
    /// KV version. Answers only for mounts the token can use.
    func internalMount(_ path: String, acl: ACL, policies: [Policy], node: ActiveNode) throws(CoreError) -> Response {
        let isAuth = path.hasPrefix("auth/")
        let lookup = isAuth ? String(path.dropFirst(5)) : path
        let table = isAuth ? node.authMounts : node.mounts
        guard let entry = table.match(lookup) else {
            throw CoreError.permissionDenied
        }
        let mountPath = (isAuth ? "auth/" : "") + entry.path
        if !acl.isRoot && !Self.hasMountAccess(policies: policies, mountPath: mountPath) {
            throw CoreError.permissionDenied
        }
        guard case .object(var object) = entry.wireJSON(isAuth: isAuth) else { throw CoreError.internal("mount") }
        object["path"] = .string(mountPath)
        return .data(object)
    }

    /// Vault's rule for the UI mount lookup: a token may learn about a mount when any of
    /// its policies' rules reaches into it with a capability other than deny.
    static func hasMountAccess(policies: [Policy], mountPath: String) -> Bool {
        for policy in policies {
            for rule in policy.rules where !rule.capabilities.isEmpty && rule.capabilities != [.deny] {
                let pattern = rule.pattern
                let stem = pattern.hasSuffix("*") ? String(pattern.dropLast()) : pattern
                if pattern.hasPrefix(mountPath) || (pattern.hasSuffix("*") && mountPath.hasPrefix(stem)) {
                    return true
                }
                if pattern.contains("+") {
                    let segments = pattern.split(separator: "/", omittingEmptySubsequences: false)
                    let mountSegments = mountPath.split(separator: "/").map(String.init)
                    if segments.count >= mountSegments.count,
                        zip(segments, mountSegments).allSatisfy({ $0 == "+" || $0 == $1 || $0 == "*" })
                    {
                        return true
                    }
                }
            }
        }
        return false
    }

    static let reservedMounts: Set<String> = ["sys/", "auth/", "cubbyhole/", "identity/"]

    func handleMount(_ request: Request, path rawPath: String, auth: Bool, node: ActiveNode) async throws(CoreError) -> Response {
        var path = rawPath
        var tune = false
        if path.hasSuffix("/tune") {
            tune = true
            path = String(path.dropLast(5))
        }
        if !path.hasSuffix("/") { path += "/" }
        guard path.count > 1, !path.hasPrefix("/"), !path.contains("//") else {
            throw CoreError.badRequest("invalid mount path \"\(rawPath)\"")
        }
        let table = auth ? node.authMounts : node.mounts
        if tune {
            guard let entry = table.entries.first(where: { $0.path == path }) else {
                throw CoreError.badRequest("cannot fetch sysview for path \"\(path)\"")
            }
            switch request.operation {
            case .read:
                return .data(tuneJSON(entry), alsoAtTopLevel: true)
            case .update, .create:
                var updated = entry
                if let value = try DurationValue.seconds(request.data["default_lease_ttl"], field: "default_lease_ttl") {
                    updated.defaultLeaseTTL = value
                }
                if let value = try DurationValue.seconds(request.data["max_lease_ttl"], field: "max_lease_ttl") {
                    updated.maxLeaseTTL = value
                }
                if let description = try request.string("description", struct: "MountTuneInput") {
                    updated.description = description
                }
                try await replaceMount(updated, auth: auth)
                return .noContent
            default:
                throw CoreError.methodNotAllowed
            }
        }
        switch request.operation {
        case .read:
            guard let entry = table.entries.first(where: { $0.path == path }) else {
                throw CoreError.badRequest("No secret engine mount at \(path)")
            }
            return .data(entry.wireJSON(isAuth: auth).objectValue ?? [:], alsoAtTopLevel: true)
        case .update, .create:
            try await enableMount(request, path: path, auth: auth, node: node)
            return .noContent
        case .delete:
            try await disableMount(path: path, auth: auth)
            return .noContent
        default:
            throw CoreError.methodNotAllowed
        }
    }

    private func tuneJSON(_ entry: MountEntry) -> [String: JSONValue] {
        [
            "description": .string(entry.description),
            "default_lease_ttl": .int(entry.defaultLeaseTTL > 0 ? entry.defaultLeaseTTL : Self.systemMaxTTL),
            "max_lease_ttl": .int(entry.maxLeaseTTL > 0 ? entry.maxLeaseTTL : Self.systemMaxTTL),
            "force_no_cache": false,
            "options": entry.options.map { .object($0.mapValues { .string($0) }) } ?? .null,
        ]
    }

    private func enableMount(_ request: Request, path: String, auth: Bool, node: ActiveNode) async throws(CoreError) {
        guard var type = try request.string("type", struct: "MountInput"), !type.isEmpty else {
            throw CoreError.badRequest("backend type must be specified as a string")
        }
        if !auth && Self.reservedMounts.contains(path) {
            throw CoreError.badRequest("cannot mount \"\(path)\"")
        }
        if auth && path == "token/" {
            throw CoreError.badRequest("token credential backend cannot be instantiated")
        }
        var options: [String: String] = [:]
        if case .object(let given)? = request.data["options"] {
            for (key, value) in given {
                switch value {
                case .string(let text): options[key] = text
                case .int(let number): options[key] = String(number)
                default: throw CoreError.badRequest("mount options must be strings")
                }
            }
        }
        if type == "kv-v2" {
            type = "kv"
            options["version"] = "2"
        }
        var defaultTTL: Int64 = 0
        var maxTTL: Int64 = 0
        if case .object(let config)? = request.data["config"] {
            defaultTTL = try DurationValue.seconds(config["default_lease_ttl"], field: "default_lease_ttl") ?? 0
            maxTTL = try DurationValue.seconds(config["max_lease_ttl"], field: "max_lease_ttl") ?? 0
        }
        guard let backend = backendFactory?(type, options) else {
            throw CoreError.badRequest("plugin not found in the catalog: \(type)")
        }
        if type == "kv" && options["version"] == nil { options["version"] = "1" }
        let table = auth ? node.authMounts : node.mounts
        if let existing = table.conflicts(with: path) {
            throw CoreError.badRequest("path is already in use at \(existing.path)")
        }
        let entry = MountEntry(
            path: path, type: type,
            description: try request.string("description", struct: "MountInput") ?? "",
            uuid: environment.uuid(), accessor: (auth ? "auth_" : "") + type + "_" + String(environment.uuid().prefix(8)),
            options: options.isEmpty ? (auth ? [:] : nil) : options, defaultLeaseTTL: defaultTTL, maxLeaseTTL: maxTTL,
            local: try request.bool("local", struct: "MountInput"), sealWrap: false)
        try await addMount(entry, backend: backend, auth: auth)
    }

    func addMount(_ entry: MountEntry, backend: any LogicalBackend, auth: Bool) async throws(CoreError) {
        guard case .active(var node) = state else { throw CoreError.sealed }
        var table = auth ? node.authMounts : node.mounts
        if let existing = table.conflicts(with: entry.path) {
            throw CoreError.badRequest("path is already in use at \(existing.path)")
        }
        table.entries.append(entry)
        do {
            try await table.save(to: barrier, key: auth ? MountTable.authKey : MountTable.secretsKey)
        } catch {
            throw fault(error, doing: "persist the mount table")
        }
        guard case .active(let current) = state else { throw CoreError.sealed }
        node = current
        if auth { node.authMounts = table } else { node.mounts = table }
        node.backends[entry.uuid] = backend
        state = .active(node)
    }

    private func replaceMount(_ entry: MountEntry, auth: Bool) async throws(CoreError) {
        guard case .active(let node) = state else { throw CoreError.sealed }
        var table = auth ? node.authMounts : node.mounts
        table.entries = table.entries.map { $0.uuid == entry.uuid ? entry : $0 }
        do {
            try await table.save(to: barrier, key: auth ? MountTable.authKey : MountTable.secretsKey)
        } catch {
            throw fault(error, doing: "persist the mount table")
        }
        updateActive { if auth { $0.authMounts = table } else { $0.mounts = table } }
    }

    private func disableMount(path: String, auth: Bool) async throws(CoreError) {
        if !auth && Self.reservedMounts.contains(path) {
            throw CoreError.badRequest("cannot unmount \"\(path)\"")
        }
        if auth && path == "token/" {
            throw CoreError.badRequest("token credential backend cannot be disabled")
        }
        guard case .active(let node) = state else { throw CoreError.sealed }
        var table = auth ? node.authMounts : node.mounts
        guard let entry = table.entries.first(where: { $0.path == path }) else { return }
        table.entries.removeAll { $0.uuid == entry.uuid }
        do {
            try await table.save(to: barrier, key: auth ? MountTable.authKey : MountTable.secretsKey)
            try await deleteTree(barrier, prefix: (auth ? "auth/" : "logical/") + entry.uuid + "/")
        } catch {
            throw fault(error, doing: "disable the mount")
        }
        updateActive {
            if auth { $0.authMounts = table } else { $0.mounts = table }
            $0.backends[entry.uuid] = nil
        }
    }

    // MARK: policies

    func listPolicies(legacy: Bool, request: Request, node: ActiveNode) async throws(CoreError) -> Response {
        guard request.operation == .list || request.operation == .read else { throw CoreError.methodNotAllowed }
        let names: [String]
        do {
            names = try await node.policies.names()
        } catch {
            throw fault(error, doing: "list policies")
        }
        let keys = JSONValue.array(names.map { .string($0) })
        if legacy {
            return .data(["keys": keys, "policies": keys], alsoAtTopLevel: true)
        }
        return .data(["keys": keys])
    }

    func handlePolicy(_ request: Request, name rawName: String, legacy: Bool, node: ActiveNode) async throws(CoreError) -> Response {
        let name = rawName.lowercased()
        guard PolicyStore.validName(name) else { throw CoreError.badRequest("invalid policy name \"\(rawName)\"") }
        switch request.operation {
        case .read:
            let record: PolicyStore.Record?
            do {
                record = try await node.policies.record(name)
            } catch {
                throw fault(error, doing: "read a policy")
            }
            guard let record, name != "root" else { throw CoreError.notFound([]) }
            var data: [String: JSONValue] = [
                "name": .string(record.name),
                legacy ? "rules" : "policy": .string(record.policy),
                "version": .int(Int64(record.version)),
                "modified": .string(rfc3339(record.modified)),
                "cas_required": false,
                "allow_slashes_in_identity_templates": false,
                "allow_wildcards_in_identity_templates": false,
            ]
            if !legacy { data["policy"] = .string(record.policy) }
            return .data(data, alsoAtTopLevel: legacy)
        case .update, .create:
            if name == "root" { throw CoreError.badRequest("cannot update \"root\" policy") }
            var warnings: [String]?
            var text = try request.string("policy", struct: "PolicyInput")
            if text == nil, legacy, let rules = try request.string("rules", struct: "PolicyInput") {
                text = rules
                warnings = ["'rules' is deprecated, please use 'policy' instead"]
            }
            guard let text, !text.isEmpty else { throw CoreError.badRequest("'policy' parameter not supplied or empty") }
            var store = node.policies
            do {
                _ = try await store.write(name: name, text: text, now: environment.now())
            } catch {
                throw fault(error, doing: "write a policy")
            }
            updateActive { $0.policies.invalidate() }
            if let warnings {
                return Response(status: 200, body: .logical(LogicalBody(warnings: warnings)))
            }
            return .noContent
        case .delete:
            if name == "root" { throw CoreError.badRequest("cannot delete \"root\" policy") }
            if name == "default" { throw CoreError.badRequest("cannot delete default policy") }
            var store = node.policies
            do {
                try await store.delete(name: name)
            } catch {
                throw fault(error, doing: "delete a policy")
            }
            updateActive { $0.policies.invalidate() }
            return .noContent
        default:
            throw CoreError.methodNotAllowed
        }
    }

    // MARK: capabilities

    func capabilities(_ request: Request, ownACL: ACL, node: ActiveNode) async throws(CoreError) -> Response {
        try requireMethod(request, [.update, .create])
        var paths: [String] = []
        switch request.data["paths"] {
        case .array(let values)?: paths = values.compactMap(\.stringValue)
        case .string(let text)?: paths = text.split(separator: ",").map { String($0) }
        default: break
        }
        let single = try request.string("path", struct: "CapabilitiesInput")
        if let single { paths.append(single) }
        guard !paths.isEmpty else { throw CoreError.badRequest("missing paths") }
        var acl = ownACL
        if request.path == "sys/capabilities" {
            guard let token = try request.string("token", struct: "CapabilitiesInput"), !token.isEmpty else {
                throw CoreError.badRequest("missing token")
            }
            guard let entry = try await tokenEntry(hash: node.tokens.hash(token), node: node) else {
                throw CoreError.badRequest("invalid token")
            }
            acl = try await self.acl(for: entry, node: node)
        } else if request.path == "sys/capabilities-accessor" {
            guard let accessor = try request.string("accessor", struct: "CapabilitiesInput") else {
                throw CoreError.badRequest("missing accessor")
            }
            let hash: String?
            do {
                hash = try await node.tokens.hash(forAccessor: accessor)
            } catch {
                throw fault(error, doing: "look up an accessor")
            }
            guard let hash, let entry = try await tokenEntry(hash: hash, node: node) else {
                throw CoreError.badRequest("invalid accessor")
            }
            acl = try await self.acl(for: entry, node: node)
        }
        var data: [String: JSONValue] = [:]
        var last: JSONValue = .array([])
        for path in paths {
            let names: [String]
            if acl.isRoot {
                names = ["root"]
            } else {
                let set = acl.capabilities(for: path)
                names = set.isEmpty ? ["deny"] : set.map(\.rawValue).sorted()
            }
            last = .array(names.map { .string($0) })
            data[path] = last
        }
        if single != nil || paths.count == 1 && request.data["paths"] == nil {
            data["capabilities"] = last
        }
        return .data(data, alsoAtTopLevel: true)
    }
}

extension String {
    /// The rest of the string after `prefix`, or nil when it does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
