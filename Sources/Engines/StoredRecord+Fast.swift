import Core
import Foundation
import Storage

/// A record `StoredRecord.load` can read straight from a parsed `JSONValue`: KV v2 reads one metadata record
/// and one version per request, and `JSONDecoder` (which also took `JSONValue`'s slow Codable path for the
/// secret data) cost a tenth of a read's CPU. `init(stored:)` accepts exactly the shape the synthesised
/// `Codable` writes and reads (unknown keys ignored, optionals absent or null) and answers nil otherwise;
/// `load` then falls back to `JSONDecoder`, so any other record gets exactly the answer it got before.
protocol FastStoredRecord: Decodable {
    init?(stored value: JSONValue)
}

extension StoredRecord {
    static func load<T: FastStoredRecord>(_ type: T.Type, at key: String, in storage: any Storage) async throws(CoreError)
        -> T?
    {
        guard let bytes = try await get(key, in: storage) else { return nil }
        if let value = try? JSONValue.parse(bytes), let record = T(stored: value) { return record }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw EngineReply.fault("failed to decode \(T.self) from storage")
        }
    }
}

/// Typed reads of one JSON object's members, as the synthesised `Decodable` would read them: each answers
/// nil for a wrong type; the optional ones answer `.some(nil)` for an absent or null member.
struct StoredFields {
    let members: [String: JSONValue]

    init?(_ value: JSONValue) {
        guard case .object(let members) = value else { return nil }
        self.members = members
    }

    func bool(_ key: String) -> Bool? {
        if case .bool(let flag)? = members[key] { return flag }
        return nil
    }

    func int64(_ key: String) -> Int64? {
        if case .int(let number)? = members[key] { return number }
        return nil
    }

    func uint64(_ key: String) -> UInt64? { int64(key).flatMap { UInt64(exactly: $0) } }
    func uint32(_ key: String) -> UInt32? { int64(key).flatMap { UInt32(exactly: $0) } }
    func string(_ key: String) -> String? { members[key]?.stringValue }

    func optional<T>(_ key: String, _ read: (JSONValue) -> T?) -> T?? {
        guard let member = members[key], member != .null else { return .some(nil) }
        guard let value = read(member) else { return nil }
        return .some(value)
    }

    static func timestamp(_ value: JSONValue) -> Timestamp? {
        if case .int(let nanoseconds) = value { return Timestamp(nanosecondsSinceEpoch: nanoseconds) }
        return nil
    }

    static func int64(_ value: JSONValue) -> Int64? {
        if case .int(let number) = value { return number }
        return nil
    }

    static func stringMap(_ value: JSONValue) -> [String: String]? {
        guard case .object(let members) = value else { return nil }
        var result: [String: String] = [:]
        for (name, member) in members {
            guard case .string(let text) = member else { return nil }
            result[name] = text
        }
        return result
    }
}

extension VersionMetadata: FastStoredRecord {
    init?(stored value: JSONValue) {
        guard let fields = StoredFields(value), let created = fields.members["createdTime"].flatMap(StoredFields.timestamp),
            let deletion = fields.optional("deletionTime", StoredFields.timestamp), let destroyed = fields.bool("destroyed")
        else { return nil }
        self.init(createdTime: created, deletionTime: deletion, destroyed: destroyed)
    }
}

extension KeyMetadata: FastStoredRecord {
    init?(stored value: JSONValue) {
        guard let fields = StoredFields(value), let key = fields.string("key"),
            case .object(let versionMembers)? = fields.members["versions"],
            let currentVersion = fields.uint64("currentVersion"), let oldestVersion = fields.uint64("oldestVersion"),
            let createdTime = fields.optional("createdTime", StoredFields.timestamp),
            let updatedTime = fields.optional("updatedTime", StoredFields.timestamp),
            let maxVersions = fields.uint32("maxVersions"), let casRequired = fields.bool("casRequired"),
            let deleteVersionAfter = fields.optional("deleteVersionAfter", StoredFields.int64),
            let customMetadata = fields.optional("customMetadata", StoredFields.stringMap),
            let metadataCasRequired = fields.bool("metadataCasRequired"),
            let currentMetadataVersion = fields.uint64("currentMetadataVersion")
        else { return nil }
        var versions: [String: VersionMetadata] = [:]
        for (number, member) in versionMembers {
            guard let version = VersionMetadata(stored: member) else { return nil }
            versions[number] = version
        }
        self.init(key: key)
        self.versions = versions
        self.currentVersion = currentVersion
        self.oldestVersion = oldestVersion
        self.createdTime = createdTime
        self.updatedTime = updatedTime
        self.maxVersions = maxVersions
        self.casRequired = casRequired
        self.deleteVersionAfter = deleteVersionAfter
        self.customMetadata = customMetadata
        self.metadataCasRequired = metadataCasRequired
        self.currentMetadataVersion = currentMetadataVersion
    }
}

extension StoredVersion: FastStoredRecord {
    init?(stored value: JSONValue) {
        guard let fields = StoredFields(value), let createdTime = fields.members["createdTime"].flatMap(StoredFields.timestamp),
            let data = fields.optional("data", { $0.objectValue })
        else { return nil }
        self.init(data: data, createdTime: createdTime)
    }
}

extension KVv2Config: FastStoredRecord {
    init?(stored value: JSONValue) {
        guard let fields = StoredFields(value), let maxVersions = fields.uint32("maxVersions"),
            let casRequired = fields.bool("casRequired"), let metadataCasRequired = fields.bool("metadataCasRequired"),
            let deleteVersionAfter = fields.optional("deleteVersionAfter", StoredFields.int64)
        else { return nil }
        self.init()
        self.maxVersions = maxVersions
        self.casRequired = casRequired
        self.metadataCasRequired = metadataCasRequired
        self.deleteVersionAfter = deleteVersionAfter
    }
}
