import Core
import Foundation

/// One automated snapshot schedule (`sys/storage/raft/snapshot-auto/config/<name>`): every `interval`
/// seconds the active node writes an archive into the local directory `pathPrefix` and keeps the newest
/// `retain` of them. Stored behind the barrier, so it survives failover and restarts.
public struct SnapshotSchedule: Codable, Equatable, Sendable {
    static let storagePrefix = "core/raft/snapshot-auto/"
    /// Where the active node keeps each schedule's status, so a new active node carries on after a failover
    /// (its next run, error count and last archive) instead of starting over.
    static let statusPrefix = "core/raft/snapshot-auto-status/"

    public var name: String
    public var interval: Int64
    public var retain: Int64
    public var pathPrefix: String
    public var filePrefix: String

    public init(name: String, interval: Int64, retain: Int64, pathPrefix: String, filePrefix: String?) {
        self.name = name
        self.interval = interval
        self.retain = retain
        self.pathPrefix = pathPrefix
        self.filePrefix = filePrefix ?? "coffer-snapshot"
    }

    enum CodingKeys: String, CodingKey {
        case name, interval, retain
        case pathPrefix = "path_prefix"
        case filePrefix = "file_prefix"
    }

    var json: [String: JSONValue] {
        [
            "interval": .int(interval), "retain": .int(retain), "path_prefix": .string(pathPrefix),
            "file_prefix": .string(filePrefix), "storage_type": "local",
        ]
    }

    /// Validates a config request (Vault's field names; `storage_type` must be `local`).
    static func parse(name: String, _ data: [String: JSONValue], existing: SnapshotSchedule?) throws(CoreError)
        -> SnapshotSchedule
    {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw CoreError.badRequest("invalid schedule name")
        }
        if let type = data["storage_type"]?.stringValue, type != "local" {
            throw CoreError.badRequest("storage_type \"\(type)\" is not supported; only \"local\" is")
        }
        var interval = existing?.interval
        if let value = data["interval"] {
            guard let seconds = try DurationValue.seconds(value, field: "interval"), seconds > 0 else {
                throw CoreError.badRequest("interval must be a positive duration")
            }
            interval = seconds
        }
        var retain = existing?.retain ?? 1
        if let value = data["retain"] {
            switch value {
            case .int(let number) where number >= 1: retain = number
            case .string(let text) where (Int64(text) ?? 0) >= 1: retain = Int64(text) ?? 1
            default: throw CoreError.badRequest("retain must be a positive integer")
            }
        }
        let pathPrefix = data["path_prefix"]?.stringValue ?? existing?.pathPrefix
        var filePrefix = data["file_prefix"]?.stringValue ?? existing?.filePrefix ?? "coffer-snapshot"
        if filePrefix.isEmpty { filePrefix = "coffer-snapshot" }
        guard let interval else { throw CoreError.badRequest("interval is required") }
        guard let pathPrefix, pathPrefix.hasPrefix("/") else {
            throw CoreError.badRequest("path_prefix must be an absolute directory path")
        }
        guard !filePrefix.contains("/") else { throw CoreError.badRequest("file_prefix must not contain '/'") }
        return SnapshotSchedule(
            name: name, interval: interval, retain: retain, pathPrefix: pathPrefix, filePrefix: filePrefix)
    }

    /// The archive file name for a snapshot taken at `date` of `index`: sorts by time.
    func fileName(at date: Date, index: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return "\(filePrefix)-\(formatter.string(from: date))-\(index).snap"
    }

    /// Of the archive names in the directory, those to delete to keep the newest `retain` (names sort by time).
    func toPrune(_ names: [String]) -> [String] {
        let archives = names.filter { $0.hasPrefix(filePrefix + "-") && $0.hasSuffix(".snap") }.sorted()
        return Array(archives.dropLast(Int(retain)))
    }
}

/// What the active node knows of one schedule's runs (in memory; a new active node starts afresh).
struct SnapshotScheduleStatus: Sendable, Codable {
    var nextRun: Date
    var lastStart: Date?
    var lastEnd: Date?
    var lastSuccess: Date?
    var lastError: String?
    var lastFile: String?
    var consecutiveErrors = 0
    /// The node that ran the last attempt: archives are written to that node's disk.
    var lastNode: String?

    var json: [String: JSONValue] {
        func time(_ date: Date?) -> JSONValue { date.map { .string(Timestamp($0).rfc3339Nano) } ?? .null }
        return [
            "next_snapshot_start": time(nextRun),
            "last_snapshot_start": time(lastStart),
            "last_snapshot_end": time(lastEnd),
            "last_success": time(lastSuccess),
            "last_snapshot_error": .string(lastError ?? ""),
            "last_snapshot_url": .string(lastFile.map { "file://" + $0 } ?? ""),
            "consecutive_errors": .int(Int64(consecutiveErrors)),
            "last_snapshot_node": .string(lastNode ?? ""),
        ]
    }
}
