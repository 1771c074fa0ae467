/// Vault's list rules, shared by `list` and `kv list`: keys sorted under a "Keys" header; with a non-table
/// format and nothing listed, `{}` and exit 2; a wrapped answer printed as a secret.
enum ListOutput {
    static func print(_ answer: VaultClient.Answer, path: String, format: OutputFormat) throws(CLIError) {
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
                Console.output(format.render(.object(JSONObject())))
                throw CLIError.silent(2)
            }
            Console.output(format.render(.array(keys)))
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
