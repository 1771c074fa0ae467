import ArgumentParser

/// `coffer token ...`: token helpers.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Interact with tokens.",
        subcommands: [TokenLookup.self, TokenCreate.self, TokenRevoke.self])
}
