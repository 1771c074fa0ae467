import ArgumentParser
import Audit
import Foundation

/// `coffer audit verify FILE`: checks the hash chain of a Coffer audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Work with audit logs.", subcommands: [AuditVerify.self])
}

/// Reads an audit file and reports the first line that was altered, removed before, or
/// moved. With `-device NAME` it also asks the server (`sys/audit-hash/NAME`, a token with
/// update on it) to check the last line's MAC, which authenticates the whole chain: an
/// edited last line or a rewritten tail is caught too.
///
/// Exit 0 with `ok: N lines, chain intact`; exit 2 naming the line otherwise; exit 1 when
/// the file cannot be read.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify the hash chain of an audit log file.")

    @OptionGroup var clientOptions: ClientOptions

    @Option(
        name: .customLong("device", withSingleDash: true),
        help: "Also have the server check the last line's MAC with this device's salt.")
    var device: String?

    @Argument(help: "The audit log file.")
    var file: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError.usage("cannot read \(file)")
        }
        let contents = Array(data)
        let finding = AuditChainVerifier.verify(contents)
        guard finding.isIntact else {
            throw CLIError.request("\(file): \(finding.description)")
        }
        guard let device else {
            Console.output(finding.description)
            return
        }
        let lineCount = AuditChainVerifier.lines(contents).count
        guard let link = AuditChainVerifier.lastLink(contents), let mac = link.mac else {
            throw CLIError.request("\(file): line \(lineCount): no MAC to check")
        }
        let answer: VaultClient.Answer
        do {
            answer = try await clientOptions.client().exchange(
                "PUT", "sys/audit-hash/" + device, body: .object(JSONObject([("input", .string(link.signed))])))
        } catch {
            throw CLIError.request("Error checking the MAC: \(error)")
        }
        guard answer.isSuccess else {
            throw CLIError.request("Error checking the MAC: \(answer.failure)")
        }
        guard let hash = (try? answer.json())?["data"]?["hash"]?.stringValue else {
            throw CLIError.request("Error checking the MAC: no hash in the server's answer")
        }
        guard hash == mac else {
            throw CLIError.request(
                "\(file): line \(lineCount): MAC does not match: edited, or not written by audit device \(device)")
        }
        Console.output("\(finding.description); last line's MAC checked by the server for device \(device)")
    }
}
