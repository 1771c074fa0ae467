import ArgumentParser

/// `coffer operator raft autopilot state|get-config|set-config`.
struct RaftAutopilot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autopilot", abstract: "Inspect and configure Raft autopilot.",
        subcommands: [RaftAutopilotState.self, RaftAutopilotGetConfig.self, RaftAutopilotSetConfig.self])
}

/// Reads one autopilot endpoint and prints its data as a table (or JSON/YAML).
private func printAutopilot(
    _ path: String, clientOptions: ClientOptions, formatOption: FormatOption, action: String
) async throws {
    let format = try formatOption.resolved()
    let secret: Secret?
    do {
        secret = Secret.decode(try await clientOptions.client().send("GET", path))
    } catch {
        throw CLIError.request("Error \(action): \(error)")
    }
    guard let secret else { throw CLIError.request("Error \(action): no data") }
    try SecretOutput(format: format, field: nil).print(secret)
}

struct RaftAutopilotState: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Show autopilot's view of the cluster.")
    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    mutating func run() async throws {
        try await printAutopilot(
            "sys/storage/raft/autopilot/state", clientOptions: clientOptions, formatOption: formatOption,
            action: "checking autopilot state")
    }
}

struct RaftAutopilotGetConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get-config", abstract: "Show autopilot's settings.")
    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    mutating func run() async throws {
        try await printAutopilot(
            "sys/storage/raft/autopilot/configuration", clientOptions: clientOptions, formatOption: formatOption,
            action: "reading autopilot configuration")
    }
}

struct RaftAutopilotSetConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-config", abstract: "Change autopilot's settings.")
    @OptionGroup var clientOptions: ClientOptions

    @Option(name: .customLong("cleanup-dead-servers", withSingleDash: true)) var cleanupDeadServers: Bool?
    @Option(name: .customLong("last-contact-threshold", withSingleDash: true)) var lastContactThreshold: String?
    @Option(name: .customLong("dead-server-last-contact-threshold", withSingleDash: true))
    var deadServerLastContactThreshold: String?
    @Option(name: .customLong("max-trailing-logs", withSingleDash: true)) var maxTrailingLogs: Int?
    @Option(name: .customLong("min-quorum", withSingleDash: true)) var minQuorum: Int?
    @Option(name: .customLong("server-stabilization-time", withSingleDash: true)) var serverStabilizationTime: String?

    mutating func run() async throws {
        var members: [(String, JSONValue)] = []
        if let cleanupDeadServers { members.append(("cleanup_dead_servers", .bool(cleanupDeadServers))) }
        if let lastContactThreshold { members.append(("last_contact_threshold", .string(lastContactThreshold))) }
        if let deadServerLastContactThreshold {
            members.append(("dead_server_last_contact_threshold", .string(deadServerLastContactThreshold)))
        }
        if let maxTrailingLogs { members.append(("max_trailing_logs", .number(String(maxTrailingLogs)))) }
        if let minQuorum { members.append(("min_quorum", .number(String(minQuorum)))) }
        if let serverStabilizationTime {
            members.append(("server_stabilization_time", .string(serverStabilizationTime)))
        }
        do {
            _ = try await clientOptions.client().send(
                "PUT", "sys/storage/raft/autopilot/configuration", body: .object(JSONObject(members)))
        } catch {
            throw CLIError.request("Error updating autopilot configuration: \(error)")
        }
    }
}
