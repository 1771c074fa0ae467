import ArgumentParser
import Foundation

/// `coffer login [-method=token|userpass|approle] [-path=MOUNT] [TOKEN | K=V...]`: authenticate, save the
/// resulting token to `~/.vault-token` (unless `-no-store`) and print it as `vault login` does. The token is
/// printed because showing the login result is the command's purpose; `-no-print` suppresses it.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Authenticate locally.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var interaction: InteractionOption

    @Option(name: .customLong("method", withSingleDash: true),
            help: "Auth method: token (default), userpass or approle.")
    var method = "token"

    @Option(name: .customLong("path", withSingleDash: true), help: "Mount path of the auth method.")
    var path: String?

    @Flag(name: .customLong("no-store", withSingleDash: true), help: "Do not save the token to ~/.vault-token.")
    var noStore = false

    @Flag(name: .customLong("no-print", withSingleDash: true), help: "Print nothing on success.")
    var noPrint = false

    @Argument(help: "TOKEN for -method=token, otherwise K=V credentials.")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        var client = clientOptions.client()
        let environment = ProcessInfo.processInfo.environment
        if let name = ["COFFER_TOKEN", "VAULT_TOKEN"].first(where: { !(environment[$0] ?? "").isEmpty }) {
            Console.error(TextWrap.wrap(
                "WARNING! \(name) is set in the environment and takes precedence over the token this "
                    + "command stores; unset it to use the stored token.") + "\n")
        }
        let secret: Secret
        do {
            switch method.lowercased() {
            case "token":
                secret = try await loginWithToken(client: client)
            case "userpass":
                secret = try await loginWithUserpass(client: &client)
            case "approle":
                secret = try await loginWithAppRole(client: &client)
            default:
                throw CLIError.usage(TextWrap.wrap(
                    "Unknown auth method: \(method). The CLI supports token, userpass and approle; other "
                        + "methods can be used through the HTTP API."))
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.request("Error authenticating: \(error)")
        }
        guard let token = secret.auth?["client_token"]?.stringValue, !token.isEmpty else {
            throw CLIError.request("Error authenticating: no token was returned")
        }
        if !noStore {
            try store(token)
        }
        if noPrint {
            return
        }
        if let field = fieldOption.field, !field.isEmpty {
            try SecretOutput.printField(field, of: secret, format: format)
            return
        }
        if format == .table {
            let stored = noStore
                ? "The token was not stored; pass it with COFFER_TOKEN or VAULT_TOKEN on later commands."
                : "The token is stored in ~/.vault-token, so later commands use it without logging in again."
            Console.output(TextWrap.wrap("Success! You are now authenticated. " + stored) + "\n")
        }
        try SecretOutput(format: format, field: nil).print(secret)
    }

    private func credentials() throws(CLIError) -> JSONObject {
        var builder = KeyValueArguments()
        return try builder.build(arguments)
    }

    /// Looks the token up with itself and presents the answer the way an auth method's login answer looks.
    private func loginWithToken(client: VaultClient) async throws -> Secret {
        var token = ""
        if let first = arguments.first {
            if first.hasPrefix("token=") {
                token = String(first.dropFirst(6))
            } else if first == "-" {
                token = SecretPrompt.readStandardInput()
            } else {
                token = first
            }
        } else if interaction.nonInteractive {
            throw CLIError.request("Error authenticating: 'token' not supplied and refusing to pull from stdin")
        } else {
            token = try SecretPrompt.read(prompt: "Token (will be hidden): ")
        }
        try ArgumentCount.require(arguments, atMost: 1)
        let answer: JSONValue?
        do {
            answer = try await client.send("GET", "auth/token/lookup-self", token: token)
        } catch {
            throw CLIError.request("Error authenticating: error looking up token: \(error)")
        }
        let data = Secret.decode(answer)?.data ?? JSONObject()
        let tokenPolicies = data["policies"] ?? .null
        let identityPolicies = data["identity_policies"] ?? .null
        let combined = (tokenPolicies.arrayValue ?? []) + (identityPolicies.arrayValue ?? [])
        var auth = JSONObject()
        auth.set("client_token", data["id"] ?? .string(token))
        auth.set("accessor", data["accessor"] ?? .string(""))
        auth.set("policies", combined.isEmpty ? .null : .array(combined))
        auth.set("token_policies", tokenPolicies)
        auth.set("identity_policies", identityPolicies)
        auth.set("metadata", data["meta"] ?? .null)
        auth.set("lease_duration", data["ttl"] ?? .number("0"))
        auth.set("renewable", data["renewable"] ?? .bool(false))
        var secret = Secret()
        secret.auth = auth
        return secret
    }

    private func loginWithUserpass(client: inout VaultClient) async throws -> Secret {
        var body = try credentials()
        guard let username = body["username"]?.stringValue, !username.isEmpty else {
            throw CLIError.usage("Error authenticating: 'username' must be specified")
        }
        if body["password"] == nil {
            if interaction.nonInteractive {
                throw CLIError.request("Error authenticating: 'password' not supplied and refusing to pull from stdin")
            }
            body.set("password", .string(try SecretPrompt.read(prompt: "Password (will be hidden): ")))
        }
        var request = JSONObject()
        for member in body.members where member.key != "username" {
            request.set(member.key, member.value)
        }
        let mount = VaultPath.sanitize(path ?? "userpass")
        return try await authenticate(client: client, "auth/\(mount)/login/\(username)", body: request)
    }

    private func loginWithAppRole(client: inout VaultClient) async throws -> Secret {
        let body = try credentials()
        guard body["role_id"] != nil else {
            throw CLIError.usage("Error authenticating: 'role_id' must be specified")
        }
        let mount = VaultPath.sanitize(path ?? "approle")
        return try await authenticate(client: client, "auth/\(mount)/login", body: body)
    }

    private func authenticate(client: VaultClient, _ loginPath: String, body: JSONObject) async throws -> Secret {
        do {
            // Log in without whatever token the environment holds, as a fresh client would.
            var anonymous = client
            anonymous.configuration.token = nil
            guard let secret = Secret.decode(try await anonymous.send("PUT", loginPath, body: .object(body))) else {
                throw CLIError.request("Error authenticating: empty response from credential provider")
            }
            return secret
        } catch let error as ClientError {
            throw CLIError.request("Error authenticating: \(error)")
        }
    }

    /// Saves the token where `vault` and `coffer` look for it, readable by the owner only.
    private func store(_ token: String) throws(CLIError) {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let file = (home as NSString).appendingPathComponent(".vault-token")
        let created = FileManager.default.createFile(
            atPath: file, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        guard created else {
            throw .usage("Error storing token: could not write \(file)")
        }
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
}
