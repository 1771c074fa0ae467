import ArgumentParser

/// `coffer token create [-policy=P ...] [-ttl=D] [-orphan] ...`: create a child token and print it. Printing the
/// token is the command's purpose.
struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new token.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var fieldOption: FieldOption
    @OptionGroup var wrapOption: WrapOption

    @Option(name: .customLong("policy", withSingleDash: true), help: "Policy to attach; may be repeated.")
    var policies: [String] = []

    @Option(name: .customLong("ttl", withSingleDash: true), help: "Initial TTL, e.g. 1h.")
    var ttl: String?

    @Option(name: .customLong("explicit-max-ttl", withSingleDash: true), help: "Hard maximum TTL.")
    var explicitMaxTTL: String?

    @Option(name: .customLong("period", withSingleDash: true), help: "Make a periodic token with this period.")
    var period: String?

    @Option(name: .customLong("display-name", withSingleDash: true), help: "Display name.")
    var displayName = ""

    @Option(name: .customLong("use-limit", withSingleDash: true), help: "Number of uses (0: unlimited).")
    var useLimit = 0

    @Option(name: .customLong("type", withSingleDash: true), help: "service or batch.")
    var type = "service"

    @Option(name: .customLong("role", withSingleDash: true), help: "Create against this token role.")
    var role: String?

    @Flag(name: .customLong("orphan", withSingleDash: true), help: "Create a token without a parent.")
    var orphan = false

    @Option(name: .customLong("renewable", withSingleDash: true), help: "Whether the token can be renewed.")
    var renewable = true

    @Option(name: .customLong("metadata", withSingleDash: true), help: "K=V metadata; may be repeated.")
    var metadata: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        var body = JSONObject()
        let names = policies.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        if !names.isEmpty {
            body.set("policies", .array(names.map(JSONValue.string)))
        }
        let durations = [("ttl", "ttl", ttl), ("explicit_max_ttl", "explicit-max-ttl", explicitMaxTTL),
                         ("period", "period", period)]
        for (key, flagName, value) in durations {
            if let value {
                body.set(key, .string(try GoDuration.flag(flagName, value)))
            }
        }
        body.set("display_name", .string(displayName))
        body.set("num_uses", .number(String(useLimit)))
        body.set("renewable", .bool(renewable))
        body.set("type", .string(type))
        if !metadata.isEmpty {
            var builder = KeyValueArguments()
            body.set("meta", .object(try builder.build(metadata)))
        }
        let path: String
        if let role, !role.isEmpty {
            path = "auth/token/create/\(role)"
        } else {
            path = orphan ? "auth/token/create-orphan" : "auth/token/create"
        }
        let secret: Secret?
        do {
            let client = clientOptions.client(wrapTTL: wrapOption.wrapTTL)
            secret = Secret.decode(try await client.send("POST", path, body: .object(body)))
        } catch {
            throw CLIError.request("Error creating token: \(error)")
        }
        guard let secret else {
            throw CLIError.request("Error creating token: no data returned")
        }
        try SecretOutput(format: format, field: fieldOption.field).print(secret)
    }
}
