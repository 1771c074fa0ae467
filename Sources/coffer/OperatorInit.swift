import ArgumentParser

/// `coffer operator init`: PUT `sys/init` and print the unseal key shares and the initial root token. These
/// are the only secrets the CLI prints unasked-for-by-field, because printing them is the command's purpose.
struct OperatorInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Initialize a server: create the root key and split it into shares.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: [.customLong("key-shares", withSingleDash: true), .customLong("n", withSingleDash: true)],
            help: "Number of key shares to split the root key into.")
    var keyShares: Int = 0

    @Option(name: [.customLong("key-threshold", withSingleDash: true), .customLong("t", withSingleDash: true)],
            help: "Number of shares required to reconstruct the root key.")
    var keyThreshold: Int = 0

    @Option(name: .customLong("recovery-shares", withSingleDash: true), help: .hidden)
    var recoveryShares: Int = 0

    @Option(name: .customLong("recovery-threshold", withSingleDash: true), help: .hidden)
    var recoveryThreshold: Int = 0

    @Flag(name: .customLong("status", withSingleDash: true),
          help: "Only report whether the server is initialized (exit 0 yes, 2 no).")
    var status = false

    @Argument(help: .hidden)
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        if !arguments.isEmpty {
            throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
        }
        let client = clientOptions.client()
        let sealStatus: JSONObject
        do {
            sealStatus = try await client.send("GET", "sys/seal-status")?.objectValue ?? JSONObject()
        } catch {
            throw CLIError.request("\(error)")
        }
        if sealStatus["recovery_seal"]?.boolValue ?? false {
            recoveryShares = recoveryShares == 0 ? 5 : recoveryShares
            recoveryThreshold = recoveryThreshold == 0 ? 3 : recoveryThreshold
        } else {
            keyShares = keyShares == 0 ? 5 : keyShares
            keyThreshold = keyThreshold == 0 ? 3 : keyThreshold
        }
        if status {
            try await printInitStatus(client: client, format: format)
            return
        }
        let request = JSONObject([
            ("secret_shares", .number(String(keyShares))),
            ("secret_threshold", .number(String(keyThreshold))),
            ("recovery_shares", .number(String(recoveryShares))),
            ("recovery_threshold", .number(String(recoveryThreshold))),
        ])
        let response: JSONObject
        do {
            response = try await client.send("PUT", "sys/init", body: .object(request))?.objectValue ?? JSONObject()
        } catch {
            throw CLIError.request("Error initializing: \(error)")
        }
        printResult(response, format: format)
    }

    private func strings(_ value: JSONValue?) -> [String] {
        value?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    private func printResult(_ response: JSONObject, format: OutputFormat) {
        let keysHex = strings(response["keys"])
        let keysBase64 = strings(response["keys_base64"])
        let recoveryHex = strings(response["recovery_keys"])
        let recoveryBase64 = strings(response["recovery_keys_base64"])
        let rootToken = response["root_token"]?.stringValue ?? ""
        if format == .json || format == .yaml {
            let list: ([String]) -> JSONValue = { .array($0.map(JSONValue.string)) }
            let object = JSONObject([
                ("unseal_keys_b64", list(keysBase64)),
                ("unseal_keys_hex", list(keysHex)),
                ("unseal_shares", .number(String(keysHex.isEmpty ? 1 : keyShares))),
                ("unseal_threshold", .number(String(keysHex.isEmpty ? 1 : keyThreshold))),
                ("recovery_keys_b64", list(recoveryBase64)),
                ("recovery_keys_hex", list(recoveryHex)),
                ("recovery_keys_shares", .number(String(recoveryShares))),
                ("recovery_keys_threshold", .number(String(recoveryThreshold))),
                ("root_token", .string(rootToken)),
            ])
            Console.output(format.render(.object(object)))
            return
        }
        let shown = keysBase64.count == keysHex.count ? keysBase64 : keysHex
        for (position, key) in shown.enumerated() {
            Console.output("Unseal Key \(position + 1): \(key)")
        }
        let recoveryShown = recoveryBase64.count == recoveryHex.count ? recoveryBase64 : recoveryHex
        for (position, key) in recoveryShown.enumerated() {
            Console.output("Recovery Key \(position + 1): \(key)")
        }
        Console.output("")
        Console.output("Initial Root Token: \(rootToken)")
        Console.output("")
        if keysHex.isEmpty {
            Console.output("Success! Vault is initialized")
        } else {
            Console.output(TextWrap.wrap(
                "The server is initialized. Its root key was split into \(keyShares) key shares, any "
                    + "\(keyThreshold) of which reconstruct it. Hand each share printed above to a different "
                    + "key holder. Whenever the server restarts or is sealed, \(keyThreshold) holders must "
                    + "submit their shares with \"coffer operator unseal\" before it serves requests again."))
            Console.output("")
            Console.output(TextWrap.wrap(
                "The root key itself is not stored anywhere. Lose more than \(keyShares - keyThreshold) of the "
                    + "shares and the data can never be unsealed again."))
            Console.output("")
            Console.output(TextWrap.wrap(
                "While a quorum of the current shares is available, \"coffer operator rekey\" can replace "
                    + "them with a new set."))
        }
        if !recoveryHex.isEmpty {
            Console.output("")
            Console.output(TextWrap.wrap(
                "Recovery key split into \(recoveryShares) shares with a threshold of \(recoveryThreshold); "
                    + "distribute them to their holders."))
        }
    }

    private func printInitStatus(client: VaultClient, format: OutputFormat) async throws(CLIError) {
        let initialized: Bool
        do {
            initialized = try await client.send("GET", "sys/init")?["initialized"]?.boolValue ?? false
        } catch {
            throw .usage("Error checking init status: \(error)")
        }
        format.print(json: .object(JSONObject([("initialized", .bool(initialized))]))) {
            initialized ? "Vault is initialized" : "Vault is not initialized"
        }
        if !initialized {
            throw .silent(2)
        }
    }
}
