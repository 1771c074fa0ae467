import Foundation
import HCL
import Policy
import Storage

/// The authenticated request path: token -> ACL -> router -> backend -> login/wrap.
extension CofferCore {
    /// System-wide lease limits when a mount sets none (Vault's 768h).
    static let systemMaxTTL: Int64 = 768 * 3600

    func handleLogical(_ request: Request, node: ActiveNode) async throws(CoreError) -> Response {
        let wrapTTL = try wrapTTLSeconds(request)
        let now = environment.now()

        // Unauthenticated paths: wrapping lookup, and auth methods' login paths.
        let noClientToken = request.clientToken?.isEmpty ?? true
        if request.path == "sys/wrapping/lookup" && noClientToken {
            return try await wrappingLookup(request, node: node)
        }
        if let route = route(request.path, node: node), route.isAuth,
            let backend = node.backends[route.mount.uuid],
            backend.unauthenticatedPaths.contains(where: { matches(route.relativePath, $0) })
        {
            let response = try await callBackend(
                backend, request: request, route: route, caller: nil, node: node, now: now, wrapTTL: wrapTTL)
            return try await finish(response, request: request, route: route, parent: nil, node: node, wrapTTL: wrapTTL)
        }

        // Authentication.
        guard let token = request.clientToken, !token.isEmpty else { throw CoreError.permissionDenied }
        let tokenHash = node.tokens.hash(token)
        guard let entry = try await tokenEntry(hash: tokenHash, node: node) else {
            throw CoreError.permissionDenied
        }
        if !entry.boundCIDRs.isEmpty && !CIDR.contains(entry.boundCIDRs, address: request.remoteAddress) {
            throw CoreError.permissionDenied
        }

        // A wrapping token can do one thing: be unwrapped (spent there, atomically).
        if entry.isWrapping {
            guard ["sys/wrapping/unwrap", "sys/wrapping/lookup", "sys/wrapping/rewrap"].contains(request.path) else {
                throw CoreError.permissionDenied
            }
            return try await handleWrapping(
                request, caller: nil, callerHash: tokenHash, node: node, wrapTTL: wrapTTL)
        }

        // ACL.
        let acl = try await acl(for: entry, node: node)
        let resolved = route(request.path, node: node)
        let probeCaller = Caller(
            accessor: entry.accessor, policies: entry.policies, displayName: entry.displayName,
            tokenStorageID: tokenHash)
        let aclOperation = try await aclOperation(
            request, route: resolved, caller: probeCaller, node: node, now: now)
        try authorize(acl: acl, operation: aclOperation, request: request, wrapTTL: wrapTTL)

        // Spend a use; the last use revokes the token before the answer is sent.
        var caller = entry
        if entry.numUses > 0 {
            caller = try await spendUse(hash: tokenHash, node: node)
        }
        let callerInfo = Caller(
            accessor: caller.accessor, policies: caller.policies, displayName: caller.displayName,
            tokenStorageID: tokenHash)

        if request.path == "sys" || request.path.hasPrefix("sys/") {
            let response = try await handleSystem(
                request, token: caller, tokenHash: tokenHash, acl: acl, node: node, wrapTTL: wrapTTL)
            return try await finish(response, request: request, route: nil, parent: nil, node: node, wrapTTL: wrapTTL)
        }
        if request.path == "auth/token" || request.path.hasPrefix("auth/token/") {
            let response = try await handleTokenPath(
                request, caller: caller, callerHash: tokenHash, acl: acl, node: node)
            return try await finish(response, request: request, route: nil, parent: nil, node: node, wrapTTL: wrapTTL)
        }
        guard let route = resolved, let backend = node.backends[route.mount.uuid] else {
            throw CoreError.notFound(["no handler for route \"\(request.path)\". route entry not found."])
        }
        let response = try await callBackend(
            backend, request: request, route: route, caller: callerInfo, node: node, now: now, wrapTTL: wrapTTL)
        return try await finish(
            response, request: request, route: route, parent: (tokenHash, caller), node: node, wrapTTL: wrapTTL)
    }

    // MARK: routing

    struct Route: Sendable {
        var mount: MountEntry
        var isAuth: Bool
        var relativePath: String
        var mountPoint: String { (isAuth ? "auth/" : "") + mount.path }
    }

    func route(_ path: String, node: ActiveNode) -> Route? {
        if path.hasPrefix("auth/") {
            let rest = String(path.dropFirst(5))
            guard let mount = node.authMounts.match(rest), mount.type != "token" else { return nil }
            return Route(mount: mount, isAuth: true, relativePath: relative(rest, to: mount.path))
        }
        guard let mount = node.mounts.match(path), mount.type != "system" else { return nil }
        return Route(mount: mount, isAuth: false, relativePath: relative(path, to: mount.path))
    }

    private func relative(_ path: String, to mountPath: String) -> String {
        let probe = path.hasSuffix("/") || path.count >= mountPath.count ? path : path + "/"
        return String(probe.dropFirst(min(mountPath.count, probe.count)))
    }

    /// Glob match of an unauthenticated-path pattern (`*` suffix only).
    private func matches(_ path: String, _ pattern: String) -> Bool {
        if pattern.hasSuffix("*") { return path.hasPrefix(String(pattern.dropLast())) }
        return path == pattern
    }

    func storage(for route: Route) -> StorageView {
        StorageView(barrier, prefix: (route.isAuth ? "auth/" : "logical/") + route.mount.uuid + "/")
    }

    func callBackend(
        _ backend: any LogicalBackend, request: Request, route: Route, caller: Caller?, node: ActiveNode, now: Date,
        wrapTTL: Int64? = nil
    ) async throws(CoreError) -> Response {
        let mountStorage = storage(for: route)
        var backendRequest = BackendRequest(
            operation: request.operation == .head ? .read : request.operation,
            path: route.relativePath, data: request.data, storage: mountStorage,
            mountPoint: route.mountPoint, caller: caller, remoteAddress: request.remoteAddress, now: now)
        if let wrapTTL {
            let creationPath = request.path
            backendRequest.wrapping = ResponseWrapping { [self] operations, response async throws(CoreError) in
                let scoped: [StorageOperation]
                do {
                    scoped = try mountStorage.scoped(operations)
                } catch {
                    throw CoreError.internal("a backend wrote an invalid storage key")
                }
                return try await wrap(response, ttl: wrapTTL, creationPath: creationPath, node: node, alongWith: scoped)
            }
        }
        guard let response = try await backend.handle(backendRequest) else {
            throw CoreError.notFound(["no handler for route \"\(request.path)\". route entry not found."])
        }
        return response
    }

    // MARK: tokens

    func tokenEntry(hash: String, node: ActiveNode) async throws(CoreError) -> TokenEntry? {
        do {
            return try await node.tokens.entry(hash: hash)
        } catch {
            throw fault(error, doing: "look up token")
        }
    }

    /// Decrements a token's uses under its lock; the last use revokes it. Answers the
    /// entry as the request should see it (num_uses -1 on the last use, as Vault shows).
    func spendUse(hash: String, node: ActiveNode) async throws(CoreError) -> TokenEntry {
        let tokens = node.tokens
        let result: Result<TokenEntry, CoreError> = await tokenLocks.withLock(hash) {
            do {
                guard var entry = try await tokens.entry(hash: hash) else { return .failure(.permissionDenied) }
                guard entry.numUses > 0 else { return .success(entry) }
                entry.numUses -= 1
                if entry.numUses == 0 {
                    _ = try await tokens.revoke(hash: hash)
                    entry.numUses = -1
                } else {
                    try await tokens.update(hash: hash, entry: entry)
                }
                return .success(entry)
            } catch {
                return .failure(.internal("internal error while trying to spend a token use"))
            }
        }
        let entry = try result.get()
        if entry.numUses == -1 {
            await wipeCubbyhole(tokenHashes: [hash], node: node)
        }
        return entry
    }

    // MARK: ACL

    func acl(for entry: TokenEntry, node: ActiveNode) async throws(CoreError) -> ACL {
        do {
            var store = node.policies
            let acl = try await store.acl(entry.policies)
            updateActive { $0.policies.adoptCaches(of: store) }
            adoptStandbyPolicyCaches(of: store)
            return acl
        } catch {
            throw fault(error, doing: "load policies")
        }
    }

    /// Vault's create-vs-update: PUT/POST on a target that does not exist is `create`.
    func aclOperation(
        _ request: Request, route: Route?, caller: Caller, node: ActiveNode, now: Date
    ) async throws(CoreError) -> ACL.Operation {
        switch request.operation {
        case .read, .head: return .read
        case .list: return .list
        case .delete: return .delete
        case .patch: return .patch
        case .create: return .create
        case .update:
            guard let route, let backend = node.backends[route.mount.uuid] else { return .update }
            let probe = BackendRequest(
                operation: .update, path: route.relativePath, data: request.data, storage: storage(for: route),
                mountPoint: route.mountPoint, caller: caller, remoteAddress: request.remoteAddress, now: now)
            return try await backend.exists(probe) ? .update : .create
        }
    }

    func authorize(acl: ACL, operation: ACL.Operation, request: Request, wrapTTL: Int64?) throws(CoreError) {
        if acl.isRoot { return }
        let path = request.path
        // The UI mount lookup does its own check (any access into the mount), as in Vault.
        if path == "sys/internal/ui/mounts" || path.hasPrefix("sys/internal/ui/mounts/") { return }
        let parameters = request.data.compactMapValues { $0.hclValue }
        let duration = wrapTTL.map { Duration.seconds($0) }
        guard acl.allows(operation: operation, path: path, parameters: parameters, wrapTTL: duration) else {
            throw CoreError.permissionDenied
        }
        if Self.sudoPaths.contains(where: { path == $0 || ($0.hasSuffix("*") && path.hasPrefix(String($0.dropLast()))) }),
            !acl.hasSudo(path: path, operation: operation)
        {
            throw CoreError.permissionDenied
        }
    }

    /// Paths that need `sudo` on top of the operation's capability, as in Vault.
    static let sudoPaths: [String] = [
        "sys/seal", "sys/step-down", "sys/rotate", "sys/rotate/*", "sys/key-status", "sys/auth/*",
        "sys/audit", "sys/audit/*", "sys/raw", "sys/raw/*", "sys/leases/lookup/*", "sys/leases/revoke-prefix/*",
        "sys/leases/revoke-force/*", "sys/revoke-prefix/*", "sys/revoke-force/*", "sys/storage/raft/snapshot",
        "sys/storage/raft/snapshot-force", "auth/token/create-orphan", "auth/token/revoke-orphan",
        "auth/token/accessors", "auth/token/accessors/", "sys/generate-root-token/*", "sys/rotate/root/*",
    ]

    // MARK: finishing a response

    /// Turns a login into a token, then wraps the response if asked.
    func finish(
        _ response: Response, request: Request, route: Route?, parent: (String, TokenEntry)?, node: ActiveNode,
        wrapTTL: Int64?
    ) async throws(CoreError) -> Response {
        var response = response
        if case .logical(var body) = response.body, let login = body.auth, let route {
            let issued = try await issueLoginToken(login, route: route, node: node)
            body.auth = nil
            body.authBlock = issued
            response.body = .logical(body)
        }
        if case .logical(let body) = response.body, body.wrapInfo != nil {
            // Already a wrapping answer (sys/wrapping/wrap, rewrap): wrapping it again would hide the data.
            return response
        }
        if let wrapTTL, (200..<300).contains(response.status), response.body != .none {
            return try await wrap(response, ttl: wrapTTL, creationPath: request.path, node: node)
        }
        return response
    }

    func issueLoginToken(_ login: LoginAuth, route: Route, node: ActiveNode) async throws(CoreError) -> JSONValue {
        var policies = login.policies.filter { !$0.isEmpty }
        if !login.noDefaultPolicy && !policies.contains("default") { policies.append("default") }
        policies = Array(Set(policies)).sorted()
        let mountMax = route.mount.maxLeaseTTL > 0 ? route.mount.maxLeaseTTL : Self.systemMaxTTL
        let mountDefault = route.mount.defaultLeaseTTL > 0 ? route.mount.defaultLeaseTTL : Self.systemMaxTTL
        var ttl = login.period > 0 ? login.period : (login.ttl > 0 ? login.ttl : mountDefault)
        var maxTTL = login.maxTTL > 0 ? min(login.maxTTL, mountMax) : mountMax
        if login.explicitMaxTTL > 0 { maxTTL = min(maxTTL, login.explicitMaxTTL) }
        ttl = min(ttl, maxTTL)
        let isBatch = login.tokenType == "batch"
        let now = environment.now()
        let display = route.mount.path.dropLast().replacingOccurrences(of: "/", with: "-")
            + (login.displayName.isEmpty ? "" : "-" + login.displayName)
        let entry = TokenEntry(
            accessor: node.tokens.newAccessor(), policies: policies, path: route.mountPoint + "login",
            displayName: display, meta: login.metadata.isEmpty ? nil : login.metadata, numUses: login.numUses,
            creationTime: Int64(now.timeIntervalSince1970), issueTime: now, ttlSeconds: ttl,
            expireAt: Int64(now.timeIntervalSince1970) + ttl, explicitMaxTTLSeconds: login.explicitMaxTTL,
            periodSeconds: login.period, renewable: login.renewable && !isBatch, parentHash: nil,
            boundCIDRs: login.boundCIDRs, internalData: login.internalData.isEmpty ? nil : login.internalData,
            type: isBatch ? "batch" : "service")
        let token = node.tokens.newTokenString()
        do {
            try await node.tokens.store(token: token, entry: entry)
        } catch {
            throw fault(error, doing: "create a token")
        }
        return authBlock(token: token, entry: entry, tokenPolicies: policies)
    }

    /// Vault's `auth` block for a newly issued token.
    func authBlock(token: String, entry: TokenEntry, tokenPolicies: [String]) -> JSONValue {
        .object([
            "client_token": .string(token),
            "accessor": .string(entry.accessor),
            "policies": .array(entry.policies.map { .string($0) }),
            "token_policies": .array(tokenPolicies.map { .string($0) }),
            "metadata": entry.meta.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "lease_duration": .int(entry.ttlSeconds),
            "renewable": .bool(entry.renewable),
            "entity_id": "",
            "token_type": .string(entry.type),
            "orphan": .bool(entry.isOrphan),
            "mfa_requirement": .null,
            "num_uses": .int(Int64(entry.numUses)),
        ])
    }

    /// Applies a change to the active node's state, if the node is still active.
    func updateActive(_ change: (inout ActiveNode) -> Void) {
        guard case .active(var node) = state else { return }
        change(&node)
        state = .active(node)
    }
}

extension JSONValue {
    /// The same value as the HCL module models it, for ACL parameter constraints.
    var hclValue: HCLValue? {
        switch self {
        case .null: return HCLValue(.null)
        case .bool(let value): return HCLValue(.bool(value))
        case .int(let value): return HCLValue(.number(.int(Int(value))))
        case .double(let value): return HCLValue(.number(.float(value)))
        case .string(let value): return HCLValue(.string(value))
        case .array(let values): return HCLValue(.list(values.compactMap(\.hclValue)))
        case .object: return nil
        }
    }
}
