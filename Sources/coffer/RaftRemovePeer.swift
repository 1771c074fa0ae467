import ArgumentParser

/// `coffer operator raft remove-peer NODE_ID`: drop a server from the cluster configuration.
struct RaftRemovePeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-peer", abstract: "Remove a peer from the Raft cluster.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "NODE_ID")
    var arguments: [String] = []

    mutating func run() async throws {
        guard arguments.count == 1 else {
            throw CLIError.usage("Incorrect arguments (expected 1, got \(arguments.count))")
        }
        let serverID = arguments[0].trimmingWhitespace()
        guard !serverID.isEmpty else {
            throw CLIError.usage("Server id is required")
        }
        do {
            let body = JSONObject([("server_id", .string(serverID))])
            _ = try await clientOptions.client().send("PUT", "sys/storage/raft/remove-peer", body: .object(body))
        } catch {
            throw CLIError.request("Error removing the peer from raft cluster: \(error)")
        }
        Console.output("Peer removed successfully!")
    }
}
