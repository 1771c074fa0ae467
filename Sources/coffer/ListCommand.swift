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
        let secret: Secret?
        do {
            secret = try ReadCommand.secret(from: answer, path: path)
        } catch {
            throw CLIError.request(error.message.replacingPrefix("Error reading", with: "Error listing"))
        }
        if let secret, let wrapInfo = secret.wrapInfo, (wrapInfo["ttl"]?.intValue ?? 0) != 0 {
            try SecretOutput(format: format, field: nil).print(secret)
            return
        }
        let keys = secret?.data?["keys"]?.arrayValue
        if format != .table {
            guard let keys else {
                Console.output("{}")
                throw CLIError.silent(2)
            }
            Console.output(GoJSON.indented(.array(keys)))
            return
        }
        guard let secret, secret.data != nil else {
            throw CLIError.request("No value found at \(path)")
        }
        guard let keys else {
            throw CLIError.request("No entries found at \(path)")
        }
        if let warnings = secret.warningText() {
            Console.error(warnings)
        }
        let names = keys.map { $0.stringValue ?? GoValueFormat.verbV($0) }.sorted {
            $0.utf8.lexicographicallyPrecedes($1.utf8)
        }
        if !names.isEmpty {
            Console.output(Table.withHeader(["Keys"], rows: names.map { [$0] }).render())
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
