import HCL

/// Why a policy document was rejected: a syntax error from the HCL/JSON parser or a semantic error (unknown
/// key, bad capability, bad TTL). Always carries the line and column of the offending text.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    init(at position: SourcePosition, _ message: String) {
        self.init(line: position.line, column: position.column, message: message)
    }

    init(_ error: HCLError) {
        self.init(line: error.line, column: error.column, message: error.message)
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
