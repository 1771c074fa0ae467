import Foundation
import Storage

/// Response wrapping: any response can be stored in the cubbyhole of a new single-use
/// token whose TTL is the wrap TTL; only that token can get it back, once.
extension CofferCore {
    static let wrappingTokenInvalid = "wrapping token is not valid or does not exist"

    func wrapTTLSeconds(_ request: Request) throws(CoreError) -> Int64? {
        guard let ttl = request.wrapTTL else { return nil }
        let seconds = ttl.components.seconds
        // As in OpenBao, no upper bound beyond what a duration can hold; 0 means no wrapping.
        guard seconds > 0 else { return nil }
        return seconds
    }

    func cubbyholeStorage(node: ActiveNode) -> StorageView? {
        guard let mount = node.mounts.entries.first(where: { $0.type == "cubbyhole" }) else { return nil }
        return StorageView(barrier, prefix: "logical/" + mount.uuid + "/")
    }

    /// Stores `response` in a new wrapping token's cubbyhole and answers `wrap_info`. `extra` (barrier keys) is
    /// written in the same batch: the writes of the request whose response this is (`ResponseWrapping`).
    func wrap(
        _ response: Response, ttl: Int64, creationPath: String, node: ActiveNode, alongWith extra: [StorageOperation] = []
    ) async throws(CoreError) -> Response {
        let stored: JSONValue
        var wrappedAccessor: String?
        switch response.body {
        case .logical(let body):
            stored = .object(body.envelope())
            if case .object(let auth)? = body.authBlock, case .string(let accessor)? = auth["accessor"] {
                wrappedAccessor = accessor
            } else if case .string(let accessor)? = body.data?["secret_id_accessor"] {
                wrappedAccessor = accessor
            }
        case .raw(let value):
            stored = value
        case .none:
            guard extra.isEmpty else { throw CoreError.internal("a response with writes to wrap has no body") }
            return response
        }
        guard let cubbyhole = cubbyholeStorage(node: node) else {
            throw CoreError.internal("no cubbyhole mount to hold the wrapped response")
        }
        let now = environment.now()
        let created = Int64(now.timeIntervalSince1970)
        let entry = TokenEntry(
            accessor: node.tokens.newAccessor(), policies: [TokenEntry.wrappingPolicy], path: creationPath,
            displayName: "response-wrapping", numUses: 1, creationTime: created, issueTime: now, ttlSeconds: ttl,
            expireAt: created + ttl)
        let token = node.tokens.newTokenString()
        do {
            // The response and its token in one write: both or neither, and one Raft round, not two.
            let response = try cubbyhole.scoped([
                .put(key: node.tokens.hash(token) + "/response", value: stored.serialized())
            ])
            try await barrier.batch(extra + response + node.tokens.storeOperations(token: token, entry: entry))
        } catch {
            throw fault(error, doing: "wrap a response")
        }
        var info: [String: JSONValue] = [
            "token": .string(token),
            "accessor": .string(entry.accessor),
            "ttl": .int(ttl),
            "creation_time": .string(rfc3339(now)),
            "creation_path": .string(creationPath),
        ]
        if let wrappedAccessor { info["wrapped_accessor"] = .string(wrappedAccessor) }
        var body = LogicalBody()
        body.wrapInfo = .object(info)
        return Response(status: 200, body: .logical(body))
    }

    /// `sys/wrapping/*`. `callerHash` is the client token's hash; when the client token
    /// is itself the wrapping token, `caller` is nil.
    func handleWrapping(
        _ request: Request, caller: TokenEntry?, callerHash: String, node: ActiveNode, wrapTTL: Int64?
    ) async throws(CoreError) -> Response {
        if request.path == "sys/wrapping/wrap" {
            try requireMethod(request, [.update, .create])
            guard let wrapTTL else { throw CoreError.badRequest("endpoint requires response wrapping to be used") }
            return try await wrap(.data(request.data), ttl: wrapTTL, creationPath: request.path, node: node)
        }
        // The wrapping token to act on: given in the body, or the client token itself.
        let bodyToken = try request.string("token", struct: "WrappingRequest")
        let targetHash: String
        if let bodyToken, !bodyToken.isEmpty {
            targetHash = node.tokens.hash(bodyToken)
        } else if caller == nil {
            targetHash = callerHash
        } else {
            throw CoreError.badRequest(Self.wrappingTokenInvalid)
        }
        switch request.path {
        case "sys/wrapping/lookup":
            return try await lookupWrapped(hash: targetHash, node: node)
        case "sys/wrapping/unwrap":
            try requireMethod(request, [.update, .create])
            let (stored, _) = try await spendWrapped(hash: targetHash, node: node)
            var envelope = stored.objectValue ?? [:]
            if envelope["lease_id"] == nil {
                return .raw(stored)
            }
            envelope["request_id"] = .string(environment.uuid())
            return .raw(.object(envelope))
        case "sys/wrapping/rewrap":
            try requireMethod(request, [.update, .create])
            let (stored, entry) = try await spendWrapped(hash: targetHash, node: node)
            var body = LogicalBody()
            if let object = stored.objectValue, object["lease_id"] != nil {
                body.data = object["data"]?.objectValue
                body.warnings = object["warnings"]?.arrayValue?.compactMap(\.stringValue)
                body.authBlock = object["auth"].flatMap { $0 == .null ? nil : $0 }
                return try await wrap(
                    Response(status: 200, body: .logical(body)), ttl: entry.ttlSeconds, creationPath: entry.path,
                    node: node)
            }
            return try await wrap(.raw(stored), ttl: entry.ttlSeconds, creationPath: entry.path, node: node)
        default:
            throw CoreError.notFound([])
        }
    }

    func wrappingLookup(_ request: Request, node: ActiveNode) async throws(CoreError) -> Response {
        guard let token = try request.string("token", struct: "WrappingRequest"), !token.isEmpty else {
            throw CoreError.badRequest("missing \"token\" value in input")
        }
        return try await lookupWrapped(hash: node.tokens.hash(token), node: node)
    }

    private func lookupWrapped(hash: String, node: ActiveNode) async throws(CoreError) -> Response {
        guard let entry = try await tokenEntry(hash: hash, node: node), entry.isWrapping else {
            throw CoreError.badRequest(Self.wrappingTokenInvalid)
        }
        return .data([
            "creation_path": .string(entry.path),
            "creation_time": .string(rfc3339(entry.issueTime)),
            "creation_ttl": .int(entry.ttlSeconds),
        ])
    }

    /// Spends a wrapping token exactly once: of concurrent callers one gets the stored
    /// response; the token and the stored response are deleted before it is returned.
    private func spendWrapped(hash: String, node: ActiveNode) async throws(CoreError) -> (JSONValue, TokenEntry) {
        let tokens = node.tokens
        guard let cubbyhole = cubbyholeStorage(node: node) else { throw CoreError.badRequest(Self.wrappingTokenInvalid) }
        let result: Result<(JSONValue, TokenEntry), CoreError> = await tokenLocks.withLock(hash) {
            do {
                guard let entry = try await tokens.entry(hash: hash), entry.isWrapping,
                    let bytes = try await cubbyhole.get(hash + "/response")
                else {
                    return .failure(.badRequest(CofferCore.wrappingTokenInvalid))
                }
                let response = try cubbyhole.scoped([.delete(key: hash + "/response")])
                if let revocation = try await tokens.leafRevocation(hash: hash) {
                    // The token and its response go in one write, one Raft round.
                    try await barrier.batch(revocation + response)
                } else {
                    _ = try await tokens.revoke(hash: hash)
                    try await barrier.batch(response)
                }
                let stored = (try? JSONValue.parse(bytes)) ?? .null
                return .success((stored, entry))
            } catch {
                return .failure(.internal("internal error while trying to unwrap"))
            }
        }
        return try result.get()
    }

    /// Deletes everything in the cubbyholes of revoked tokens.
    func wipeCubbyhole(tokenHashes: [String], node: ActiveNode) async {
        guard let cubbyhole = cubbyholeStorage(node: node) else { return }
        for hash in tokenHashes {
            do {
                try await deleteTree(cubbyhole, prefix: hash + "/")
            } catch {
                logger.error("could not wipe a revoked token's cubbyhole", metadata: ["error": "\(type(of: error))"])
            }
        }
    }

    /// Deletes every key under `prefix`, depth first.
    func deleteTree(_ storage: any Storage, prefix: String) async throws {
        for name in try await storage.list(prefix: prefix) {
            if name.hasSuffix("/") {
                try await deleteTree(storage, prefix: prefix + name)
            } else {
                try await storage.delete(prefix + name)
            }
        }
    }
}
