import Foundation

/// Break-glass root tokens: key holders submit unseal shares; at the threshold a new
/// root token is created and returned XORed with a one-time password, so only the
/// operator holding the OTP can read it. `sys/generate-root-token/*` is the
/// authenticated API `bao operator generate-root` uses; `sys/generate-root/*` the legacy
/// unauthenticated one, off unless a listener sets
/// `disable_unauthed_generate_root_endpoints = false` (as in OpenBao 2.7).
extension CofferCore {
    static let otpLength = 26

    /// What a completed generation yields: a root token, or a DR operation token (a DR secondary's
    /// `sys/replication/dr/secondary/generate-operation-token/*`, same flow, same shares).
    enum GeneratedToken: Sendable, Equatable {
        case root
        case drOperation
    }

    struct GenerateRootOperation: Sendable {
        let nonce: String
        let otp: String
        var progress: UnsealProgress
        let authenticated: Bool
        var purpose: GeneratedToken = .root
    }

    func handleGenerateRoot(
        _ request: Request, authenticated: Bool, purpose: GeneratedToken = .root
    ) async throws(CoreError) -> Response {
        try requireActiveState()
        if let operation = generateRoot, operation.purpose != purpose {
            throw CoreError.badRequest("another token generation is in progress")
        }
        let isAttempt = request.path.hasSuffix("/attempt")
        switch (isAttempt, request.operation) {
        case (true, .read):
            return generateRootResponse(generateRootStatus(authenticated: authenticated, otp: nil), authenticated)
        case (true, .update), (true, .create):
            if generateRoot != nil { throw CoreError.badRequest("root generation already in progress") }
            if let pgp = try request.string("pgp_key", struct: "GenerateRootInit"), !pgp.isEmpty {
                throw CoreError.badRequest("pgp_key is not supported by this server; use an OTP")
            }
            var otp = try request.string("otp", struct: "GenerateRootInit") ?? ""
            if otp.isEmpty {
                otp = randomBase62(count: Self.otpLength)
            } else if otp.utf8.count != Self.otpLength {
                throw CoreError.badRequest("OTP string has incorrect length")
            }
            let nonce = environment.uuid()
            generateRoot = GenerateRootOperation(
                nonce: nonce, otp: otp,
                progress: UnsealProgress(threshold: sealConfig?.secretThreshold ?? 1, nonce: nonce),
                authenticated: authenticated, purpose: purpose)
            return generateRootResponse(generateRootStatus(authenticated: authenticated, otp: otp), authenticated)
        case (true, .delete):
            if generateRoot?.authenticated == authenticated { generateRoot = nil }
            return .noContent
        case (false, .update), (false, .create):
            return try await continueGenerateRoot(request, authenticated: authenticated)
        default:
            throw CoreError.methodNotAllowed
        }
    }

    private func generateRootResponse(_ body: [String: JSONValue], _ authenticated: Bool) -> Response {
        authenticated ? .data(body) : .raw(.object(body))
    }

    func generateRootStatus(authenticated: Bool, otp: String?, encoded: String = "") -> [String: JSONValue] {
        let required = Int64(sealConfig?.secretThreshold ?? 0)
        let operation = generateRoot?.authenticated == authenticated ? generateRoot : nil
        var body: [String: JSONValue] = [
            "started": .bool(operation != nil),
            "progress": .int(Int64(operation?.progress.count ?? 0)),
            "required": .int(required),
            "complete": .bool(!encoded.isEmpty),
            "otp": .string(otp ?? ""),
            "otp_length": .int(operation == nil || otp != nil ? Int64(Self.otpLength) : 0),
        ]
        if let operation { body["nonce"] = .string(operation.nonce) }
        if operation != nil || !encoded.isEmpty { body["pgp_fingerprint"] = "" }
        if !authenticated {
            body["nonce"] = .string(operation?.nonce ?? "")
            body["encoded_token"] = .string(encoded)
            body["encoded_root_token"] = .string(encoded)
            body["pgp_fingerprint"] = ""
        } else if !encoded.isEmpty || operation?.progress.count ?? 0 > 0 {
            body["encoded_token"] = .string(encoded)
        }
        return body
    }

    private func continueGenerateRoot(_ request: Request, authenticated: Bool) async throws(CoreError) -> Response {
        let keyText = try request.string("key", struct: "GenerateRootUpdate")
        let nonce = try request.string("nonce", struct: "GenerateRootUpdate") ?? ""
        guard var operation = generateRoot, operation.authenticated == authenticated else {
            throw CoreError.badRequest("no root generation in progress")
        }
        guard let keyText, !keyText.isEmpty else {
            throw CoreError.badRequest("'key' must be specified in request body as JSON")
        }
        guard constantTimeEquals(nonce, operation.nonce) else {
            throw CoreError.badRequest("incorrect nonce supplied; nonce for this root generation operation is "
                + "\"\(operation.nonce)\"")
        }
        let share = try KeyShare.decode(keyText)
        switch operation.progress.add(share) {
        case .duplicate:
            throw CoreError.badRequest("given key has already been provided during this generation operation")
        case .recorded:
            generateRoot = operation
            return generateRootResponse(generateRootStatus(authenticated: authenticated, otp: nil), authenticated)
        case .complete(let shares):
            let key = try combine(shares)
            let valid: Bool
            do {
                valid = try await barrier.verify(unsealKey: key)
            } catch {
                throw fault(error, doing: "verify unseal key")
            }
            guard valid else {
                operation.progress = UnsealProgress(threshold: operation.progress.threshold, nonce: operation.nonce)
                generateRoot = operation
                throw CoreError.badRequest("failed to recover root key: the key shares given do not match")
            }
            guard case .active(let node) = state else { throw CoreError.sealed }
            let root: (token: String, accessor: String)
            switch operation.purpose {
            case .root:
                do {
                    let created = try await node.tokens.createRoot()
                    root = (created.token, created.entry.accessor)
                } catch {
                    throw fault(error, doing: "create a root token")
                }
            case .drOperation:
                root = (issueDROperationToken(), "dr-operation")
            }
            let tokenBytes = Array(root.token.utf8)
            let otpBytes = Array(operation.otp.utf8)
            guard tokenBytes.count == otpBytes.count else {
                throw CoreError.internal("the OTP does not match the token length")
            }
            let encoded = Data(zip(tokenBytes, otpBytes).map { $0 ^ $1 }).base64EncodedString()
                .replacingOccurrences(of: "=", with: "")
            logger.warning("token generated by key holders", metadata: [
                "accessor": "\(root.accessor)", "purpose": "\(operation.purpose)",
            ])
            let status = generateRootStatus(authenticated: authenticated, otp: nil, encoded: encoded)
            generateRoot = nil
            var final = status
            final["started"] = true
            final["progress"] = .int(Int64(shares.count))
            final["nonce"] = .string(operation.nonce)
            return generateRootResponse(final, authenticated)
        }
    }

    func randomBase62(count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var out = [UInt8]()
        while out.count < count {
            for byte in environment.randomBytes(count * 2) where byte < 248 && out.count < count {
                out.append(alphabet[Int(byte % 62)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
