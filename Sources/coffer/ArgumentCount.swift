/// Vault's wording for a wrong number of positional arguments.
enum ArgumentCount {
    static func require(_ arguments: [String], atLeast minimum: Int) throws(CLIError) {
        if arguments.count < minimum {
            throw .usage("Not enough arguments (expected \(minimum), got \(arguments.count))")
        }
    }

    static func require(_ arguments: [String], exactly count: Int) throws(CLIError) {
        try require(arguments, atLeast: count)
        if arguments.count > count {
            throw .usage("Too many arguments (expected \(count), got \(arguments.count))")
        }
    }

    static func require(_ arguments: [String], atMost maximum: Int) throws(CLIError) {
        if arguments.count > maximum {
            throw .usage("Too many arguments (expected 0-\(maximum), got \(arguments.count))")
        }
    }
}
