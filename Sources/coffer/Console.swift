import Foundation

/// The process's standard streams. Writes go straight to the file descriptors (no buffering), so output is
/// complete even when the process exits right after.
enum Console {
    /// Writes `text` and a newline to stdout, like Vault's `ui.Output`.
    static func output(_ text: String) {
        write(text + "\n", to: FileHandle.standardOutput)
    }

    /// Writes `text` to stdout exactly, without a newline (raw `-field` values).
    static func raw(_ text: String) {
        write(text, to: FileHandle.standardOutput)
    }

    /// Writes `text` and a newline to stderr, like Vault's `ui.Error` / `ui.Warn`.
    static func error(_ text: String) {
        write(text + "\n", to: FileHandle.standardError)
    }

    private static func write(_ text: String, to handle: FileHandle) {
        handle.write(Data(text.utf8))
    }

    /// Whether stdout is a terminal; Vault adds a newline after a raw `-field` value only then.
    static var stdoutIsTerminal: Bool {
        let environment = ProcessInfo.processInfo.environment
        if environment["NO_COLOR"] != nil || environment["TERM"] == "dumb" {
            return false
        }
        return isatty(STDOUT_FILENO) == 1
    }
}
