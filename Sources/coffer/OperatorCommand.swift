import ArgumentParser

/// `coffer operator ...`: cluster administration (init, unseal, seal, key rotation, rekey).
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Perform operator-specific tasks.",
        subcommands: [
            OperatorInit.self, OperatorUnseal.self, OperatorSeal.self, OperatorRotate.self,
            OperatorKeyStatus.self, OperatorRekey.self, OperatorRotateKeys.self, OperatorRaftCommand.self,
            OperatorStepDown.self,
        ])
}
