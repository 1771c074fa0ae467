import Core
import Storage

/// `data/<key>`: read (latest or `version`), write with check-and-set, JSON merge patch,
/// and soft delete of the latest version.
extension KVv2Backend {
    func readData(
        _ key: String, _ request: BackendRequest, _ schema: FieldSchema
    ) async throws(CoreError) -> Response? {
        let asked = try schema.int("version", in: request.data) ?? 0
        return try await readConsistently(key, request) { () async throws(CoreError) -> ReadAttempt in
            guard let metadata = try await loadMetadata(key, request.storage) else { throw EngineReply.notFound }
            let number = asked > 0 ? UInt64(asked) : metadata.currentVersion
            guard let version = metadata.version(number) else { throw EngineReply.notFound }
            var data: [String: JSONValue] = [
                "data": .null, "metadata": .object(metadata.versionBlock(number, version)),
            ]
            if version.isDeleted(at: Timestamp(request.now)) || version.destroyed {
                return .answer(EngineReply.logical(status: 404, data: data))
            }
            guard let stored = try await loadVersionIfPresent(key, number, request.storage) else { return .raced }
            data["data"] = stored.data.map(JSONValue.object) ?? .null
            return .answer(Response.data(data))
        }
    }

    func writeData(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError) -> Response?
    {
        if key.isEmpty { throw CoreError.badRequest("missing path") }
        guard schema.has("data", in: request.data) else { throw CoreError.badRequest("no data provided") }
        // `"data": null` is accepted and stored as null, as OpenBao does.
        let secret = request.data["data"] == .null ? nil : try schema.map("data", in: request.data) ?? [:]
        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            let config = try await loadConfig(request.storage)
            var metadata = try await loadMetadata(key, request.storage) ?? KeyMetadata(key: key)
            try checkAndSet(request, schema, config, metadata)
            return try await appendVersion(secret, to: &metadata, config: config, request)
        }
    }

    func patchData(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError) -> Response?
    {
        guard schema.has("data", in: request.data) else { throw CoreError.badRequest("no data provided") }
        let patch = try schema.map("data", in: request.data) ?? [:]
        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard var metadata = try await loadMetadata(key, request.storage) else { return EngineReply.emptyNotFound }
            let config = try await loadConfig(request.storage)
            try checkAndSet(request, schema, config, metadata)
            let current = metadata.currentVersion
            guard let version = metadata.version(current) else { return EngineReply.emptyNotFound }
            if version.isDeleted(at: Timestamp(request.now)) || version.destroyed {
                return EngineReply.logical(status: 404, data: metadata.versionBlock(current, version))
            }
            let stored = try await loadVersion(key, current, request.storage)
            let merged = JSONMergePatch.apply(.object(patch), to: .object(stored.data ?? [:]))
            return try await appendVersion(merged.objectValue ?? [:], to: &metadata, config: config, request)
        }
    }

    func deleteLatest(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard var metadata = try await loadMetadata(key, request.storage) else { return .noContent }
            let now = Timestamp(request.now)
            let current = metadata.currentVersion
            guard var latest = metadata.version(current), !latest.destroyed, !latest.isDeleted(at: now) else {
                return .noContent
            }
            latest.deletionTime = now
            metadata.setVersion(current, latest)
            try await StoredRecord.apply([try metadataPut(metadata)], to: request.storage)
            return .noContent
        }
    }

    /// OpenBao's check-and-set rule: a `cas` option must equal the current version (0:
    /// the key has no version yet); without one, the write is refused if the mount or
    /// the key requires check-and-set.
    private func checkAndSet(
        _ request: BackendRequest, _ schema: FieldSchema, _ config: KVv2Config, _ metadata: KeyMetadata
    ) throws(CoreError) {
        let options = try schema.map("options", in: request.data) ?? [:]
        if let cas = options["cas"] {
            guard case .success(let number) = FieldSchema.weakInt(cas, name: "") else {
                throw CoreError.badRequest("error parsing check-and-set parameter")
            }
            guard number >= 0, UInt64(number) == metadata.currentVersion else {
                throw CoreError.badRequest("check-and-set parameter did not match the current version")
            }
        } else if config.casRequired || metadata.casRequired {
            throw CoreError.badRequest("check-and-set parameter required for this call")
        }
    }

    /// Stores `secret` as the key's next version, prunes versions beyond max_versions,
    /// all in one batch, and answers the new version's metadata.
    private func appendVersion(
        _ secret: [String: JSONValue]?, to metadata: inout KeyMetadata, config: KVv2Config, _ request: BackendRequest
    ) async throws(CoreError) -> Response {
        let now = Timestamp(request.now)
        let number = metadata.currentVersion + 1
        let version = VersionMetadata(
            createdTime: now, deletionTime: Self.scheduledDeletion(at: now, config: config, metadata: metadata))
        let stored = StoredVersion(data: secret, createdTime: now)
        let dropped = metadata.addVersion(version, mountMaxVersions: config.maxVersions)
        var operations: [StorageOperation] = [
            .put(key: Self.versionKey(metadata.key, number), value: try StoredRecord.encode(stored)),
            try metadataPut(metadata),
        ]
        operations += dropped.map { .delete(key: Self.versionKey(metadata.key, $0)) }
        try await StoredRecord.apply(operations, to: request.storage)
        return Response.data(metadata.versionBlock(number, version))
    }
}
