import ArgumentParser

/// `coffer secrets enable [-path=P] [-version=2] TYPE`: mount a secrets engine. `kv-v2` means `kv` version 2.
struct SecretsEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a secrets engine.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var mount: MountOptions

    @Option(name: .customLong("version", withSingleDash: true), help: "Engine version (kv: 1 or 2).")
    var version = 0

    mutating func run() async throws {
        try ArgumentCount.require(mount.arguments, exactly: 1)
        let named = mount.arguments[0].trimmingWhitespace()
        let path = mount.mountPath(for: named)
        var type = named
        if type == "kv-v2" {
            // Sent as kv with version 2, which every Vault-compatible server understands.
            type = "kv"
            version = 2
        }
        let options: JSONValue = version > 0
            ? .object(JSONObject([("version", .string(String(version)))])) : .null
        do {
            let body = mount.body(type: type, options: options)
            let endpoint = "sys/mounts/" + VaultPath.sanitize(path)
            _ = try await clientOptions.client().send("POST", endpoint, body: .object(body))
        } catch {
            throw CLIError.request("Error enabling: \(error)")
        }
        Console.output("Success! Enabled the \(named) secrets engine at: \(path)")
    }
}
