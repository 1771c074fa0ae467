import ArgumentParser

/// `coffer operator rotate-keys`: OpenBao's name for rekey (`sys/rotate/root`).
struct OperatorRotateKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys", abstract: "Generate new unseal key shares (OpenBao's name for rekey).")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var options: RekeyOptions

    mutating func run() async throws {
        try await options.run(.rotateKeys, client: clientOptions.client(), format: try formatOption.resolved())
    }
}
