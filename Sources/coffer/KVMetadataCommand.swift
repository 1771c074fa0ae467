import ArgumentParser

/// `coffer kv metadata ...`: KV v2 metadata.
struct KVMetadataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metadata", abstract: "Interact with KV v2 metadata.", subcommands: [KVMetadataGet.self])
}
