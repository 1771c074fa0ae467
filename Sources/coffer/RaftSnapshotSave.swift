import ArgumentParser
import Foundation

/// `coffer operator raft snapshot save FILE`: download a snapshot into FILE (created 0600, only once data
/// arrives, so a failed request leaves no empty file).
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
        let snapshot: [UInt8]
        do {
            let answer = try await clientOptions.client().exchange("GET", "sys/storage/raft/snapshot")
            guard answer.isSuccess else {
                throw answer.failure
            }
            snapshot = answer.body
        } catch {
            throw CLIError.request("Error taking the snapshot: \(error)")
        }
        if snapshot.isEmpty {
            return
        }
        let created = FileManager.default.createFile(
            atPath: path, contents: Data(snapshot), attributes: [.posixPermissions: 0o600])
        guard created else {
            throw CLIError.request("Error taking the snapshot: could not write \(path)")
        }
    }
}
