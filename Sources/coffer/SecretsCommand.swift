import ArgumentParser

/// `coffer secrets enable|disable`: secrets engine mounts (`sys/mounts/*`).
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Interact with secrets engines.",
        subcommands: [SecretsEnable.self, SecretsDisable.self])
}
