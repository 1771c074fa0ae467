import ArgumentParser

/// The flags `secrets enable` and `auth enable` share.
struct MountOptions: ParsableArguments {
    @Option(name: .customLong("path", withSingleDash: true), help: "Mount path (default: the type).")
    var path: String?

    @Option(name: .customLong("description", withSingleDash: true), help: "Human-readable description.")
    var description = ""

    @Option(name: .customLong("default-lease-ttl", withSingleDash: true), help: "Default lease TTL.")
    var defaultLeaseTTL = "0s"

    @Option(name: .customLong("max-lease-ttl", withSingleDash: true), help: "Maximum lease TTL.")
    var maxLeaseTTL = "0s"

    @Flag(name: .customLong("local", withSingleDash: true), help: "Do not replicate the mount.")
    var local = false

    @Argument(help: "TYPE")
    var arguments: [String] = []

    /// The mount path with one trailing slash.
    func mountPath(for type: String) -> String {
        VaultPath.sanitize(path ?? type) + "/"
    }

    /// The request body of `sys/mounts/PATH` and `sys/auth/PATH`.
    func body(type: String, options: JSONValue) -> JSONObject {
        JSONObject([
            ("type", .string(type)),
            ("description", .string(description)),
            ("config", .object(JSONObject([
                ("options", .null), ("default_lease_ttl", .string(defaultLeaseTTL)),
                ("max_lease_ttl", .string(maxLeaseTTL)), ("force_no_cache", .bool(false)),
            ]))),
            ("local", .bool(local)),
            ("seal_wrap", .bool(false)),
            ("external_entropy_access", .bool(false)),
            ("options", options),
        ])
    }
}
