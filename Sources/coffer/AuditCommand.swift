import ArgumentParser
import Audit
import Foundation

/// `coffer audit verify FILE`: checks the hash chain of a Coffer audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Work with audit logs.", subcommands: [AuditVerify.self])
}

/// Reads an audit file and reports the first line that was altered, removed before, or
/// moved. Exit 0 with `ok: N lines, chain intact`; exit 2 naming the line otherwise; exit
/// 1 when the file cannot be read. Needs no server and no key: the chain is SHA-256.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify the hash chain of an audit log file.")

    @Argument(help: "The audit log file.")
    var file: String

    func run() async throws {
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw CLIError.usage("cannot read \(file)")
        }
        let finding = AuditChainVerifier.verify(Array(contents))
        if finding.isIntact {
            Console.output(finding.description)
            return
        }
        throw CLIError.request("\(file): \(finding.description)")
    }
}
