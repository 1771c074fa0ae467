import ArgumentParser

/// `coffer kv delete [-versions=1,2] PATH`: soft-delete the latest (or the given) versions of a KV secret.
struct KVDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete versions in the KV store.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var mountOption: KVMountOption

    @Option(name: .customLong("versions", withSingleDash: true), help: "Versions to delete (KV v2), e.g. 1,2.")
    var versions: [String] = []

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        try ArgumentCount.require(arguments, exactly: 1)
        let client = clientOptions.client()
        let (mount, partial) = try await KVMount.resolve(
            argument: arguments[0], mountFlag: mountOption.mount, client: client)
        let fullPath = mount.isV2 ? mount.apiPath(partial, prefix: "data") : partial
        let numbers = versions.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
        do {
            if mount.isV2, !numbers.isEmpty {
                let body = JSONObject([("versions", .array(numbers.map(JSONValue.string)))])
                _ = try await client.send("PUT", mount.apiPath(partial, prefix: "delete"), body: .object(body))
            } else {
                _ = try await client.send("DELETE", fullPath)
            }
        } catch {
            throw CLIError.request("Error deleting \(fullPath): \(error)")
        }
        Console.output("Success! Data deleted (if it existed) at: \(fullPath)")
    }
}
