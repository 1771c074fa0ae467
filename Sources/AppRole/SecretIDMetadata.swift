import Foundation

/// The `metadata` field of a secret_id, read like OpenBao's
/// `strutil.ParseArbitraryKeyValues`: a JSON object of strings, the same base64-encoded,
/// or comma-separated `key=value` pairs. Stateless.
enum SecretIDMetadata {
    struct ParseError: Error, Equatable {
        var message: String
    }

    static func parse(_ text: String) throws(ParseError) -> [String: String] {
        if text.isEmpty { return [:] }
        var input = text
        if let decoded = Data(base64Encoded: text), let string = String(data: decoded, encoding: .utf8) {
            input = string
        }
        if let object = try? JSONDecoder().decode([String: String].self, from: Data(input.utf8)) {
            return object
        }
        var result: [String: String] = [:]
        for pair in input.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw ParseError(message: "failed to parse the input: invalid <key,value> format")
            }
            let key = String(parts[0]).trimmingSpaces()
            let value = String(parts[1]).trimmingSpaces()
            guard !key.isEmpty else {
                throw ParseError(message: "failed to parse the input: invalid <key,value> format")
            }
            result[key] = value
        }
        for (key, value) in result where value.isEmpty {
            throw ParseError(message: "invalid value for key \"\(key)\"")
        }
        return result
    }
}
