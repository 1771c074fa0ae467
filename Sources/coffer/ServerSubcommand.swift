import ArgumentParser
import CofferServer

/// `coffer server`: parses Vault's server flags into `ServerOptions` and runs the node until it is stopped.
struct ServerSubcommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Start a Coffer server.")

    @Option(name: .customLong("config", withSingleDash: true),
            help: "Path to a configuration file or directory; may be repeated.")
    var config: [String] = []

    @Flag(name: .customLong("dev", withSingleDash: true),
          help: "Development mode: in memory, initialised and unsealed with one share.")
    var dev = false

    @Option(name: .customLong("dev-listen-address", withSingleDash: true),
            help: "Address to listen on in dev mode (default 127.0.0.1:8200).")
    var devListenAddress: String?

    @Option(name: .customLong("dev-root-token-id", withSingleDash: true),
            help: "Root token to use in dev mode instead of a random one.")
    var devRootTokenID: String?

    @Option(name: .customLong("log-level", withSingleDash: true),
            help: "Log level: trace, debug, info, warn or error.")
    var logLevel: String?

    mutating func run() async throws {
        if config.isEmpty, !dev {
            throw CLIError.usage("At least one config path must be specified with -config")
        }
        let options = ServerOptions(
            configPaths: config,
            dev: dev,
            devListenAddress: devListenAddress,
            devRootTokenID: devRootTokenID,
            logLevel: logLevel)
        do {
            try await ServerCommand.run(options)
        } catch {
            throw CLIError.usage("Error running server: \(error)")
        }
    }
}
