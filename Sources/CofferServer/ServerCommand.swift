/// What `coffer server` was asked to do, as parsed from its command line.
public struct ServerOptions: Sendable {
    /// Config files given with `-config` (Vault allows the flag more than once).
    public var configPaths: [String]
    /// `-dev`: an in-memory, initialised and unsealed node with one key share.
    public var dev: Bool
    /// `-dev-listen-address`, default 127.0.0.1:8200.
    public var devListenAddress: String?
    /// `-dev-root-token-id`: use this root token in dev mode instead of a random one.
    public var devRootTokenID: String?
    /// `-log-level` overriding the config file's `log_level`.
    public var logLevel: String?

    public init(
        configPaths: [String] = [],
        dev: Bool = false,
        devListenAddress: String? = nil,
        devRootTokenID: String? = nil,
        logLevel: String? = nil
    ) {
        self.configPaths = configPaths
        self.dev = dev
        self.devListenAddress = devListenAddress
        self.devRootTokenID = devRootTokenID
        self.logLevel = logLevel
    }
}

/// Runs a Coffer server until it is told to stop (SIGINT/SIGTERM).
public enum ServerCommand {
    public static func run(_ options: ServerOptions) async throws {
        throw ServerStartError.notImplemented
    }
}

public enum ServerStartError: Error {
    case notImplemented
}
