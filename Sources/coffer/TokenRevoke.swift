import ArgumentParser

/// `coffer token revoke TOKEN | -self | -accessor ACCESSOR`: revoke a token and its children.
struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token.")

    @OptionGroup var clientOptions: ClientOptions

    @Flag(name: .customLong("self", withSingleDash: true), help: "Revoke the token in use.")
    var revokeSelf = false

    @Flag(name: .customLong("accessor", withSingleDash: true), help: "Treat the argument as an accessor.")
    var accessor = false

    @Argument(help: "[TOKEN | ACCESSOR]")
    var arguments: [String] = []

    mutating func run() async throws {
        if revokeSelf {
            if !arguments.isEmpty {
                throw CLIError.usage("Too many arguments (expected 0, got \(arguments.count))")
            }
        } else if arguments.isEmpty {
            throw CLIError.usage("Not enough arguments (expected 1 or -self, got 0)")
        } else if arguments.count > 1 {
            throw CLIError.usage("Too many arguments (expected 1, got \(arguments.count))")
        }
        let client = clientOptions.client()
        do {
            if revokeSelf {
                _ = try await client.send("PUT", "auth/token/revoke-self")
            } else if accessor {
                let body = JSONObject([("accessor", .string(arguments[0]))])
                _ = try await client.send("PUT", "auth/token/revoke-accessor", body: .object(body))
            } else {
                let body = JSONObject([("token", .string(arguments[0]))])
                _ = try await client.send("PUT", "auth/token/revoke", body: .object(body))
            }
        } catch {
            throw CLIError.request("Error revoking token: \(error)")
        }
        Console.output("Success! Revoked token (if it existed)")
    }
}
