import Barrier
import Foundation

extension CofferCore {
    /// `sys/rekey/*` (legacy, unauthenticated) and `sys/rotate/root/*` (authenticated):
    /// new unseal shares from a quorum of the current ones. The root key is unchanged;
    /// only its encryption under the unseal key is replaced.
    func handleRekey(_ request: Request, authenticated: Bool) async throws(CoreError) -> Response {
        let isInit = request.path.hasSuffix("/init")
        switch (isInit, request.operation) {
        case (true, .read):
            return rekeyResponse(rekeyStatus(authenticated: authenticated), authenticated: authenticated)
        case (true, .update), (true, .create):
            return try startRekey(request, authenticated: authenticated)
        case (true, .delete):
            if rekey?.authenticated == authenticated { rekey = nil }
            return .noContent
        case (false, .update), (false, .create):
            return try await continueRekey(request, authenticated: authenticated)
        default:
            throw CoreError.methodNotAllowed
        }
    }

    private func rekeyResponse(_ body: [String: JSONValue], authenticated: Bool) -> Response {
        authenticated ? .data(body) : .raw(.object(body))
    }

    func rekeyStatus(authenticated: Bool) -> [String: JSONValue] {
        let required = Int64(sealConfig?.secretThreshold ?? 0)
        guard let operation = rekey, operation.authenticated == authenticated else {
            if authenticated {
                return ["started": false, "t": 0, "n": 0, "required": .int(required)]
            }
            return [
                "nonce": "", "started": false, "t": 0, "n": 0, "progress": 0, "required": .int(required),
                "pgp_fingerprints": .null, "backup": false, "verification_required": false,
            ]
        }
        var body: [String: JSONValue] = [
            "nonce": .string(operation.nonce),
            "started": true,
            "t": .int(Int64(operation.newConfig.secretThreshold)),
            "n": .int(Int64(operation.newConfig.secretShares)),
            "progress": .int(Int64(operation.progress.count)),
            "required": .int(required),
            "verification_required": false,
        ]
        if authenticated {
            body["verification_nonce"] = ""
        } else {
            body["pgp_fingerprints"] = .null
            body["backup"] = false
        }
        return body
    }

    private func startRekey(_ request: Request, authenticated: Bool) throws(CoreError) -> Response {
        guard let current = sealConfig else { throw CoreError.badRequest("Vault is not initialized") }
        if rekey != nil {
            throw CoreError.badRequest("rekey already in progress")
        }
        let structName = authenticated ? "RotateRequest" : "RekeyRequest"
        let shares = try request.int("secret_shares", default: 0, struct: structName)
        let threshold = try request.int("secret_threshold", default: 0, struct: structName)
        if let pgp = request.data["pgp_keys"], pgp != .null, pgp != .array([]) {
            throw CoreError.badRequest("pgp_keys are not supported by this server")
        }
        if try request.bool("require_verification", struct: structName) {
            throw CoreError.badRequest("rekey verification is not supported by this server")
        }
        let newConfig: SealConfig
        do {
            newConfig = try SealConfig(shares: shares, threshold: threshold)
        } catch {
            if case .badRequest(let message) = error {
                throw CoreError.badRequest(message.replacingOccurrences(
                    of: "invalid seal configuration", with: "invalid rekey seal configuration"))
            }
            throw error
        }
        let nonce = environment.uuid()
        rekey = RekeyOperation(
            nonce: nonce,
            newConfig: newConfig,
            progress: UnsealProgress(threshold: current.secretThreshold, nonce: nonce),
            authenticated: authenticated
        )
        return rekeyResponse(rekeyStatus(authenticated: authenticated), authenticated: authenticated)
    }

    private func continueRekey(_ request: Request, authenticated: Bool) async throws(CoreError) -> Response {
        let structName = authenticated ? "RotateUpdateRequest" : "RekeyUpdateRequest"
        let keyText = try request.string("key", struct: structName)
        let nonce = try request.string("nonce", struct: structName) ?? ""
        guard var operation = rekey, operation.authenticated == authenticated else {
            throw CoreError.badRequest("no rekey in progress")
        }
        guard let keyText, !keyText.isEmpty else {
            throw CoreError.badRequest("'key' must be specified in request body as JSON")
        }
        guard constantTimeEquals(nonce, operation.nonce) else {
            throw CoreError.badRequest(
                "incorrect nonce supplied; nonce for this rekey operation is \"\(operation.nonce)\"")
        }
        let share = try KeyShare.decode(keyText)
        switch operation.progress.add(share) {
        case .duplicate:
            throw CoreError.badRequest("given key has already been provided during this generation operation")
        case .recorded:
            rekey = operation
            return rekeyResponse(rekeyStatus(authenticated: authenticated), authenticated: authenticated)
        case .complete(let shares):
            rekey = operation
            let oldKey = try combine(shares)
            let valid: Bool
            do {
                valid = try await barrier.verify(unsealKey: oldKey)
            } catch {
                throw fault(error, doing: "verify unseal key")
            }
            guard valid else {
                operation.progress = UnsealProgress(threshold: operation.progress.threshold, nonce: operation.nonce)
                rekey = operation
                throw CoreError.badRequest("failed to recover root key: the key shares given do not match")
            }
            return try await finishRekey(operation, authenticated: authenticated)
        }
    }

    private func finishRekey(_ operation: RekeyOperation, authenticated: Bool) async throws(CoreError) -> Response {
        var keyBytes = environment.randomBytes(32)
        defer { wipe(&keyBytes) }
        let shares = try splitUnsealKey(keyBytes, config: operation.newConfig)
        do {
            // Not yet one atomic write: a crash between these two leaves the new key with
            // the old share parameters. Fine when the threshold is unchanged.
            try await barrier.rekey(newUnsealKey: try secretKey(keyBytes))
            try await physical.put(SealConfig.storageKey, Array(JSONEncoder().encode(operation.newConfig)))
        } catch {
            throw fault(error, doing: "rekey")
        }
        sealConfig = operation.newConfig
        rekey = nil
        logger.info("rekeyed", metadata: [
            "shares": "\(operation.newConfig.secretShares)", "threshold": "\(operation.newConfig.secretThreshold)",
        ])
        var body: [String: JSONValue] = [
            "nonce": .string(operation.nonce),
            "complete": true,
            "keys": .array(shares.map { .string(hexString($0)) }),
            "keys_base64": .array(shares.map { .string(Data($0).base64EncodedString()) }),
            "verification_required": false,
        ]
        if authenticated {
            body["verification_nonce"] = ""
        } else {
            body["pgp_fingerprints"] = .null
            body["backup"] = false
        }
        return rekeyResponse(body, authenticated: authenticated)
    }
}

/// Equality of two strings whose time does not depend on where they differ.
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    let left = Array(lhs.utf8)
    let right = Array(rhs.utf8)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices {
        difference |= left[index] ^ right[index]
    }
    return difference == 0
}
