import ArgumentParser
import Foundation
import HA

/// `coffer operator raft snapshot inspect FILE`: check an archive offline (gzip CRC, SHA256SUMS, records
/// against meta.json) and print its metadata. The sealed checksum needs the cluster's keys: restore checks it.
struct RaftSnapshotInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Check a snapshot file and show its metadata.")

    @OptionGroup var format: FormatOption

    @Argument(help: "FILE")
    var arguments: [String] = []

    mutating func run() async throws {
        guard arguments.count == 1 else {
            throw CLIError.usage("Incorrect arguments (expected 1, got \(arguments.count))")
        }
        let path = arguments[0]
        let metadata: SnapshotArchiveMetadata
        do {
            metadata = try SnapshotArchiveMetadata.inspect(archive: path)
        } catch {
            throw CLIError.request("Error inspecting the snapshot: \(error)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        let rows: [(String, String)] = [
            ("ID", metadata.id), ("Index", "\(metadata.index)"), ("Term", "\(metadata.term)"),
            ("Records", "\(metadata.records)"), ("State Size", "\(metadata.size)"),
            ("Archive Size", "\(size ?? 0)"), ("Created", metadata.createdAt),
            ("Content Hash", metadata.contentHash), ("Format", metadata.format),
        ]
        if try format.resolved() == .json {
            var object: [String: String] = [:]
            for (key, value) in rows { object[key.lowercased().replacingOccurrences(of: " ", with: "_")] = value }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            Console.output(String(decoding: data, as: UTF8.self))
        } else {
            Console.output(Table.withHeader(["Key", "Value"], rows: rows.map { [$0.0, $0.1] }).render())
        }
    }
}
