import Core
import HCL

/// `snapshot_schedule "NAME" { interval = "1h", retain = 24, path_prefix = "/dir", file_prefix = "..." }`:
/// automated snapshots the active node takes, besides those configured through
/// `sys/storage/raft/snapshot-auto/config/NAME` (a stanza wins over a stored schedule of the same name).
/// A Coffer extension: `bao server` does not know the key.
public struct SnapshotScheduleConfig: Sendable, Equatable {
    public var name: String
    public var interval: Int64
    public var retain: Int64
    public var pathPrefix: String
    public var filePrefix: String?
}

extension ServerConfig {
    static let snapshotScheduleKeys: Set<String> = ["interval", "retain", "path_prefix", "file_prefix"]

    mutating func readSnapshotSchedules(_ body: HCLBody) throws(ConfigError) {
        for block in body.blocks(named: "snapshot_schedule") {
            guard block.labels.count == 1, let name = block.labels.first, !name.isEmpty else {
                throw ConfigError(message: "line \(block.line): snapshot_schedule needs a name, e.g. snapshot_schedule \"hourly\"")
            }
            try checkKeys(block.body, known: Self.snapshotScheduleKeys, ignored: [], context: "snapshot_schedule \"\(name)\"")
            do {
                guard let text = try block.body.string("interval"),
                    let interval = try DurationValue.seconds(.string(text), field: "interval"), interval > 0
                else {
                    throw ConfigError(message: "line \(block.line): snapshot_schedule \"\(name)\" needs a positive interval")
                }
                guard let path = try block.body.string("path_prefix"), path.hasPrefix("/") else {
                    throw ConfigError(
                        message: "line \(block.line): snapshot_schedule \"\(name)\" needs path_prefix, an absolute directory")
                }
                let retain = Int64(try block.body.int("retain") ?? 1)
                guard retain >= 1 else {
                    throw ConfigError(message: "line \(block.line): snapshot_schedule \"\(name)\": retain must be at least 1")
                }
                snapshotSchedules.append(SnapshotScheduleConfig(
                    name: name, interval: interval, retain: retain, pathPrefix: path,
                    filePrefix: try block.body.string("file_prefix")))
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError(message: "line \(block.line): snapshot_schedule \"\(name)\": \(error)")
            }
        }
    }
}
