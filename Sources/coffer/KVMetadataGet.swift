import ArgumentParser

/// `coffer kv metadata get PATH`: a KV v2 secret's metadata and one section per version.
struct KVMetadataGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Retrieve KV v2 metadata.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var mountOption: KVMountOption

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, exactly: 1)
        let client = clientOptions.client()
        let (mount, partial) = try await KVMount.resolve(
            argument: arguments[0], mountFlag: mountOption.mount, client: client)
        guard mount.isV2 else {
            throw CLIError.usage("Metadata not supported on KV Version 1")
        }
        let fullPath = mount.apiPath(partial, prefix: "metadata")
        let answer: VaultClient.Answer
        do {
            answer = try await client.exchange("GET", fullPath)
        } catch {
            throw CLIError.request("Error reading \(fullPath): \(error)")
        }
        guard var secret = try ReadCommand.secret(from: answer, path: fullPath) else {
            throw CLIError.request("No value found at \(fullPath)")
        }
        if let field = fieldOption.field, !field.isEmpty {
            try SecretOutput.printField(field, of: secret, format: format)
            return
        }
        if secret.wrapInfo != nil || format != .table {
            try SecretOutput(format: format, field: nil).print(secret)
            return
        }
        guard var data = secret.data, let versions = data["versions"]?.objectValue else {
            Console.error("No value found at \(fullPath)")
            try SecretOutput(format: format, field: nil).print(secret)
            throw CLIError.silent(2)
        }
        data = JSONObject(data.members.filter { $0.key != "versions" }.map { ($0.key, $0.value) })
        secret.data = data
        KVMount.printPath(fullPath, title: "Metadata Path")
        Console.output(KVMount.header("Metadata", for: data))
        try SecretOutput(format: format, field: nil).print(secret)
        let numbered = versions.members.compactMap { member in Int(member.key).map { ($0, member.value) } }
        for (number, value) in numbered.sorted(by: { $0.0 < $1.0 }) {
            let fields = value.objectValue ?? JSONObject()
            Console.output("\n" + KVMount.header("Version \(number)", for: fields))
            if let table = Secret.mapTable(fields) {
                Console.output(table)
            }
        }
    }
}
