import Foundation

/// Builds a request body from `key=value` arguments as the Vault CLI does: `key=@file` takes the file's contents,
/// `key=-` reads stdin, `\@` escapes a literal `@`, a lone `-` or `@file.json` merges a JSON object, and a key
/// given more than once becomes a list of its values.
struct KeyValueArguments {
    /// Reads all of stdin; injectable so that tests need no real stdin.
    var readStandardInput: () -> [UInt8] = {
        [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }

    private var stdinConsumed = false

    init() {}

    /// The JSON object for `arguments`, or a `CLIError` worded like Vault's "Failed to parse K=V data".
    mutating func build(_ arguments: [String]) throws(CLIError) -> JSONObject {
        var result = JSONObject()
        for (index, argument) in arguments.enumerated() {
            try add(argument, position: index + 1, to: &result)
        }
        return result
    }

    private mutating func add(_ argument: String, position: Int, to result: inout JSONObject) throws(CLIError) {
        if argument == "-" {
            try merge(try stdin(), from: "stdin", into: &result)
            return
        }
        if argument.hasPrefix("@") {
            let path = String(argument.dropFirst())
            try merge(try readFile(path), from: path, into: &result)
            return
        }
        guard let equals = argument.firstIndex(of: "=") else {
            // Vault quotes the argument here; it may be a mistyped secret, so Coffer only says which one it is.
            throw failure("invalid key/value pair (argument \(position)): format must be key=value")
        }
        let key = String(argument[..<equals])
        var value = String(argument[argument.index(after: equals)...])
        if value.hasPrefix("@") {
            value = String(decoding: try readFile(String(value.dropFirst())), as: UTF8.self)
        } else if value.hasPrefix("\\@") {
            value.removeFirst()
        } else if value == "-" {
            value = String(decoding: try stdin(), as: UTF8.self)
        }
        insert(.string(value), for: key, into: &result)
    }

    private func insert(_ value: JSONValue, for key: String, into result: inout JSONObject) {
        guard let existing = result[key] else {
            result.set(key, value)
            return
        }
        if case .array(var items) = existing {
            items.append(value)
            result.set(key, .array(items))
        } else {
            result.set(key, .array([existing, value]))
        }
    }

    private func merge(_ bytes: [UInt8], from source: String, into result: inout JSONObject) throws(CLIError) {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(bytes)
        } catch {
            throw failure("error parsing JSON from \(source): \(error)")
        }
        guard let object = parsed.objectValue else {
            throw failure("error parsing JSON from \(source): not a JSON object")
        }
        for member in object.members {
            insert(member.value, for: member.key, into: &result)
        }
    }

    private mutating func stdin() throws(CLIError) -> [UInt8] {
        guard !stdinConsumed else {
            throw failure("stdin already consumed")
        }
        stdinConsumed = true
        return readStandardInput()
    }

    private func readFile(_ path: String) throws(CLIError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure("error reading file \(path): no such file or not readable")
        }
        return [UInt8](data)
    }

    private func failure(_ reason: String) -> CLIError {
        .usage("Failed to parse K=V data: \(reason)")
    }
}
