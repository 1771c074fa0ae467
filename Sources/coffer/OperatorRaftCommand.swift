import ArgumentParser

/// `coffer operator raft ...`: the integrated-storage cluster (`sys/storage/raft/*`).
struct OperatorRaftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft", abstract: "Interact with the Raft cluster.",
        subcommands: [
            RaftListPeers.self, RaftJoin.self, RaftRemovePeer.self, RaftAutopilot.self, RaftSnapshotCommand.self,
        ])
}
