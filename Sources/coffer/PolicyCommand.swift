import ArgumentParser

/// `coffer policy ...`: ACL policies (`sys/policies/acl/*`).
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Interact with policies.",
        subcommands: [PolicyWrite.self, PolicyRead.self, PolicyList.self, PolicyDelete.self])
}
