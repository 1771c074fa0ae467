import ArgumentParser

/// `coffer list PATH`: the keys under a path, sorted, as `vault list`. Exit 2 when there is nothing there.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List data or secrets.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var wrapOption: WrapOption

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, exactly: 1)
        let path = VaultPath.sanitize(arguments[0])
        let client = clientOptions.client(wrapTTL: wrapOption.wrapTTL)
        let answer: VaultClient.Answer
        do {
            answer = try await client.exchange("GET", path, query: [("list", "true")])
        } catch {
            throw CLIError.request("Error listing \(path): \(error)")
        }
        try ListOutput.print(answer, path: path, format: format)
    }
}
