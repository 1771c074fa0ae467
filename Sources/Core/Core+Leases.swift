import Foundation

/// `sys/leases/*`: the leases Coffer hands out are token leases (auth methods' logins and
/// `auth/token/create`), named `<creation path>/h<token storage hash>` as OpenBao names
/// them. No engine issues secrets with leases yet; when one does, its leases join here.
extension CofferCore {
    func handleLeases(_ request: Request, node: ActiveNode) async throws(CoreError) -> Response? {
        let path = request.path
        switch path {
        case "sys/leases/lookup":
            guard request.operation != .list else { return try await listLeases(prefix: "", node: node) }
            let (hash, entry) = try await lease(request, node: node, missing: "invalid lease")
            let now = Int64(environment.now().timeIntervalSince1970)
            return .data([
                "id": .string(entry.path + "/h" + hash),
                "path": .string(entry.path),
                "issue_time": .string(rfc3339(entry.issueTime)),
                "expire_time": entry.expireAt == 0
                    ? .null : .string(rfc3339(Date(timeIntervalSince1970: TimeInterval(entry.expireAt)))),
                "last_renewal": .null,
                "renewable": .bool(entry.renewable),
                "ttl": .int(entry.expireAt == 0 ? 0 : max(0, entry.expireAt - now)),
            ])
        case "sys/leases/renew", "sys/renew":
            try requireMethod(request, [.update, .create])
            _ = try await lease(request, node: node, missing: "lease not found")
            // As in OpenBao: a token is renewed through auth/token/renew*, not here.
            throw CoreError.badRequest("tokens cannot be renewed through this endpoint")
        case "sys/leases/revoke", "sys/revoke":
            try requireMethod(request, [.update, .create])
            if let (hash, _) = try? await lease(request, node: node, missing: "") {
                try await revoke(hash: hash, orphan: false, node: node)
            }
            return .noContent
        case "sys/leases/tidy":
            try requireMethod(request, [.update, .create])
            let removed: Int
            do {
                removed = try await node.tokens.tidy()
            } catch {
                throw fault(error, doing: "tidy leases")
            }
            return Response(status: 202, body: .logical(LogicalBody(
                warnings: ["Tidy finished: removed \(removed) dangling lease index entries."])))
        default:
            break
        }
        if let prefix = path.dropPrefix("sys/leases/lookup/") {
            guard request.operation == .list else { throw CoreError.methodNotAllowed }
            return try await listLeases(prefix: prefix, node: node)
        }
        for route in ["sys/leases/revoke-prefix/", "sys/leases/revoke-force/", "sys/revoke-prefix/",
            "sys/revoke-force/"]
        {
            if let prefix = path.dropPrefix(route) {
                try requireMethod(request, [.update, .create])
                try await revokePrefix(prefix, node: node)
                return .noContent
            }
        }
        return nil
    }

    private func lease(
        _ request: Request, node: ActiveNode, missing: String
    ) async throws(CoreError) -> (String, TokenEntry) {
        let id = try request.string("lease_id", struct: "LeaseRequest") ?? ""
        guard let slash = id.lastIndex(of: "/") else { throw CoreError.badRequest(missing) }
        let prefix = String(id[..<slash])
        let name = id[id.index(after: slash)...]
        guard name.hasPrefix("h"), let entry = try await tokenEntry(hash: String(name.dropFirst()), node: node),
            entry.path == prefix, entry.expireAt != 0
        else {
            throw CoreError.badRequest(missing)
        }
        return (String(name.dropFirst()), entry)
    }

    /// Keys one level below `prefix`, folders ending in "/", as Vault's LIST answers.
    private func listLeases(prefix: String, node: ActiveNode) async throws(CoreError) -> Response {
        let all: [(hash: String, entry: TokenEntry)]
        do {
            all = try await node.tokens.allEntries()
        } catch {
            throw fault(error, doing: "list leases")
        }
        var keys = Set<String>()
        for (hash, entry) in all where entry.expireAt != 0 && !entry.isWrapping {
            let id = entry.path + "/h" + hash
            guard id.hasPrefix(prefix) else { continue }
            let rest = id.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") {
                keys.insert(String(rest[...slash]))
            } else {
                keys.insert(String(rest))
            }
        }
        guard !keys.isEmpty else { throw CoreError.notFound([]) }
        return .data(["keys": .array(keys.sorted().map { .string($0) })])
    }

    private func revokePrefix(_ prefix: String, node: ActiveNode) async throws(CoreError) {
        let all: [(hash: String, entry: TokenEntry)]
        do {
            all = try await node.tokens.allEntries()
        } catch {
            throw fault(error, doing: "revoke by prefix")
        }
        for (hash, entry) in all where (entry.path + "/").hasPrefix(prefix.hasSuffix("/") ? prefix : prefix + "/")
            && !entry.isRoot
        {
            try await revoke(hash: hash, orphan: false, node: node)
        }
    }
}
