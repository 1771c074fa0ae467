import Foundation

/// The `-format` values the CLI understands (`yml` is `yaml`). `table` is the default; `VAULT_FORMAT` (or
/// `BAO_FORMAT`) changes the default as in Vault.
enum OutputFormat: String, Sendable {
    case table
    case json
    case yaml
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
        if lowered == "yml" {
            return .yaml
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
        case .json, .yaml:
            Console.output(render(value))
        case .table, .raw:
            if let text = table() {
                Console.output(text)
            }
        }
    }

    /// `value` as a machine-readable document in this format (JSON for `table`/`raw`, which have none).
    func render(_ value: JSONValue) -> String {
        self == .yaml ? GoYAML.document(value) : GoJSON.indented(value)
    }
}
