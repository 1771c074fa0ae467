import ArgumentParser

/// `coffer write PATH [K=V...]`: PUT data to a path, as `vault write`. Unlike `vault`, a write with no data and
/// no `-f` is accepted and sends `{}`, because runbooks often leave the flag out.
struct WriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write", abstract: "Write data, configuration, and secrets.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var wrapOption: WrapOption

    @Flag(
        name: [.customShort("f"), .customLong("force", withSingleDash: true)],
        help: "Allow the write with no data (accepted for compatibility; always allowed).")
    var force = false

    @Argument(help: "PATH [K=V...] [K=@file] [-]")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, atLeast: 1)
        let path = VaultPath.sanitize(arguments[0])
        var builder = KeyValueArguments()
        let data = try builder.build(Array(arguments.dropFirst()))
        let client = clientOptions.client(wrapTTL: wrapOption.wrapTTL)
        let secret: Secret?
        do {
            let answer = try await client.exchange("PUT", path, body: .object(data))
            if answer.statusCode == 404, let found = Secret.decode(try? answer.json()),
               !(found.data?.isEmpty ?? true) || !(found.warnings?.isEmpty ?? true) {
                secret = found
            } else if answer.isSuccess {
                secret = Secret.decode(try answer.json())
            } else {
                throw answer.failure
            }
        } catch {
            throw CLIError.request("Error writing data to \(path): \(error)")
        }
        guard let secret else {
            if format == .table {
                Console.output("Success! Data written to: \(path)")
            }
            return
        }
        try SecretOutput(format: format, field: fieldOption.field).print(secret)
    }
}
