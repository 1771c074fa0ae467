import ArgumentParser

/// `coffer operator raft join [LEADER_API_ADDR]`: ask this (uninitialised) node to join an existing cluster.
struct RaftJoin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join", abstract: "Join this node to a Raft cluster.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .customLong("leader-ca-cert", withSingleDash: true),
            help: "CA certificate of the leader's API listener (PEM, or @file).")
    var leaderCACert = ""

    @Option(name: .customLong("leader-client-cert", withSingleDash: true), help: "Client certificate (or @file).")
    var leaderClientCert = ""

    @Option(name: .customLong("leader-client-key", withSingleDash: true), help: "Client key (or @file).")
    var leaderClientKey = ""

    @Flag(name: .customLong("retry", withSingleDash: true), help: "Keep trying to join until it succeeds.")
    var retry = false

    @Flag(name: .customLong("non-voter", withSingleDash: true), help: "Join as a non-voter.")
    var nonVoter = false

    @Argument(help: "[LEADER_API_ADDR]")
    var arguments: [String] = []

    mutating func run() async throws {
        let format = try formatOption.resolved()
        try ArgumentCount.require(arguments, atMost: 1)
        let leader = arguments.first?.trimmingWhitespace() ?? ""
        let body = JSONObject([
            ("leader_api_addr", .string(leader)),
            ("leader_ca_cert", .string(try Self.flagFile(leaderCACert, what: "leader CA certificate"))),
            ("leader_client_cert", .string(try Self.flagFile(leaderClientCert, what: "leader client certificate"))),
            ("leader_client_key", .string(try Self.flagFile(leaderClientKey, what: "leader client key"))),
            ("retry", .bool(retry)),
            ("non_voter", .bool(nonVoter)),
        ])
        let response: JSONValue?
        do {
            response = try await clientOptions.client().send("POST", "sys/storage/raft/join", body: .object(body))
        } catch {
            throw CLIError.request("Error joining the node to the Raft cluster: \(error)")
        }
        let joined = response?["joined"]?.boolValue ?? response?["data"]?["joined"]?.boolValue ?? false
        format.print(json: .object(JSONObject([("joined", .bool(joined))]))) {
            Table.withHeader(["Key", "Value"], rows: [["Joined", String(joined)]]).render()
        }
    }

    /// A flag value, or the contents of the file it names with a leading `@`.
    private static func flagFile(_ value: String, what: String) throws(CLIError) -> String {
        guard value.hasPrefix("@") else {
            return value
        }
        guard let data = FileContents.read(String(value.dropFirst())) else {
            throw .usage("Failed to parse \(what): error reading file: \(value.dropFirst())")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
