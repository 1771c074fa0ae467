import ArgumentParser

/// `-format`: how to print the answer (`table` or `json`).
struct FormatOption: ParsableArguments {
    @Option(
        name: .customLong("format", withSingleDash: true),
        help: "Print the output as \"table\" or \"json\" (default: $VAULT_FORMAT or table).")
    var format: String?

    /// The chosen format. Only `read` prints `raw`; every other command refuses it, as Vault does.
    func resolved(allowRaw: Bool = false) throws(CLIError) -> OutputFormat {
        let chosen = try OutputFormat.resolve(format)
        if chosen == .raw, !allowRaw {
            throw .usage("This command does not support the -format=raw option.")
        }
        return chosen
    }
}
