import ArgumentParser

/// `coffer unwrap [TOKEN]`: spend a wrapping token and print what it wrapped, as `vault unwrap`. With TOKEN, the
/// token travels in the body and the caller's own token authenticates (or, with no token of one's own, it is sent
/// as the client token); without TOKEN, the caller's token is the wrapping token.
struct UnwrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unwrap", abstract: "Unwrap a wrapped secret.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption

    @Argument(help: "[TOKEN]")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, atMost: 1)
        let client = clientOptions.client()
        let wrappingToken = arguments.first?.trimmingWhitespace() ?? ""
        var body: JSONValue?
        var headerToken: String?
        if !wrappingToken.isEmpty {
            // As Vault's client: with no token of our own the wrapping token authenticates the call itself;
            // otherwise it goes in the body and our token authenticates.
            let own = client.configuration.token ?? ""
            if own.isEmpty {
                headerToken = wrappingToken
            } else if own != wrappingToken {
                body = .object(JSONObject([("token", .string(wrappingToken))]))
            }
        }
        let secret: Secret?
        do {
            let answer = try await client.exchange("PUT", "sys/wrapping/unwrap", body: body, token: headerToken)
            guard answer.isSuccess || answer.statusCode == 404 else {
                throw answer.failure
            }
            if answer.statusCode == 404 {
                // A wrapped 404 carries data; a bare 404 means there is nothing to unwrap.
                let found = Secret.decode(try? answer.json())
                let hasContent = !(found?.data?.isEmpty ?? true) || !(found?.warnings?.isEmpty ?? true)
                secret = hasContent ? found : nil
            } else {
                secret = Secret.decode(try answer.json())
            }
        } catch {
            throw CLIError.request("Error unwrapping: \(error)")
        }
        guard let secret else {
            throw CLIError.request("Could not find wrapped response")
        }
        try SecretOutput(format: format, field: fieldOption.field).print(secret)
    }
}
