import Core
import Storage

/// `delete/<key>`, `undelete/<key>` and `destroy/<key>`: soft delete, restore and
/// permanent removal of listed versions. Versions that do not exist are skipped; a
/// destroyed version stays destroyed.
extension KVv2Backend {
    func deleteVersions(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        let numbers = try schema.ints("versions", in: request.data)
        if numbers.isEmpty { throw CoreError.badRequest("No version number provided") }
        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard var metadata = try await loadMetadata(key, request.storage) else { return .noContent }
            let now = Timestamp(request.now)
            for number in numbers {
                guard number >= 0, var version = metadata.version(UInt64(number)), !version.destroyed,
                    !version.isDeleted(at: now)
                else { continue }
                version.deletionTime = now
                metadata.setVersion(UInt64(number), version)
            }
            try await StoredRecord.apply([try metadataPut(metadata)], to: request.storage)
            return .noContent
        }
    }

    func undeleteVersions(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        let numbers = try schema.ints("versions", in: request.data)
        if numbers.isEmpty { throw CoreError.badRequest("No version number provided") }
        let config = try await loadConfig(request.storage)
        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard var metadata = try await loadMetadata(key, request.storage) else { return .noContent }
            let now = Timestamp(request.now)
            for number in numbers {
                guard number >= 0, var version = metadata.version(UInt64(number)), !version.destroyed else { continue }
                version.deletionTime = Self.scheduledDeletion(at: now, config: config, metadata: metadata)
                metadata.setVersion(UInt64(number), version)
            }
            try await StoredRecord.apply([try metadataPut(metadata)], to: request.storage)
            return .noContent
        }
    }

    func destroyVersions(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        let numbers = try schema.ints("versions", in: request.data)
        if numbers.isEmpty { throw CoreError.badRequest("no version number provided") }
        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard var metadata = try await loadMetadata(key, request.storage) else { return .noContent }
            var operations: [StorageOperation] = []
            for number in numbers where number >= 0 {
                operations.append(.delete(key: Self.versionKey(key, UInt64(number))))
                guard var version = metadata.version(UInt64(number)), !version.destroyed else { continue }
                version.destroyed = true
                metadata.setVersion(UInt64(number), version)
            }
            try await StoredRecord.apply([try metadataPut(metadata)] + operations, to: request.storage)
            return .noContent
        }
    }
}
