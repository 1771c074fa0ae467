import ArgumentParser

/// `coffer kv get [-version=N] PATH`: read a KV secret; for version 2 the metadata and data are shown in
/// separate sections, as `vault kv get`.
struct KVGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Retrieve data from the KV store.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var mountOption: KVMountOption

    @Option(name: .customLong("version", withSingleDash: true), help: "The version to read (KV v2).")
    var version: Int = 0

    @Argument(help: "PATH")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, exactly: 1)
        let client = clientOptions.client()
        let (mount, partial) = try await KVMount.resolve(
            argument: arguments[0], mountFlag: mountOption.mount, client: client)
        let fullPath = mount.isV2 ? mount.apiPath(partial, prefix: "data") : partial
        let query = mount.isV2 && version > 0 ? [("version", String(version))] : []
        let answer: VaultClient.Answer
        do {
            answer = try await client.exchange("GET", fullPath, query: query)
        } catch {
            throw CLIError.request("Error reading \(fullPath): \(error)")
        }
        guard let secret = try ReadCommand.secret(from: answer, path: fullPath) else {
            throw CLIError.request("No value found at \(fullPath)")
        }
        if let field = fieldOption.field, !field.isEmpty {
            try printField(field, secret: secret, isV2: mount.isV2, fullPath: fullPath, format: format)
            return
        }
        if secret.wrapInfo != nil || format != .table {
            try SecretOutput(format: format, field: nil).print(secret)
            return
        }
        if let warnings = secret.warningText() {
            Console.error(warnings)
        }
        if mount.isV2 {
            KVMount.printPath(fullPath, title: "Secret Path")
        }
        if let metadata = secret.data?["metadata"]?.objectValue {
            Console.output(KVMount.header("Metadata", for: metadata))
            if let table = Secret.mapTable(metadata) {
                Console.output(table)
            }
            Console.output("")
        }
        let data = mount.isV2 ? secret.data?["data"]?.objectValue : secret.data
        if let data {
            Console.output(KVMount.header("Data", for: data))
            if let table = Secret.mapTable(data) {
                Console.output(table)
            }
        }
    }

    /// `-field` reads from the inner `data` of a v2 answer.
    private func printField(
        _ field: String, secret: Secret, isV2: Bool, fullPath: String, format: OutputFormat
    ) throws(CLIError) {
        guard isV2 else {
            try SecretOutput.printField(field, of: secret, format: format)
            return
        }
        guard let inner = secret.data?["data"], !inner.isNull else {
            throw .request("No data found at \(fullPath)")
        }
        if field == "data", inner["data"] == nil {
            try SecretOutput.printField(field, of: secret, format: format)
            return
        }
        guard let value = inner[field], !value.isNull else {
            throw .usage("Field \"\(field)\" not present in secret")
        }
        SecretOutput.printRaw(value, format: format)
    }
}
