import ArgumentParser

/// `-mount`: the KV mount, when PATH is relative to it.
struct KVMountOption: ParsableArguments {
    @Option(name: .customLong("mount", withSingleDash: true),
            help: "The KV mount; PATH is then relative to it.")
    var mount: String?
}
