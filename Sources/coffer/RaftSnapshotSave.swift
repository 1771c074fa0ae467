import ArgumentParser
import Foundation
import HA

/// `coffer operator raft snapshot save FILE`: stream a snapshot into FILE. The archive is written to
/// FILE.partial (0600), checked (gzip CRC, SHA256SUMS, records) when in Coffer's layout, then renamed: FILE is complete or absent.
struct RaftSnapshotSave: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save a snapshot to a file.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "FILE")
    var arguments: [String] = []

    mutating func run() async throws {
        guard arguments.count == 1 else {
            throw CLIError.usage("Incorrect arguments (expected 1, got \(arguments.count))")
        }
        let path = arguments[0].trimmingWhitespace()
        guard !path.isEmpty else {
            throw CLIError.usage("Output file name is required")
        }
        let client = clientOptions.client()
        let partial = path + ".partial"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let outcome: SnapshotTransfer.Outcome
        do {
            outcome = try await SnapshotTransfer.download(
                try client.request("GET", "sys/storage/raft/snapshot"), to: partial)
        } catch {
            throw CLIError.request("Error taking the snapshot: \(error)")
        }
        guard outcome.status == 200 else {
            let answer = VaultClient.Answer(
                method: "GET", url: (try? client.url(for: "sys/storage/raft/snapshot").absoluteString) ?? "",
                statusCode: outcome.status, body: outcome.errorBody)
            throw CLIError.request("Error taking the snapshot: \(answer.failure)")
        }
        do {
            _ = try SnapshotArchiveMetadata.inspect(archive: partial)
        } catch SnapshotArchiveError.unsupported {
            // Not Coffer's layout (an OpenBao server's compressed archive): kept as received, as bao does.
        } catch {
            throw CLIError.request("Error taking the snapshot: \(error)")
        }
        guard rename(partial, path) == 0 else {
            throw CLIError.request("Error taking the snapshot: could not write \(path)")
        }
    }
}
