import ArgumentParser
import Foundation

/// `coffer operator raft snapshot restore [-force] FILE`: install a snapshot, streamed from FILE. `-force`
/// installs one taken under another root key (the cluster then seals and opens with that cluster's keys).
struct RaftSnapshotRestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Install a snapshot from a file.")

    @OptionGroup var clientOptions: ClientOptions

    @Flag(name: .customLong("force", withSingleDash: true),
          help: "Install even if the snapshot was taken under a different root key.")
    var force = false

    @Argument(help: "FILE")
    var arguments: [String] = []

    mutating func run() async throws {
        guard arguments.count == 1 else {
            throw CLIError.usage("Incorrect arguments (expected 1, got \(arguments.count))")
        }
        let path = arguments[0].trimmingWhitespace()
        guard !path.isEmpty else {
            throw CLIError.usage("Snapshot file name is required")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError.request("Error opening snapshot file: open \(path): no such file or directory")
        }
        let endpoint = force ? "sys/storage/raft/snapshot-force" : "sys/storage/raft/snapshot"
        var client = clientOptions.client()
        // Archives are not forwarded by standbys: send the upload straight to the active node.
        if let leader = try? await client.send("GET", "sys/leader")?.objectValue, leader["is_self"]?.boolValue == false,
            let address = leader["leader_address"]?.stringValue, !address.isEmpty
        {
            client.configuration.address = address
        }
        let outcome: SnapshotTransfer.Outcome
        do {
            outcome = try await SnapshotTransfer.upload(try client.request("POST", endpoint), from: path)
        } catch {
            throw CLIError.request("Error installing the snapshot: \(error)")
        }
        guard (200..<300).contains(outcome.status) else {
            let answer = VaultClient.Answer(
                method: "POST", url: (try? client.url(for: endpoint).absoluteString) ?? "",
                statusCode: outcome.status, body: outcome.errorBody)
            throw CLIError.request("Error installing the snapshot: \(answer.failure)")
        }
    }
}
