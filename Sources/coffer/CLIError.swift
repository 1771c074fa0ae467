/// Why a CLI command failed, with the message for stderr and the exit status `bao` uses for the same failure:
/// 1 for local problems (bad flags, unreadable input), 2 for a failed request, unless a command says otherwise.
struct CLIError: Error, Sendable {
    var message: String
    var exitCode: Int32

    /// A usage or local-input error (exit 1).
    static func usage(_ message: String) -> CLIError {
        CLIError(message: message, exitCode: 1)
    }

    /// A request that failed (exit 2).
    static func request(_ message: String) -> CLIError {
        CLIError(message: message, exitCode: 2)
    }

    /// Exit with `code` after printing nothing more.
    static func silent(_ code: Int32) -> CLIError {
        CLIError(message: "", exitCode: code)
    }
}
