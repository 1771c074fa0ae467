import ArgumentParser

/// `coffer operator step-down`: the active node hands leadership to a standby.
struct OperatorStepDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step-down", abstract: "Force the active node to give up active duty.")

    @OptionGroup var clientOptions: ClientOptions

    mutating func run() async throws {
        do {
            _ = try await clientOptions.client().send("PUT", "sys/step-down")
        } catch {
            throw CLIError.request("Error stepping down: \(error)")
        }
        let address = ClientConfiguration.resolve(addressFlag: clientOptions.address).address
        Console.output("Success! Stepped down: \(address)")
    }
}
