import Foundation

/// The `-format` values the CLI understands. `table` is the default; `VAULT_FORMAT` (or `BAO_FORMAT`) changes the
/// default as in Vault.
enum OutputFormat: String, Sendable {
    case table
    case json
    case raw

    /// Parses the flag value (or the environment's default), rejecting unknown names as Vault does.
    static func resolve(
        _ flag: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CLIError) -> OutputFormat {
        let name = flag ?? environment["COFFER_FORMAT"] ?? environment["VAULT_FORMAT"]
            ?? environment["BAO_FORMAT"] ?? "table"
        let lowered = name.lowercased()
        if lowered.isEmpty {
            return .table
        }
        guard let format = OutputFormat(rawValue: lowered) else {
            throw .usage("Invalid output format: \(name)")
        }
        return format
    }

    /// Prints `value` in this format; `table` is given by the caller because every command lays it out
    /// differently. A `nil` table prints nothing.
    func print(json value: JSONValue, table: () -> String?) {
        switch self {
        case .json:
            Console.output(GoJSON.indented(value))
        case .table, .raw:
            if let text = table() {
                Console.output(text)
            }
        }
    }
}
