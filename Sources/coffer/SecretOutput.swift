/// Prints a `Secret` as `bao read`/`write`/`unwrap` do: one raw field with `-field`, otherwise a table with
/// warnings on stderr, or the whole response as JSON.
struct SecretOutput {
    var format: OutputFormat
    var field: String?

    /// Prints `secret` and returns normally, or throws the `CLIError` `bao` would exit with.
    func print(_ secret: Secret) throws(CLIError) {
        if let field, !field.isEmpty {
            try Self.printField(field, of: secret, format: format)
            return
        }
        switch format {
        case .json, .yaml:
            Console.output(format.render(secret.jsonValue()))
        case .table, .raw:
            if let warnings = secret.warningText() {
                Console.error(warnings)
            }
            if let table = secret.table() {
                Console.output(table)
            }
        }
    }

    /// Vault's `PrintRawField`: the value with Go's `%v` and no newline when stdout is not a terminal, or the
    /// value's JSON with `-format=json`.
    static func printField(_ field: String, of secret: Secret, format: OutputFormat) throws(CLIError) {
        guard let value = secret.rawField(field) else {
            throw .usage("Field \"\(field)\" not present in secret")
        }
        printRaw(value, format: format)
    }

    /// Prints one value the way `-field` does.
    static func printRaw(_ value: JSONValue, format: OutputFormat) {
        let text: String
        switch format {
        case .json:
            text = GoJSON.indented(value)
        case .yaml:
            text = GoYAML.document(value) + "\n"
        case .table, .raw:
            text = GoValueFormat.verbV(value)
        }
        if Console.stdoutIsTerminal {
            Console.output(text)
        } else {
            Console.raw(text)
        }
    }
}
