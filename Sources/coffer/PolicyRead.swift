import ArgumentParser

/// `coffer policy read NAME`: print a policy's text (or `{"policy": ...}` with `-format=json`).
struct PolicyRead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Print a policy.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: "NAME")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, exactly: 1)
        let name = arguments[0].lowercased().trimmingWhitespace()
        let answer: VaultClient.Answer
        do {
            answer = try await clientOptions.client().exchange("GET", "sys/policies/acl/\(name)")
        } catch {
            throw CLIError.request("Error reading policy named \(name): \(error)")
        }
        let secret = try ReadCommand.secret(from: answer, path: "sys/policies/acl/\(name)")
        guard let policy = secret?.data?["policy"]?.stringValue else {
            throw CLIError.request("No policy named: \(name)")
        }
        format.print(json: .object(JSONObject([("policy", .string(policy))]))) { policy.trimmingWhitespace() }
    }
}
