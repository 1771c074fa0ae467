import ArgumentParser
import Foundation

/// The `coffer` command line: a server, and a drop-in client for the `vault`/`bao` commands operators use.
struct CofferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "Coffer: a Vault-compatible secrets cluster.",
        discussion: """
            Client commands talk to the server at $COFFER_ADDR (or $VAULT_ADDR, or -address) with the token in \
            $COFFER_TOKEN (or $VAULT_TOKEN, or ~/.vault-token).
            """,
        subcommands: [
            ReadCommand.self, WriteCommand.self, ListCommand.self, DeleteCommand.self, UnwrapCommand.self,
            StatusCommand.self, LoginCommand.self, KVCommand.self, OperatorCommand.self, TokenCommand.self,
            PolicyCommand.self, SecretsCommand.self, AuthCommand.self, ServerSubcommand.self, AuditCommand.self,
        ])
}

/// Entry point: normalises the command line, runs the command, and maps failures to Vault's exit statuses
/// (1 for usage errors, the command's own status otherwise).
@main
enum CofferMain {
    static func main() async {
        let status = await run(ArgumentNormalizer.normalize(Array(CommandLine.arguments.dropFirst())))
        await HTTPClients.shutdown()
        if let status { exit(status) }
    }

    /// Runs the command; returns the status to exit with, or `nil` when it finished normally.
    private static func run(_ arguments: [String]) async -> Int32? {
        do {
            var command = try CofferCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return nil
        } catch let error as CLIError {
            if !error.message.isEmpty {
                Console.error(error.message)
            }
            return error.exitCode
        } catch {
            let code = CofferCommand.exitCode(for: error)
            if code == .success {
                let message = CofferCommand.fullMessage(for: error)
                if !message.isEmpty {
                    Console.output(message)
                }
                return 0
            }
            // ArgumentParser uses 64 for usage errors; Vault uses 1 and Go's flag package wording.
            if code.rawValue == 64 {
                let reworded = UsageErrorWording.goStyle(CofferCommand.message(for: error))
                if reworded != CofferCommand.message(for: error) {
                    Console.error(reworded)
                } else {
                    Console.error(CofferCommand.fullMessage(for: error))
                }
                return 1
            }
            Console.error(CofferCommand.fullMessage(for: error))
            return code.rawValue
        }
    }
}
