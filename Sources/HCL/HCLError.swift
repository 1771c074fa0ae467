/// Every failure of the HCL module: syntax errors from the parsers and type errors from the typed getters.
///
/// An error always names where it happened (`line`, `column`, both 1-based) and says in `message` what was
/// expected. `description` renders as `line 4, column 12: expected '=' or '{' after key "foo"`.
public struct HCLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line of the offending token or key.
    public var line: Int
    /// 1-based column of the offending token or key.
    public var column: Int
    /// A human-readable explanation, without the position prefix.
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public init(at position: SourcePosition, _ message: String) {
        self.init(line: position.line, column: position.column, message: message)
    }

    public var position: SourcePosition { SourcePosition(line: line, column: column) }

    public var description: String { "line \(line), column \(column): \(message)" }
}
