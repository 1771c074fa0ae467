import Foundation
import Policy

/// `auth/token/*`: create, look up, renew and revoke tokens, with Vault's rules for
/// parents, orphans, policies and TTLs.
extension CofferCore {
    func handleTokenPath(
        _ request: Request, caller: TokenEntry, callerHash: String, acl: ACL, node: ActiveNode
    ) async throws(CoreError) -> Response {
        let path = String(request.path.dropFirst("auth/token/".count))
        switch path {
        case "create", "create-orphan":
            try requireMethod(request, [.update, .create])
            return try await createToken(
                request, parent: caller, parentHash: callerHash, forceOrphan: path == "create-orphan", acl: acl,
                node: node)
        case "lookup-self":
            try requireMethod(request, [.read, .update, .create])
            return tokenLookup(entry: caller, token: request.clientToken ?? "")
        case "lookup":
            let token = try request.string("token", struct: "TokenLookup") ?? ""
            guard !token.isEmpty else { throw CoreError.badRequest("missing token") }
            guard let entry = try await tokenEntry(hash: node.tokens.hash(token), node: node) else {
                throw CoreError.badRequest("bad token")
            }
            return tokenLookup(entry: entry, token: token)
        case "lookup-accessor":
            let (_, entry) = try await entry(forAccessorIn: request, node: node)
            return tokenLookup(entry: entry, token: "")
        case "renew-self":
            try requireMethod(request, [.update, .create])
            return try await renew(hash: callerHash, token: request.clientToken ?? "", request: request, node: node)
        case "renew":
            try requireMethod(request, [.update, .create])
            let token = try request.string("token", struct: "TokenRenew") ?? ""
            guard !token.isEmpty else { throw CoreError.badRequest("missing token") }
            return try await renew(hash: node.tokens.hash(token), token: token, request: request, node: node)
        case "revoke-self":
            try requireMethod(request, [.update, .create])
            try await revoke(hash: callerHash, orphan: false, node: node)
            return .noContent
        case "revoke", "revoke-orphan":
            try requireMethod(request, [.update, .create])
            let token = try request.string("token", struct: "TokenRevoke") ?? ""
            guard !token.isEmpty else { throw CoreError.badRequest("missing token") }
            try await revoke(hash: node.tokens.hash(token), orphan: path == "revoke-orphan", node: node)
            return .noContent
        case "revoke-accessor":
            try requireMethod(request, [.update, .create])
            let (hash, _) = try await entry(forAccessorIn: request, node: node)
            try await revoke(hash: hash, orphan: false, node: node)
            return .noContent
        default:
            throw CoreError.notFound(["unsupported path"])
        }
    }

    private func entry(forAccessorIn request: Request, node: ActiveNode) async throws(CoreError) -> (String, TokenEntry) {
        let accessor = try request.string("accessor", struct: "TokenAccessor") ?? ""
        let hash: String?
        do {
            hash = try await node.tokens.hash(forAccessor: accessor)
        } catch {
            throw fault(error, doing: "look up an accessor")
        }
        guard let hash, let entry = try await tokenEntry(hash: hash, node: node) else {
            throw CoreError.badRequest("invalid accessor")
        }
        return (hash, entry)
    }

    private func stringList(_ value: JSONValue?) -> [String]? {
        switch value {
        case .array(let values)?: return values.compactMap(\.stringValue)
        case .string(let text)?:
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default: return nil
        }
    }

    func createToken(
        _ request: Request, parent: TokenEntry, parentHash: String, forceOrphan: Bool, acl: ACL, node: ActiveNode
    ) async throws(CoreError) -> Response {
        let now = environment.now()
        let noParentField = try request.bool("no_parent", struct: "TokenCreate")
        let noParent = forceOrphan || noParentField
        if noParent && !forceOrphan && !parent.isRoot && !acl.hasSudo(path: "auth/token/create", operation: .update) {
            throw CoreError.badRequest("root or sudo privileges required to create orphan token")
        }
        let noDefault = try request.bool("no_default_policy", struct: "TokenCreate")
        var policies = stringList(request.data["policies"]) ?? parent.policies.filter { $0 != "root" || parent.isRoot }
        policies = Array(Set(policies.map { $0.lowercased() })).sorted()
        if !parent.isRoot {
            let allowed = Set(parent.policies)
            if let extra = policies.first(where: { !allowed.contains($0) && $0 != "default" }) {
                throw CoreError.badRequest("token policies (\(policies)) must be subset of the parent token's policies; \(extra) is not")
            }
        }
        if !noDefault && !policies.contains("default") && !policies.contains("root") {
            policies.append("default")
            policies.sort()
        }
        if policies.isEmpty { policies = ["default"] }
        let ttl = try DurationValue.seconds(request.data["ttl"] ?? request.data["lease"], field: "ttl") ?? 0
        let explicitMax = try DurationValue.seconds(request.data["explicit_max_ttl"], field: "explicit_max_ttl") ?? 0
        let period = try DurationValue.seconds(request.data["period"], field: "period") ?? 0
        let numUses = try request.int("num_uses", default: 0, struct: "TokenCreate")
        guard numUses >= 0 else { throw CoreError.badRequest("number of uses cannot be negative") }
        var renewable = true
        if let value = request.data["renewable"], value != .null {
            renewable = try request.bool("renewable", struct: "TokenCreate")
        }
        var displayName = try request.string("display_name", struct: "TokenCreate") ?? ""
        displayName = displayName.isEmpty ? "token" : "token-" + displayName
        var meta: [String: String]?
        if case .object(let given)? = request.data["meta"] {
            meta = given.compactMapValues(\.stringValue)
        }
        var effectiveTTL: Int64
        let isRootToken = policies.contains("root")
        if period > 0 {
            effectiveTTL = period
        } else if ttl > 0 {
            effectiveTTL = ttl
        } else if isRootToken {
            effectiveTTL = 0
        } else {
            effectiveTTL = Self.systemMaxTTL
        }
        if explicitMax > 0 && (effectiveTTL == 0 || effectiveTTL > explicitMax) { effectiveTTL = explicitMax }
        if !isRootToken || ttl > 0 { effectiveTTL = min(effectiveTTL, Self.systemMaxTTL) }
        // A child cannot outlive its parent.
        if parent.expireAt != 0 && !noParent {
            let parentLeft = parent.expireAt - Int64(now.timeIntervalSince1970)
            if effectiveTTL == 0 || effectiveTTL > parentLeft { effectiveTTL = max(parentLeft, 1) }
        }
        let created = Int64(now.timeIntervalSince1970)
        let entry = TokenEntry(
            accessor: node.tokens.newAccessor(), policies: policies, path: request.path, displayName: displayName,
            meta: meta, numUses: numUses, creationTime: created, issueTime: now, ttlSeconds: effectiveTTL,
            expireAt: effectiveTTL > 0 ? created + effectiveTTL : 0, explicitMaxTTLSeconds: explicitMax,
            periodSeconds: period, renewable: renewable && effectiveTTL > 0,
            parentHash: noParent ? nil : parentHash)
        var token = node.tokens.newTokenString()
        if let id = try request.string("id", struct: "TokenCreate"), !id.isEmpty {
            guard parent.isRoot else { throw CoreError.badRequest("root or sudo privileges required to specify token id") }
            token = id
        }
        do {
            try await node.tokens.store(token: token, entry: entry)
        } catch {
            throw fault(error, doing: "create a token")
        }
        var body = LogicalBody()
        body.authBlock = authBlock(token: token, entry: entry, tokenPolicies: policies)
        return Response(status: 200, body: .logical(body))
    }

    func tokenLookup(entry: TokenEntry, token: String) -> Response {
        let now = Int64(environment.now().timeIntervalSince1970)
        var data: [String: JSONValue] = [
            "accessor": .string(entry.accessor),
            "creation_time": .int(entry.creationTime),
            "creation_ttl": .int(entry.ttlSeconds),
            "display_name": .string(entry.displayName),
            "entity_id": "",
            "expire_time": entry.expireAt == 0
                ? .null : .string(rfc3339(Date(timeIntervalSince1970: TimeInterval(entry.expireAt)))),
            "explicit_max_ttl": .int(entry.explicitMaxTTLSeconds),
            "id": .string(token),
            "issue_time": .string(rfc3339(entry.issueTime)),
            "meta": entry.meta.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "num_uses": .int(Int64(entry.numUses)),
            "orphan": .bool(entry.isOrphan),
            "path": .string(entry.path),
            "policies": .array(entry.policies.map { .string($0) }),
            "renewable": .bool(entry.renewable),
            "ttl": .int(entry.expireAt == 0 ? 0 : max(0, entry.expireAt - now)),
            "type": .string(entry.type),
        ]
        if entry.periodSeconds > 0 { data["period"] = .int(entry.periodSeconds) }
        return .data(data)
    }

    func renew(hash: String, token: String, request: Request, node: ActiveNode) async throws(CoreError) -> Response {
        let increment = try DurationValue.seconds(request.data["increment"], field: "increment") ?? 0
        let now = environment.now()
        let tokens = node.tokens
        let result: Result<TokenEntry, CoreError> = await tokenLocks.withLock(hash) {
            do {
                guard var entry = try await tokens.entry(hash: hash) else {
                    return .failure(.badRequest("invalid token"))
                }
                guard entry.renewable, entry.expireAt != 0 else {
                    return .failure(.badRequest("lease is not renewable"))
                }
                let nowSeconds = Int64(now.timeIntervalSince1970)
                var ttl = entry.periodSeconds > 0 ? entry.periodSeconds : (increment > 0 ? increment : entry.ttlSeconds)
                if entry.explicitMaxTTLSeconds > 0 {
                    ttl = min(ttl, entry.creationTime + entry.explicitMaxTTLSeconds - nowSeconds)
                }
                ttl = min(ttl, CofferCore.systemMaxTTL)
                entry.expireAt = nowSeconds + max(ttl, 0)
                try await tokens.update(hash: hash, entry: entry)
                return .success(entry)
            } catch {
                return .failure(.internal("internal error while trying to renew a token"))
            }
        }
        let entry = try result.get()
        var block = authBlock(token: token, entry: entry, tokenPolicies: entry.policies)
        if case .object(var object) = block {
            object["lease_duration"] = .int(max(0, entry.expireAt - Int64(now.timeIntervalSince1970)))
            block = .object(object)
        }
        var body = LogicalBody()
        body.authBlock = block
        return Response(status: 200, body: .logical(body))
    }

    /// Revokes a token (and its descendants unless `orphan`), and wipes their cubbyholes.
    func revoke(hash: String, orphan: Bool, node: ActiveNode) async throws(CoreError) {
        let tokens = node.tokens
        let result: Result<[String], CoreError> = await tokenLocks.withLock(hash) {
            do {
                return .success(try await tokens.revoke(hash: hash, orphanChildren: orphan))
            } catch {
                return .failure(.internal("internal error while trying to revoke a token"))
            }
        }
        await wipeCubbyhole(tokenHashes: try result.get(), node: node)
    }
}
