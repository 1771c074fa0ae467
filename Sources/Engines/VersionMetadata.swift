import Core

/// What a KV v2 key remembers about one of its versions. A version is *deleted* once its
/// deletion time has passed (soft delete, or delete_version_after), and *destroyed* once
/// its data was removed for good; destroyed is final.
struct VersionMetadata: Codable, Sendable, Equatable {
    var createdTime: Timestamp
    var deletionTime: Timestamp?
    var destroyed: Bool

    init(createdTime: Timestamp, deletionTime: Timestamp? = nil, destroyed: Bool = false) {
        self.createdTime = createdTime
        self.deletionTime = deletionTime
        self.destroyed = destroyed
    }

    /// Whether the version reads as deleted at `now` (its deletion time is in the past).
    func isDeleted(at now: Timestamp) -> Bool {
        guard let deletionTime else { return false }
        return deletionTime < now
    }

    /// The three fields OpenBao lists per version under `versions` in a metadata read.
    var summary: [String: JSONValue] {
        [
            "created_time": .string(createdTime.rfc3339Nano),
            "deletion_time": .string(deletionTime?.rfc3339Nano ?? ""),
            "destroyed": .bool(destroyed),
        ]
    }
}
