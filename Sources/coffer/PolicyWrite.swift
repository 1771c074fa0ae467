import ArgumentParser
import Foundation

/// `coffer policy write NAME FILE|-`: upload an ACL policy (HCL or JSON). Names are lower-cased as in Vault.
struct PolicyWrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Upload a policy.")

    @OptionGroup var clientOptions: ClientOptions

    @Argument(help: "NAME FILE|-")
    var arguments: [String] = []

    mutating func run() async throws {
        guard arguments.count == 2 else {
            let problem = arguments.count < 2 ? "Not enough" : "Too many"
            throw CLIError.usage("\(problem) arguments (expected 2, got \(arguments.count))")
        }
        let name = arguments[0].lowercased().trimmingWhitespace()
        let source = arguments[1]
        let text: String
        if source == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let bytes = FileContents.read(source) else {
                throw CLIError.request("Error opening policy file: open \(source): no such file or directory")
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        do {
            let body = JSONObject([("policy", .string(text))])
            _ = try await clientOptions.client().send("PUT", "sys/policies/acl/\(name)", body: .object(body))
        } catch {
            throw CLIError.request("Error uploading policy: \(error)")
        }
        Console.output("Success! Uploaded policy: \(name)")
    }
}
