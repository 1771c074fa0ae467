import ArgumentParser

/// `coffer operator raft ...`: the integrated-storage cluster (`sys/storage/raft/*`).
struct OperatorRaftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft", abstract: "Interact with the Raft cluster.",
        subcommands: [RaftListPeers.self, RaftJoin.self, RaftRemovePeer.self, RaftSnapshotCommand.self])
}

/// `coffer operator raft snapshot save|restore FILE`.
struct RaftSnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Save or restore a snapshot of the Raft cluster.",
        subcommands: [RaftSnapshotSave.self, RaftSnapshotRestore.self])
}
