import ArgumentParser

/// `coffer auth enable|disable`: auth method mounts (`sys/auth/*`).
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Interact with auth methods.",
        subcommands: [AuthEnable.self, AuthDisable.self])
}
