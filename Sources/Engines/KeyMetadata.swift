import Core

/// Everything KV v2 keeps about one key besides its versions' data: the version list,
/// current and oldest version, per-key settings and custom metadata. Stored as JSON
/// under `metadata/<key>`; every change to it happens under the key's lock.
struct KeyMetadata: Codable, Sendable, Equatable {
    var key: String
    /// Versions still remembered, by number (decimal string keys, for JSON).
    var versions: [String: VersionMetadata] = [:]
    var currentVersion: UInt64 = 0
    var oldestVersion: UInt64 = 0
    var createdTime: Timestamp?
    var updatedTime: Timestamp?
    var maxVersions: UInt32 = 0
    var casRequired = false
    /// Seconds; nil when unset.
    var deleteVersionAfter: Int64?
    /// nil when the key has none (OpenBao answers `null`, also after `{}` was written).
    var customMetadata: [String: String]?
    var metadataCasRequired = false
    var currentMetadataVersion: UInt64 = 0

    init(key: String) {
        self.key = key
    }

    func version(_ number: UInt64) -> VersionMetadata? {
        versions[String(number)]
    }

    mutating func setVersion(_ number: UInt64, _ metadata: VersionMetadata) {
        versions[String(number)] = metadata
    }

    /// Appends a version and slides the window of kept versions. Returns the numbers of
    /// the versions that fell out of the window, whose data must be removed.
    mutating func addVersion(_ metadata: VersionMetadata, mountMaxVersions: UInt32) -> [UInt64] {
        currentVersion += 1
        setVersion(currentVersion, metadata)
        updatedTime = metadata.createdTime
        if createdTime == nil { createdTime = metadata.createdTime }
        let larger = max(maxVersions, mountMaxVersions)
        let limit = UInt64(larger > 0 ? larger : KVv2Config.defaultMaxVersions)
        guard currentVersion - oldestVersion >= limit else { return [] }
        let newestToDrop = currentVersion - limit
        var dropped: [UInt64] = []
        if oldestVersion <= newestToDrop {
            for number in oldestVersion...newestToDrop {
                versions[String(number)] = nil
                if number > 0 { dropped.append(number) }
            }
        }
        oldestVersion = newestToDrop + 1
        return dropped
    }

    /// The metadata block of a data read, write, patch or subkeys answer.
    func versionBlock(_ number: UInt64, _ metadata: VersionMetadata) -> [String: JSONValue] {
        [
            "version": .int(Int64(clamping: number)),
            "created_time": .string(metadata.createdTime.rfc3339Nano),
            "deletion_time": .string(metadata.deletionTime?.rfc3339Nano ?? ""),
            "destroyed": .bool(metadata.destroyed),
            "custom_metadata": customMetadataValue,
        ]
    }

    var customMetadataValue: JSONValue {
        guard let customMetadata, !customMetadata.isEmpty else { return .null }
        return .object(customMetadata.mapValues(JSONValue.string))
    }

    /// The answer of a metadata read (and of each `key_info` entry in a detailed list).
    var responseData: [String: JSONValue] {
        [
            "versions": .object(versions.mapValues { .object($0.summary) }),
            "current_version": .int(Int64(clamping: currentVersion)),
            "current_metadata_version": .int(Int64(clamping: currentMetadataVersion)),
            "oldest_version": .int(Int64(clamping: oldestVersion)),
            "created_time": .string(createdTime?.rfc3339Nano ?? ""),
            "updated_time": .string(updatedTime?.rfc3339Nano ?? ""),
            "max_versions": .int(Int64(maxVersions)),
            "cas_required": .bool(casRequired),
            "metadata_cas_required": .bool(metadataCasRequired),
            "delete_version_after": .string(GoDuration.format(seconds: deleteVersionAfter ?? 0)),
            "custom_metadata": customMetadataValue,
        ]
    }
}
