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
