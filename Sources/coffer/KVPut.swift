import ArgumentParser

/// `coffer kv put [-cas=N] PATH K=V...`: write a KV secret (a new version on v2) and show the new version's
/// metadata, as `vault kv put`.
struct KVPut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Set or update data in the KV store.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var mountOption: KVMountOption

    @Option(name: .customLong("cas", withSingleDash: true),
            help: "Check-and-set: write only if the current version is this (0: only if absent).")
    var cas: Int = -1

    @Argument(help: "PATH K=V...")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        if arguments.isEmpty {
            throw CLIError.usage("Not enough arguments (expected >1, got 0)")
        }
        if arguments.count == 1 {
            throw CLIError.usage("Must supply data")
        }
        var builder = KeyValueArguments()
        let data = try builder.build(Array(arguments.dropFirst()))
        let client = clientOptions.client()
        let (mount, partial) = try await KVMount.resolve(
            argument: arguments[0], mountFlag: mountOption.mount, client: client)
        let fullPath: String
        let body: JSONObject
        if mount.isV2 {
            fullPath = mount.apiPath(partial, prefix: "data")
            var options = JSONObject()
            if cas > -1 {
                options.set("cas", .number(String(cas)))
            }
            body = JSONObject([("data", .object(data)), ("options", .object(options))])
        } else {
            fullPath = partial
            body = data
        }
        let secret: Secret?
        do {
            secret = Secret.decode(try await client.send("PUT", fullPath, body: .object(body)))
        } catch {
            throw CLIError.request("Error writing data to \(fullPath): \(error)")
        }
        guard let secret else {
            if format == .table {
                Console.output("Success! Data written to: \(fullPath)")
            }
            return
        }
        if let field = fieldOption.field, !field.isEmpty {
            try SecretOutput.printField(field, of: secret, format: format)
            return
        }
        let wrapped = (secret.wrapInfo?["ttl"]?.intValue ?? 0) != 0
        if wrapped || format != .table {
            try SecretOutput(format: format, field: nil).print(secret)
            return
        }
        KVMount.printPath(fullPath, title: "Secret Path")
        let metadata = secret.data ?? JSONObject()
        Console.output(KVMount.header("Metadata", for: metadata))
        if let table = Secret.mapTable(metadata) {
            Console.output(table)
        }
    }
}
