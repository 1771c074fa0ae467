import ArgumentParser

/// `coffer auth disable PATH`: unmount an auth method; tokens it issued are revoked by the server.
struct AuthDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an auth method.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        try ArgumentCount.require(arguments, exactly: 1)
        let path = VaultPath.sanitize(arguments[0]) + "/"
        do {
            _ = try await clientOptions.client().send("DELETE", "sys/auth/" + VaultPath.sanitize(path))
        } catch {
            throw CLIError.request("Error disabling auth method at \(path): \(error)")
        }
        Console.output("Success! Disabled the auth method (if it existed) at: \(path)")
    }
}
