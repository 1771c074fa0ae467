import ArgumentParser

/// `coffer delete PATH`: DELETE a path, as `vault delete`.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete secrets and configuration.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "PATH [K=V...]")
    var arguments: [String] = []

    mutating func run() async throws {
        try ArgumentCount.require(arguments, atLeast: 1)
        let path = VaultPath.sanitize(arguments[0])
        var builder = KeyValueArguments()
        let query = try builder.build(Array(arguments.dropFirst())).members.map { member in
            (member.key, member.value.stringValue ?? GoValueFormat.verbV(member.value))
        }
        do {
            _ = try await clientOptions.client().send("DELETE", path, query: query)
        } catch {
            throw CLIError.request("Error deleting \(path): \(error)")
        }
        Console.output("Success! Data deleted (if it existed) at: \(path)")
    }
}
