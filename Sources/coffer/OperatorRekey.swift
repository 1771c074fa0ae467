import ArgumentParser

/// `coffer operator rekey`: replace the unseal key shares (Vault's `sys/rekey` flow; see `RekeyFlow`).
struct OperatorRekey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey", abstract: "Generate new unseal key shares.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var options: RekeyOptions

    mutating func run() async throws {
        try await options.run(.rekey, client: clientOptions.client(), format: try formatOption.resolved())
    }
}
