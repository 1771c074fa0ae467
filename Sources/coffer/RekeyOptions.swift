import ArgumentParser

/// The flags shared by `operator rekey` and `operator rotate-keys`.
struct RekeyOptions: ParsableArguments {
    @Flag(name: .customLong("init", withSingleDash: true), help: "Start a new attempt.")
    var initialize = false

    @Flag(name: .customLong("cancel", withSingleDash: true), help: "Cancel the attempt in progress.")
    var cancel = false

    @Flag(name: .customLong("status", withSingleDash: true), help: "Print the attempt's progress.")
    var status = false

    @Option(name: [.customLong("key-shares", withSingleDash: true), .customLong("n", withSingleDash: true)],
            help: "Number of new key shares (with -init).")
    var keyShares: Int = 5

    @Option(name: [.customLong("key-threshold", withSingleDash: true), .customLong("t", withSingleDash: true)],
            help: "Number of new shares needed to unseal (with -init).")
    var keyThreshold: Int = 3

    @Option(name: .customLong("nonce", withSingleDash: true), help: "The nonce returned by -init.")
    var nonce: String?

    @Option(name: .customLong("target", withSingleDash: true), help: "Only \"barrier\" is supported.")
    var target: String = "barrier"

    @Flag(name: .customLong("non-interactive", withSingleDash: true), help: "Never prompt for a key.")
    var nonInteractive = false

    @Argument(help: "[KEY]")
    var arguments: [String] = []

    func run(_ dialect: RekeyFlow.Dialect, client: VaultClient, format: OutputFormat) async throws(CLIError) {
        try ArgumentCount.require(arguments, atMost: 1)
        guard target.lowercased().trimmingWhitespace() == "barrier" else {
            throw .usage("Unknown target: \(target)")
        }
        let flow = RekeyFlow(dialect: dialect, client: client, format: format)
        if initialize {
            try await flow.start(shares: keyShares, threshold: keyThreshold)
        } else if cancel {
            try await flow.cancel()
        } else if status {
            try await flow.showStatus()
        } else {
            if arguments.isEmpty, nonInteractive {
                throw .usage("Refusing to read from stdin with -non-interactive specified; specify the key as an "
                    + "argument to this command")
            }
            try await flow.submit(key: arguments.first ?? "", nonce: nonce)
        }
    }
}
