import Foundation

/// Where the CLI sends requests and with which token, resolved the way the Vault CLI resolves them:
/// the `-address` flag, then `COFFER_ADDR`, `VAULT_ADDR`, `BAO_ADDR`, then `https://127.0.0.1:8200`; the token
/// from `COFFER_TOKEN`, `VAULT_TOKEN`, `BAO_TOKEN`, then the file `~/.vault-token`.
struct ClientConfiguration: Sendable {
    static let defaultAddress = "https://127.0.0.1:8200"

    var address: String
    var token: String?

    static func resolve(
        addressFlag: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ClientConfiguration {
        let address = nonEmpty(addressFlag)
            ?? firstSet(["COFFER_ADDR", "VAULT_ADDR", "BAO_ADDR"], in: environment)
            ?? defaultAddress
        var token = firstSet(["COFFER_TOKEN", "VAULT_TOKEN", "BAO_TOKEN"], in: environment)
        if token == nil {
            token = tokenFromFile(environment: environment)
        }
        return ClientConfiguration(address: address, token: token)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else {
            return nil
        }
        return value
    }

    private static func firstSet(_ names: [String], in environment: [String: String]) -> String? {
        for name in names {
            if let value = nonEmpty(environment[name]) {
                return value
            }
        }
        return nil
    }

    /// The token `vault login` saved, if there is one.
    private static func tokenFromFile(environment: [String: String]) -> String? {
        guard let home = nonEmpty(environment["HOME"]) ?? nonEmpty(NSHomeDirectory()) else {
            return nil
        }
        let path = (home as NSString).appendingPathComponent(".vault-token")
        guard let contents = FileManager.default.contents(atPath: path) else {
            return nil
        }
        return nonEmpty(String(decoding: contents, as: UTF8.self).trimmingWhitespace())
    }
}
