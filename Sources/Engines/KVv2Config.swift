import Core

/// A KV v2 mount's settings (`<mount>/config`), stored as JSON under `config`.
///
/// `deleteVersionAfter` is in seconds: `nil` means unset, a negative value (OpenBao
/// stores -1s) disables delete_version_after for every key of the mount.
struct KVv2Config: Codable, Sendable, Equatable {
    var maxVersions: UInt32 = 0
    var casRequired = false
    var metadataCasRequired = false
    var deleteVersionAfter: Int64?

    init() {}

    /// Versions kept per key when neither the mount nor the key says otherwise.
    static let defaultMaxVersions: UInt32 = 10

    var isDeleteVersionAfterDisabled: Bool { (deleteVersionAfter ?? 0) < 0 }

    var responseData: [String: JSONValue] {
        [
            "max_versions": .int(Int64(maxVersions)),
            "cas_required": .bool(casRequired),
            "metadata_cas_required": .bool(metadataCasRequired),
            "delete_version_after": .string(GoDuration.format(seconds: deleteVersionAfter ?? 0)),
        ]
    }
}
