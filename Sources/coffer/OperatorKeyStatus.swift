import ArgumentParser

/// `coffer operator key-status`: the barrier key term now in use.
struct OperatorKeyStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key-status", abstract: "Print the barrier encryption key status.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: .hidden)
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        if !arguments.isEmpty {
            throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
        }
        let status = try await KeyStatus.fetch(clientOptions.client())
        format.print(json: status.jsonValue()) { status.table() }
    }
}
