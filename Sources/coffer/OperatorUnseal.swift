import ArgumentParser

/// `coffer operator unseal [KEY]`: submit one key share (or `-reset` the attempt) and print the seal status.
/// Without KEY the share is asked for on the terminal without echo, or read as one line from a non-terminal stdin.
struct OperatorUnseal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unseal", abstract: "Submit an unseal key share.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var interaction: InteractionOption

    @Flag(name: .customLong("reset", withSingleDash: true), help: "Discard the shares submitted so far.")
    var reset = false

    @Flag(name: .customLong("migrate", withSingleDash: true), help: .hidden)
    var migrate = false

    @Argument(help: "[KEY]")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, atMost: 1)
        let client = clientOptions.client()
        let status: JSONObject
        if reset {
            do {
                status = try await client.send(
                    "PUT", "sys/unseal", body: .object(JSONObject([("reset", .bool(true))])))?.objectValue
                    ?? JSONObject()
            } catch {
                throw CLIError.request("Error resetting unseal process: \(error)")
            }
        } else {
            var key = arguments.first ?? ""
            if key == "-" {
                key = SecretPrompt.readStandardInput()
            } else if key.isEmpty {
                if interaction.nonInteractive {
                    throw CLIError.usage(TextWrap.wrap(
                        "Refusing to read from stdin with -non-interactive specified; specify unseal key as an "
                            + "argument to this command"))
                }
                key = try SecretPrompt.read(prompt: "Unseal Key (will be hidden): ")
            }
            var body = JSONObject([("key", .string(key.trimmingWhitespace()))])
            if migrate {
                body.set("migrate", .bool(true))
            }
            do {
                status = try await client.send("PUT", "sys/unseal", body: .object(body))?.objectValue ?? JSONObject()
            } catch {
                throw CLIError.request("Error unsealing: \(error)")
            }
        }
        try await SealStatus.printWithLeader(status, client: client, format: format)
    }
}
