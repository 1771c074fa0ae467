import Core

extension KVv2Backend {
    /// The KV v2 endpoint a path names, with the key it addresses.
    enum Route: Equatable {
        case config
        case data(String)
        case metadata(String)
        case detailedMetadata(String)
        case delete(String)
        case undelete(String)
        case destroy(String)
        case subkeys(String)
        case invalid

        init(_ path: String) {
            if path == "config" {
                self = .config
                return
            }
            let prefixes: [(String, (String) -> Route)] = [
                ("data/", Route.data), ("metadata/", Route.metadata), ("detailed-metadata/", Route.detailedMetadata),
                ("delete/", Route.delete), ("undelete/", Route.undelete), ("destroy/", Route.destroy),
                ("subkeys/", Route.subkeys),
            ]
            for (prefix, make) in prefixes where path.hasPrefix(prefix) {
                self = make(String(path.dropFirst(prefix.count)))
                return
            }
            self = .invalid
        }

        var isDetailed: Bool {
            if case .detailedMetadata = self { return true }
            return false
        }

        func supports(_ operation: Operation) -> Bool {
            let allowed: Set<Operation>
            switch self {
            case .config: allowed = [.read, .create, .update]
            case .data: allowed = [.read, .create, .update, .delete, .patch]
            case .metadata: allowed = [.read, .create, .update, .delete, .list, .patch]
            case .detailedMetadata: allowed = [.list]
            case .delete, .undelete, .destroy: allowed = [.create, .update]
            case .subkeys: allowed = [.read]
            case .invalid: allowed = []
            }
            return allowed.contains(operation)
        }

        /// The fields the endpoint declares, as OpenBao's framework does.
        var schema: FieldSchema? {
            switch self {
            case .config:
                FieldSchema(
                    [
                        "max_versions": .int, "cas_required": .bool, "metadata_cas_required": .bool,
                        "delete_version_after": .signedDurationSecond,
                    ], existenceCheck: false)
            case .data:
                FieldSchema(["path": .string, "version": .int, "options": .map, "data": .map], existenceCheck: true)
            case .metadata:
                FieldSchema(
                    [
                        "path": .string, "cas_required": .bool, "metadata_cas_required": .bool, "max_versions": .int,
                        "delete_version_after": .durationSecond, "custom_metadata": .map, "metadata_cas": .int,
                        "after": .string, "limit": .int,
                    ], existenceCheck: true)
            case .detailedMetadata:
                FieldSchema(["path": .string, "after": .string, "limit": .int], existenceCheck: true)
            case .delete, .undelete, .destroy:
                FieldSchema(["path": .string, "versions": .commaIntSlice], existenceCheck: false)
            case .subkeys:
                FieldSchema(["path": .string, "depth": .int, "version": .int], existenceCheck: false)
            case .invalid:
                nil
            }
        }
    }
}
