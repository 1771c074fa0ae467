import ArgumentParser

/// `coffer operator raft snapshot save|restore|inspect FILE`.
struct RaftSnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Save or restore a snapshot of the Raft cluster.",
        subcommands: [RaftSnapshotSave.self, RaftSnapshotRestore.self, RaftSnapshotInspect.self])
}
