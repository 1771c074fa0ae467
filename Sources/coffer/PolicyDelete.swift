import ArgumentParser

/// `coffer policy delete NAME`.
struct PolicyDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a policy.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "NAME")
    var arguments: [String] = []

    mutating func run() async throws {
        try ArgumentCount.require(arguments, exactly: 1)
        let name = arguments[0].lowercased().trimmingWhitespace()
        do {
            _ = try await clientOptions.client().send("DELETE", "sys/policies/acl/\(name)")
        } catch {
            throw CLIError.request("Error deleting \(name): \(error)")
        }
        Console.output("Success! Deleted policy: \(name)")
    }
}
