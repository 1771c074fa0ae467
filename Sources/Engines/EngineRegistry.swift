import Core

/// The secrets engines this module provides, by mount type, for the core's mount table.
///
/// `kv` with option `version` = `"2"` and `kv-v2` make KV v2; any other `kv` makes KV v1;
/// `cubbyhole` makes the per-token cubbyhole. Unknown types give nil. Each call makes a
/// fresh backend, so each mount has its own per-key locks.
public enum EngineRegistry {
    public static let factory: BackendFactory = { type, options in
        makeBackend(type: type, options: options)
    }

    public static func makeBackend(type: String, options: [String: String]) -> (any LogicalBackend)? {
        switch type {
        case "kv": options["version"] == "2" ? KVv2Backend() : KVv1Backend()
        case "kv-v2": KVv2Backend()
        case "cubbyhole": CubbyholeBackend()
        default: nil
        }
    }
}
