import ArgumentParser

/// `coffer secrets disable PATH`: unmount a secrets engine and everything stored under it.
struct SecretsDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a secrets engine.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        try ArgumentCount.require(arguments, exactly: 1)
        let path = VaultPath.sanitize(arguments[0]) + "/"
        do {
            _ = try await clientOptions.client().send("DELETE", "sys/mounts/" + VaultPath.sanitize(path))
        } catch {
            throw CLIError.request("Error disabling secrets engine at \(path): \(error)")
        }
        Console.output("Success! Disabled the secrets engine (if it existed) at: \(path)")
    }
}
