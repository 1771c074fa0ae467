import ArgumentParser

/// `coffer auth enable [-path=P] TYPE`: mount an auth method (e.g. `approle`, `userpass`).
struct AuthEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable an auth method.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var mount: MountOptions

    mutating func run() async throws {
        try ArgumentCount.require(mount.arguments, exactly: 1)
        let type = mount.arguments[0].trimmingWhitespace()
        let path = mount.mountPath(for: type)
        do {
            let body = mount.body(type: type, options: .null)
            let endpoint = "sys/auth/" + VaultPath.sanitize(path)
            _ = try await clientOptions.client().send("POST", endpoint, body: .object(body))
        } catch {
            throw CLIError.request("Error enabling \(type) auth: \(error)")
        }
        Console.output("Success! Enabled \(type) auth method at: \(path)")
    }
}
