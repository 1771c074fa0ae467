import ArgumentParser

/// `coffer operator raft list-peers`: the voters and non-voters of the cluster and who leads.
struct RaftListPeers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-peers", abstract: "List the peers of the Raft cluster.")

    @OptionGroup var clientOptions: ClientOptions
    @OptionGroup var formatOption: FormatOption

    mutating func run() async throws {
        let format = try formatOption.resolved()
        let secret: Secret?
        do {
            secret = Secret.decode(try await clientOptions.client().send("GET", "sys/storage/raft/configuration"))
        } catch {
            throw CLIError.request("Error reading the raft cluster configuration: \(error)")
        }
        guard let secret else {
            throw CLIError.request("No raft cluster configuration found")
        }
        if format != .table {
            try SecretOutput(format: format, field: nil).print(secret)
            return
        }
        let servers = secret.data?["config"]?["servers"]?.arrayValue ?? []
        let rows = servers.map { server -> [String] in
            [
                server["node_id"]?.stringValue ?? "",
                server["address"]?.stringValue ?? "",
                (server["leader"]?.boolValue ?? false) ? "leader" : "follower",
                String(server["voter"]?.boolValue ?? false),
            ]
        }
        Console.output(Table.withHeader(["Node", "Address", "State", "Voter"], rows: rows).render())
    }
}
