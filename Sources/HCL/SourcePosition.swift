/// A place in a source document: 1-based line and column.
///
/// Columns count Unicode scalars, not bytes, so they match what an editor shows for UTF-8 text.
/// Positions are for diagnostics only; they never take part in equality of values.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// 1-based column number.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}
