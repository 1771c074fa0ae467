import Barrier
import Foundation
import Storage

extension CofferCore {
    /// The single entry point for client requests.
    ///
    /// Unauthenticated status and unseal endpoints answer in any state; everything else
    /// needs an active node and a valid token.
    public func handle(_ request: Request) async throws(CoreError) -> Response {
        switch request.path {
        case "sys/init": return try await handleInit(request)
        case "sys/seal-status": return try sealStatusEndpoint(request)
        case "sys/unseal": return try await handleUnseal(request)
        case "sys/health": return try health(request)
        case "sys/leader": return try await leader(request)
        case "sys/seal" where isStandby:
            // As in Vault: only the active node can be sealed; forwarding would seal another node.
            throw CoreError.badRequest("cannot seal a standby node; restart it instead, or seal the active node")
        case "sys/rekey/init", "sys/rekey/update":
            guard !options.disableUnauthedRekeyEndpoints else { throw CoreError.unsupportedOperation }
            try requireActiveState()
            return try await handleRekey(request, authenticated: false)
        case "sys/generate-root/attempt", "sys/generate-root/update":
            guard !options.disableUnauthedGenerateRootEndpoints else { throw CoreError.unsupportedOperation }
            return try await handleGenerateRoot(request, authenticated: false)
        case "sys/replication/dr/secondary/generate-operation-token/attempt",
            "sys/replication/dr/secondary/generate-operation-token/update":
            return try await handleDROperationToken(request)
        default:
            break
        }
        if let ha, request.path.hasPrefix("sys/storage/raft/") || request.path.hasPrefix("sys/replication/"),
            let response = try await ha.handleUnauthenticated(request, core: self)
        {
            return response
        }
        if refusesClientRequests, !Self.allowedInDRSecondaryMode(request.path) {
            throw CoreError.badRequest(Self.drSecondaryRefusal)
        }
        switch state {
        case .active(let node):
            if let ha {
                // A leader cut off from its quorum must not answer from a state that may be stale.
                do {
                    try await ha.confirmLeadership()
                } catch {
                    throw CoreError.standby
                }
            }
            return try await handleAudited(request, node: node)
        case .standby:
            return try await serveOnStandby(request)
        default:
            throw CoreError.sealed
        }
    }

    /// Passes on the active node; a standby forwards (`.standby`), anything else is sealed.
    func requireActiveState() throws(CoreError) {
        switch state {
        case .active: return
        case .standby: throw CoreError.standby
        default: throw CoreError.sealed
        }
    }

    func requireMethod(_ request: Request, _ allowed: Set<Operation>) throws(CoreError) {
        guard allowed.contains(request.operation) else { throw CoreError.methodNotAllowed }
    }

    // MARK: init

    func handleInit(_ request: Request) async throws(CoreError) -> Response {
        switch request.operation {
        case .read:
            return .raw(["initialized": .bool(isInitialized)])
        case .update, .create:
            let shares = try request.int("secret_shares", default: 0, struct: "InitRequest")
            let threshold = try request.int("secret_threshold", default: 0, struct: "InitRequest")
            if let pgp = request.data["pgp_keys"], pgp != .null, pgp != .array([]) {
                throw CoreError.badRequest("pgp_keys are not supported by this server")
            }
            let result = try await initialize(shares: shares, threshold: threshold)
            return .raw([
                "keys": .array(result.shares.map { .string(hexString($0)) }),
                "keys_base64": .array(result.shares.map { .string(Data($0).base64EncodedString()) }),
                "root_token": .string(result.rootToken),
            ])
        default:
            throw CoreError.methodNotAllowed
        }
    }

    // MARK: seal status and unseal

    func sealStatusEndpoint(_ request: Request) throws(CoreError) -> Response {
        try requireMethod(request, [.read])
        return .raw(sealStatus())
    }

    /// The body of `sys/seal-status`, also returned by `sys/unseal`.
    public func sealStatus() -> JSONValue {
        var progress = 0
        var nonce = ""
        if case .sealed(let current?) = state {
            progress = current.count
            nonce = current.nonce
        }
        var body: [String: JSONValue] = [
            "type": "shamir",
            "initialized": .bool(isInitialized),
            "sealed": .bool(isSealed),
            "t": .int(Int64(sealConfig?.secretThreshold ?? 0)),
            "n": .int(Int64(sealConfig?.secretShares ?? 0)),
            "progress": .int(Int64(progress)),
            "nonce": .string(nonce),
            "recovery_seal": false,
            "version": .string(options.version),
            "commit_date": "",
            "migration": false,
            "storage_type": .string(options.storageType),
        ]
        if let identity {
            body["cluster_name"] = .string(identity.name)
            body["cluster_id"] = .string(identity.id)
        }
        return .object(body)
    }

    func handleUnseal(_ request: Request) async throws(CoreError) -> Response {
        try requireMethod(request, [.update, .create])
        let reset = try request.bool("reset", struct: "UnsealRequest")
        let keyText = try request.string("key", struct: "UnsealRequest")
        if reset {
            resetUnsealProgress()
            return .raw(sealStatus())
        }
        guard let keyText, !keyText.isEmpty else {
            throw CoreError.badRequest("'key' must be specified in request body as JSON, or 'reset' set to true")
        }
        let share = try KeyShare.decode(keyText)
        guard isInitialized else { throw CoreError.badRequest("Vault is not initialized") }
        try await submitUnsealShare(share)
        return .raw(sealStatus())
    }

    // MARK: health and leader

    static func isTrue(_ value: String?) -> Bool {
        ["1", "t", "T", "true", "TRUE", "True"].contains(value ?? "")
    }

    /// The cluster's name and id, known while unsealed.
    var identity: ClusterIdentity? {
        switch state {
        case .active(let node): node.identity
        case .standby(let identity): identity
        default: nil
        }
    }

    func health(_ request: Request) throws(CoreError) -> Response {
        try requireMethod(request, [.read, .head])
        let code: Int
        switch state {
        case .uninitialized:
            code = try request.queryCode("uninitcode", default: 501)
        case .sealed, .unsealing:
            code = try request.queryCode("sealedcode", default: 503)
        case .standby:
            code = try request.queryCode("standbycode", default: 429)
        case .active:
            code = try request.queryCode("activecode", default: 200)
        }
        var body: [String: JSONValue] = [
            "initialized": .bool(isInitialized),
            "sealed": .bool(isSealed),
            "standby": .bool(isSealed || isStandby),
            // OpenBao on raft storage reports an active node as "primary".
            "replication_performance_mode": isSealed ? "unknown" : (options.storageType == "raft" ? "primary" : "disabled"),
            "replication_dr_mode": isSealed ? "unknown" : .string(replicationDRMode),
            "server_time_utc": .int(Int64(environment.now().timeIntervalSince1970)),
            "version": .string(options.version),
        ]
        if let identity {
            body["cluster_name"] = .string(identity.name)
            body["cluster_id"] = .string(identity.id)
        }
        if request.operation == .head {
            return Response(status: code, body: .none)
        }
        return Response(status: code, body: code == 204 ? .none : .raw(.object(body)))
    }

    func leader(_ request: Request) async throws(CoreError) -> Response {
        try requireMethod(request, [.read])
        guard !isSealed else { throw CoreError.sealed }
        if let ha {
            let status = await ha.leaderStatus(stateHash: Self.isTrue(request.query["state_hash"]))
            var body: [String: JSONValue] = [
                "ha_enabled": true,
                "is_self": .bool(status.isSelf),
                "active_time": .string(status.activeTime ?? "0001-01-01T00:00:00Z"),
                "leader_address": .string(status.leaderAddress),
                "leader_cluster_address": .string(status.leaderClusterAddress),
                "performance_standby": false,
                "performance_standby_last_remote_wal": 0,
                "raft_committed_index": .int(Int64(clamping: status.committedIndex)),
                "raft_applied_index": .int(Int64(clamping: status.appliedIndex)),
            ]
            if let hash = status.stateHash { body["raft_state_hash"] = .string(hash) }
            return .raw(.object(body))
        }
        return .raw([
            "ha_enabled": false,
            "is_self": false,
            "active_time": "0001-01-01T00:00:00Z",
            "leader_address": "",
            "leader_cluster_address": "",
            "performance_standby": false,
            "performance_standby_last_remote_wal": 0,
        ])
    }
}

/// RFC 3339 with nanoseconds in UTC, as Go prints `time.Time`.
func rfc3339(_ date: Date) -> String {
    Timestamp(date).rfc3339Nano
}
