import ArgumentParser

/// `-wrap-ttl`: ask the server to wrap the answer in a single-use token living this long.
struct WrapOption: ParsableArguments {
    @Option(
        name: .customLong("wrap-ttl", withSingleDash: true),
        help: "Wrap the response in a single-use token with this TTL (e.g. 60s, 5m).")
    var wrapTTL: String?
}
