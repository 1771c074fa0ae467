import ArgumentParser

/// `coffer operator raft snapshot restore [-force] FILE`: install a snapshot. `-force` installs one taken under
/// another root key (the cluster's data is then replaced by data it cannot decrypt unless the keys match).
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
        guard let snapshot = FileContents.read(path) else {
            throw CLIError.request("Error opening snapshot file: open \(path): no such file or directory")
        }
        do {
            let endpoint = force ? "sys/storage/raft/snapshot-force" : "sys/storage/raft/snapshot"
            let answer = try await clientOptions.client().exchange("POST", endpoint, rawBody: snapshot)
            guard answer.isSuccess else {
                throw answer.failure
            }
        } catch {
            throw CLIError.request("Error installing the snapshot: \(error)")
        }
    }
}
