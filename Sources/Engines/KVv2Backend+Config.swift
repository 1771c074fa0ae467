import Core
import Storage

/// `config`: the mount-wide max_versions, cas_required, metadata_cas_required and
/// delete_version_after (negative disables it for every key, 0 clears it).
extension KVv2Backend {
    func readConfig(_ request: BackendRequest) async throws(CoreError) -> Response? {
        Response.data(try await loadConfig(request.storage).responseData)
    }

    func writeConfig(_ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError) -> Response? {
        let data = request.data
        let fields = ["max_versions", "cas_required", "metadata_cas_required", "delete_version_after"]
        guard fields.contains(where: { schema.has($0, in: data) }) else { return .noContent }
        let maxVersions = try schema.int("max_versions", in: data)
        let casRequired = try schema.bool("cas_required", in: data)
        let metadataCasRequired = try schema.bool("metadata_cas_required", in: data)
        let deleteAfter = try schema.int("delete_version_after", in: data)
        return try await locks.withLock(request.mountPoint + "\u{1}config") { () async throws(CoreError) -> Response? in
            var config = try await loadConfig(request.storage)
            if let maxVersions { config.maxVersions = UInt32(truncatingIfNeeded: maxVersions) }
            if let casRequired { config.casRequired = casRequired }
            if let metadataCasRequired { config.metadataCasRequired = metadataCasRequired }
            if let deleteAfter {
                config.deleteVersionAfter = deleteAfter < 0 ? -1 : (deleteAfter == 0 ? nil : deleteAfter)
            }
            let put = StorageOperation.put(key: Self.configKey, value: try StoredRecord.encode(config))
            try await StoredRecord.apply([put], to: request.storage)
            return .noContent
        }
    }
}
