/// Rewords ArgumentParser's parse errors the way Go's `flag` package (and so `vault`/`bao`) words them, so that
/// scripts matching on the message keep working. Unrecognised messages are returned unchanged.
enum UsageErrorWording {
    static func goStyle(_ message: String) -> String {
        if let name = quoted(in: message, after: "Unknown option ") {
            return "flag provided but not defined: \(flagName(name))"
        }
        if let name = quoted(in: message, after: "Missing value for ") {
            return "flag needs an argument: \(flagName(name))"
        }
        if message.hasPrefix("The value '"), let forRange = message.range(of: "' is invalid for '") {
            let value = message[message.index(message.startIndex, offsetBy: 11)..<forRange.lowerBound]
            let rest = message[forRange.upperBound...]
            let name = flagName(String(rest.prefix { $0 != "'" }))
            return "invalid value \"\(value)\" for flag \(name): parse error"
        }
        return message
    }

    /// The text between the single quotes that follow `prefix`.
    private static func quoted(in message: String, after prefix: String) -> String? {
        guard message.hasPrefix(prefix + "'") else {
            return nil
        }
        let body = message.dropFirst(prefix.count + 1)
        return String(body.prefix { $0 != "'" })
    }

    /// `-key-shares <key-shares>` -> `-key-shares`.
    private static func flagName(_ spelling: String) -> String {
        String(spelling.prefix { $0 != " " })
    }
}
