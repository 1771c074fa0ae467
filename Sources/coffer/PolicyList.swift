import ArgumentParser

/// `coffer policy list`: policy names, one per line, in the server's order.
struct PolicyList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List policies.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: .hidden)
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        if !arguments.isEmpty {
            throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
        }
        let keys: [JSONValue]
        do {
            let answer = try await clientOptions.client().send("GET", "sys/policies/acl", query: [("list", "true")])
            keys = Secret.decode(answer)?.data?["keys"]?.arrayValue ?? []
        } catch {
            throw CLIError.request("Error listing policies: \(error)")
        }
        format.print(json: .array(keys)) {
            keys.isEmpty ? nil : keys.map { $0.stringValue ?? GoValueFormat.verbV($0) }.joined(separator: "\n")
        }
    }
}
