import ArgumentParser

/// `coffer token lookup [TOKEN]`: the properties of the caller's token (GET `auth/token/lookup-self`) or of
/// another token (POST `auth/token/lookup`), or by `-accessor`.
struct TokenLookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup", abstract: "Display information about a token.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption

    @Flag(name: .customLong("accessor", withSingleDash: true), help: "Treat the argument as an accessor.")
    var accessor = false

    @Argument(help: "[TOKEN | ACCESSOR]")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, atMost: 1)
        let client = clientOptions.client()
        let body: JSONValue?
        let path: String
        switch (arguments.first, accessor) {
        case (nil, true):
            throw CLIError.usage("Not enough arguments (expected 1, got 0)")
        case (nil, false):
            path = "auth/token/lookup-self"
            body = nil
        case (let value?, true):
            path = "auth/token/lookup-accessor"
            body = .object(JSONObject([("accessor", .string(value))]))
        case (let value?, false):
            path = "auth/token/lookup"
            body = .object(JSONObject([("token", .string(value))]))
        }
        let secret: Secret?
        do {
            secret = Secret.decode(try await client.send(body == nil ? "GET" : "POST", path, body: body))
        } catch {
            throw CLIError.request("Error looking up token: \(error)")
        }
        guard let secret else {
            throw CLIError.request("Error looking up token: no data returned")
        }
        try SecretOutput(format: format, field: fieldOption.field).print(secret)
    }
}
