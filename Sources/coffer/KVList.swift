import ArgumentParser

/// `coffer kv list PATH`: the keys under a KV path (`MOUNT/metadata/...` on v2).
struct KVList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List data or secrets.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var mountOption: KVMountOption

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, exactly: 1)
        let client = clientOptions.client()
        let (mount, partial) = try await KVMount.resolve(
            argument: arguments[0], mountFlag: mountOption.mount, client: client)
        let fullPath = mount.isV2 ? mount.apiPath(partial, prefix: "metadata") : partial
        let answer: VaultClient.Answer
        do {
            answer = try await client.exchange("GET", fullPath, query: [("list", "true")])
        } catch {
            throw CLIError.request("Error listing \(fullPath): \(error)")
        }
        try ListOutput.print(answer, path: fullPath, format: format)
    }
}
