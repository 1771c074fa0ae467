import ArgumentParser

/// `coffer read PATH [K=V...]`: GET a path and print the secret, as `vault read`. Extra `K=V` arguments are sent
/// as query parameters. Exit 2 when nothing is found or the request fails.
struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read", abstract: "Read data and retrieve secrets.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var wrapOption: WrapOption

    @Argument(help: "PATH [K=V...]")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved(allowRaw: true)
        try ArgumentCount.require(arguments, atLeast: 1)
        let path = VaultPath.sanitize(arguments[0])
        var builder = KeyValueArguments()
        let query = try builder.build(Array(arguments.dropFirst())).members.map { member in
            (member.key, member.value.stringValue ?? GoValueFormat.verbV(member.value))
        }
        let client = clientOptions.client(wrapTTL: wrapOption.wrapTTL)
        let answer: VaultClient.Answer
        do {
            answer = try await client.exchange("GET", path, query: query)
            if format == .raw, answer.isSuccess {
                Console.output(String(decoding: answer.body, as: UTF8.self))
                return
            }
        } catch {
            throw CLIError.request("Error reading \(path): \(error)")
        }
        guard let secret = try Self.secret(from: answer, path: path) else {
            throw CLIError.request("No value found at \(path)")
        }
        try SecretOutput(format: format, field: fieldOption.field).print(secret)
    }

    /// The Go client's read rules: 404 with neither data nor warnings means "nothing there"; other failures are
    /// errors.
    static func secret(from answer: VaultClient.Answer, path: String) throws(CLIError) -> Secret? {
        do {
            if answer.statusCode == 404 {
                guard let secret = Secret.decode(try? answer.json()) else {
                    return nil
                }
                let hasData = !(secret.data?.isEmpty ?? true)
                let hasWarnings = !(secret.warnings?.isEmpty ?? true)
                return hasData || hasWarnings ? secret : nil
            }
            guard answer.isSuccess else {
                throw answer.failure
            }
            return Secret.decode(try answer.json())
        } catch {
            throw .request("Error reading \(path): \(error)")
        }
    }
}
