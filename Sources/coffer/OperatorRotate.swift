import ArgumentParser

/// `coffer operator rotate`: install a new barrier key term (PUT `sys/rotate`) and print the new key status.
/// Old terms stay readable; new writes use the new term.
struct OperatorRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Rotate the barrier encryption key.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: .hidden)
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        if !arguments.isEmpty {
            throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
        }
        let client = clientOptions.client()
        do {
            // Vault's path; OpenBao 2.7 also serves sys/rotate/keyring and may answer 405 here in future.
            let answer = try await client.exchange("PUT", "sys/rotate")
            if answer.statusCode == 405 {
                _ = try await client.send("POST", "sys/rotate/keyring")
            } else if !answer.isSuccess {
                throw answer.failure
            }
        } catch {
            throw CLIError.request("Error rotating key: \(error)")
        }
        let status = try await KeyStatus.fetch(client)
        switch format {
        case .json, .yaml:
            Console.output(format.render(status.jsonValue()))
        case .table, .raw:
            Console.output("Success! Rotated key")
            Console.output("")
            Console.output(status.table())
        }
    }
}
