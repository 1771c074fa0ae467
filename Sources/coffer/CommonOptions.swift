import ArgumentParser

/// `-address`: the server to talk to; overrides `COFFER_ADDR` / `VAULT_ADDR`.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .customLong("address", withSingleDash: true),
        help: "Address of the server (default: $COFFER_ADDR, $VAULT_ADDR, or https://127.0.0.1:8200).")
    var address: String?

    func client(wrapTTL: String? = nil) -> VaultClient {
        VaultClient(configuration: ClientConfiguration.resolve(addressFlag: address), wrapTTL: wrapTTL)
    }
}

/// `-format`: how to print the answer (`table` or `json`).
struct FormatOption: ParsableArguments {
    @Option(
        name: .customLong("format", withSingleDash: true),
        help: "Print the output as \"table\" or \"json\" (default: $VAULT_FORMAT or table).")
    var format: String?

    func resolved() throws(CLIError) -> OutputFormat {
        try OutputFormat.resolve(format)
    }
}

/// `-field`: print one field of the answer, raw.
struct FieldOption: ParsableArguments {
    @Option(
        name: .customLong("field", withSingleDash: true),
        help: "Print only the named field, without decoration.")
    var field: String?
}

/// `-wrap-ttl`: ask the server to wrap the answer in a single-use token living this long.
struct WrapOption: ParsableArguments {
    @Option(
        name: .customLong("wrap-ttl", withSingleDash: true),
        help: "Wrap the response in a single-use token with this TTL (e.g. 60s, 5m).")
    var wrapTTL: String?
}
