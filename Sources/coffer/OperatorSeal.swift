import ArgumentParser

/// `coffer operator seal`: PUT `sys/seal`; the node drops its keys and refuses requests until unsealed again.
struct OperatorSeal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal", abstract: "Seal the server.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: .hidden)
    var arguments: [String] = []

    mutating func run() async throws {
        if !arguments.isEmpty {
            throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
        }
        do {
            _ = try await clientOptions.client().send("PUT", "sys/seal")
        } catch {
            throw CLIError.request("Error sealing: \(error)")
        }
        Console.output("Success! Vault is sealed.")
    }
}
