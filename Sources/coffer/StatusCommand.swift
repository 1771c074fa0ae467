import ArgumentParser

/// `coffer status`: the seal status table. Exit 0 when unsealed, 2 when sealed, 1 on error, as `vault status`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print seal and HA status.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: .hidden)
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        if !arguments.isEmpty {
            throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
        }
        let client = clientOptions.client()
        let raw: JSONObject
        do {
            raw = try await client.send("GET", "sys/seal-status")?.objectValue ?? JSONObject()
        } catch {
            throw CLIError.usage("Error checking seal status: \(error)")
        }
        try await SealStatus.printWithLeader(raw, client: client, format: format)
        if SealStatus(raw).sealed {
            throw CLIError.silent(2)
        }
    }
}
