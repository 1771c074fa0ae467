/// The multi-step replacement of the unseal key shares, shared by `operator rekey` and `operator rotate-keys`:
/// `-init` starts an attempt and returns a nonce; each holder submits a current share with that nonce; the
/// submission that completes the quorum returns (and this prints) the new shares.
///
/// Vault serves the flow at `sys/rekey/*`; OpenBao 2.7 moved it to `sys/rotate/root/*` and answers 405 at the old
/// path. `rekey` uses the Vault path and falls back to the OpenBao one on 405; `rotate-keys` uses OpenBao's.
struct RekeyFlow {
    enum Dialect {
        /// `operator rekey`: Vault's endpoints and wording.
        case rekey
        /// `operator rotate-keys`: OpenBao's endpoints and wording.
        case rotateKeys
    }

    var dialect: Dialect
    var client: VaultClient
    var format: OutputFormat

    private var noun: String { dialect == .rekey ? "rekey" : "rotation" }

    private var basePaths: [String] {
        dialect == .rekey ? ["sys/rekey", "sys/rotate/root"] : ["sys/rotate/root"]
    }

    /// Sends to the first base path that the server supports (not 404/405 "unsupported").
    private func send(
        _ method: String, _ suffix: String, body: JSONValue? = nil
    ) async throws(ClientError) -> JSONObject {
        var lastFailure: ClientError?
        for base in basePaths {
            let answer = try await client.exchange(method, base + "/" + suffix, body: body)
            if answer.statusCode == 405, base != basePaths.last {
                lastFailure = answer.failure
                continue
            }
            guard answer.isSuccess else {
                throw answer.failure
            }
            return Self.unwrapEnvelope(try answer.json()?.objectValue ?? JSONObject())
        }
        throw lastFailure ?? .badBody("no rekey endpoint")
    }

    /// Vault's `sys/rekey/*` answers with bare fields; OpenBao's `sys/rotate/root/*` puts them in the usual
    /// response envelope under `data`.
    private static func unwrapEnvelope(_ object: JSONObject) -> JSONObject {
        if object["nonce"] == nil, object["started"] == nil, object["complete"] == nil,
           let data = object["data"]?.objectValue {
            return data
        }
        return object
    }

    // MARK: steps

    func start(shares: Int, threshold: Int) async throws(CLIError) {
        let body = JSONObject([
            ("secret_shares", .number(String(shares))),
            ("secret_threshold", .number(String(threshold))),
            ("pgp_keys", .null),
            ("backup", .bool(false)),
            ("require_verification", .bool(false)),
        ])
        let status: JSONObject
        do {
            status = try await send(dialect == .rekey ? "PUT" : "POST", "init", body: .object(body))
        } catch {
            throw .request("Error initializing \(noun): \(error)")
        }
        Console.error(TextWrap.wrap(
            "WARNING! The new key shares are printed once, when the last current share is submitted, and "
                + "cannot be recovered if they are lost after that."))
        printStatus(status)
    }

    func cancel() async throws(CLIError) {
        do {
            _ = try await send("DELETE", "init")
        } catch {
            throw .request("Error canceling \(noun): \(error)")
        }
        Console.output(dialect == .rekey
            ? "Success! Canceled rekeying (if it was started)"
            : "Success! Canceled rotation (if it was started)")
    }

    func showStatus() async throws(CLIError) {
        printStatus(try await fetchStatus(errorPrefix: "Error reading \(noun) status"))
    }

    private func fetchStatus(errorPrefix: String) async throws(CLIError) -> JSONObject {
        do {
            return try await send("GET", "init")
        } catch {
            throw .request("\(errorPrefix): \(error)")
        }
    }

    /// Submits one current share. `key` is the argument: a share, `-` for stdin, or empty to prompt.
    func submit(key argument: String, nonce flagNonce: String?) async throws(CLIError) {
        let status = try await fetchStatus(errorPrefix: "Error getting \(noun) status")
        guard status["started"]?.boolValue ?? false else {
            let command = dialect == .rekey ? "coffer operator rekey -init" : "coffer operator rotate-keys -init"
            throw .usage(TextWrap.wrap(
                "No \(noun) is in progress. Start one by running \"\(command)\"."))
        }
        var nonce = flagNonce ?? ""
        var key = argument
        if key == "-" {
            key = SecretPrompt.readStandardInput()
        } else if key.isEmpty {
            nonce = status["nonce"]?.stringValue ?? ""
            Console.output("\(dialect == .rekey ? "Rekey operation" : "Operation") nonce: \(nonce)")
            key = try SecretPrompt.read(prompt: "Unseal Key (will be hidden): ")
        }
        key = key.trimmingWhitespace()
        guard !nonce.isEmpty else {
            throw .usage("Missing nonce value: specify it via the -nonce flag")
        }
        let body = JSONObject([("key", .string(key)), ("nonce", .string(nonce))])
        let response: JSONObject
        do {
            response = try await send(dialect == .rekey ? "PUT" : "POST", "update", body: .object(body))
        } catch {
            throw .request("Error posting unseal key: \(error)")
        }
        guard response["complete"]?.boolValue ?? false else {
            try await showStatus()
            return
        }
        printNewKeys(response, status: status)
    }

    // MARK: output

    private func printStatus(_ status: JSONObject) {
        let fields: [(String, JSONValue)] = [
            ("nonce", .string("")), ("started", .bool(false)), ("t", .number("0")), ("n", .number("0")),
            ("progress", .number("0")), ("required", .number("0")), ("pgp_fingerprints", .null),
            ("backup", .bool(false)), ("verification_required", .bool(false)), ("verification_nonce", .string("")),
        ]
        let json = JSONObject(fields.map { ($0.0, status[$0.0] ?? $0.1) })
        format.print(json: .object(json)) {
            var rows: [[String]] = [
                ["Nonce", status["nonce"]?.stringValue ?? ""],
                ["Started", String(status["started"]?.boolValue ?? false)],
            ]
            if status["started"]?.boolValue ?? false {
                let progress = status["progress"]?.intValue ?? 0
                let required = status["required"]?.intValue ?? 0
                let label = dialect == .rekey ? "Rekey Progress" : "Progress"
                let suffix = progress == required ? " (verification in progress)" : ""
                rows.append([label, "\(progress)/\(required)\(suffix)"])
                rows.append(["New Shares", String(status["n"]?.intValue ?? 0)])
                rows.append(["New Threshold", String(status["t"]?.intValue ?? 0)])
                rows.append(["Verification Required", String(status["verification_required"]?.boolValue ?? false)])
                if let verification = status["verification_nonce"]?.stringValue, !verification.isEmpty {
                    rows.append(["Verification Nonce", verification])
                }
            }
            if let fingerprints = status["pgp_fingerprints"]?.arrayValue, !fingerprints.isEmpty {
                rows.append(["PGP Fingerprints", GoValueFormat.verbV(.array(fingerprints))])
                rows.append(["Backup", String(status["backup"]?.boolValue ?? false)])
            }
            return Table.withHeader(["Key", "Value"], rows: rows).render()
        }
    }

    /// The new shares: printing them is the purpose of the command.
    private func printNewKeys(_ response: JSONObject, status: JSONObject) {
        if format == .json || format == .yaml {
            let fields: [(String, JSONValue)] = [
                ("nonce", .string("")), ("complete", .bool(false)), ("keys", .null), ("keys_base64", .null),
                ("pgp_fingerprints", .null), ("backup", .bool(false)), ("verification_required", .bool(false)),
                ("verification_nonce", .string("")),
            ]
            Console.output(format.render(.object(JSONObject(fields.map { ($0.0, response[$0.0] ?? $0.1) }))))
            return
        }
        let hex = response["keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let base64 = response["keys_base64"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let shown = base64.count == hex.count ? base64 : hex
        Console.output("")
        for (position, key) in shown.enumerated() {
            Console.output("Key \(position + 1): \(key)")
        }
        Console.output("")
        Console.output("Operation nonce: \(response["nonce"]?.stringValue ?? "")")
        let shares = status["n"]?.intValue ?? shown.count
        let threshold = status["t"]?.intValue ?? 0
        Console.output("")
        Console.output(TextWrap.wrap(
            "The unseal key shares have been replaced: \(shares) new shares, any \(threshold) of which unseal "
                + "the server. The previous shares no longer work. Hand each share printed above to a "
                + "different key holder; after a restart or seal, \(threshold) of them are needed to unseal."))
    }
}
