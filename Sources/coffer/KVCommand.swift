import ArgumentParser

/// `coffer kv ...`: the KV secrets engine helpers that hide the v1/v2 path differences.
struct KVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "Interact with the key-value secrets engine.",
        subcommands: [KVGet.self, KVPut.self, KVList.self, KVDelete.self, KVMetadataCommand.self])
}
