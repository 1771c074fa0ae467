/// Entry points that turn HCL1 or JSON text into an `HCLBody`.
///
/// Guarantees: any input, however malformed, either yields a body or throws an `HCLError` with a line and
/// column; nothing traps. Nesting of `{`/`[` deeper than `maxDepth` is refused with an error, so hostile input
/// cannot exhaust the stack. Order and duplicates are preserved exactly as written.
public struct HCLParser: Sendable {
    /// Default cap on nesting of blocks, objects and lists. Real configs and policies use fewer than ten.
    public static let defaultMaxDepth = 64

    public var maxDepth: Int

    public init(maxDepth: Int = HCLParser.defaultMaxDepth) {
        self.maxDepth = maxDepth
    }

    /// Parses HCL1 text (Vault server config, ACL policy).
    public static func parse(_ source: String) throws(HCLError) -> HCLBody {
        try HCLParser().parse(source)
    }

    /// Parses the JSON form: a JSON object whose keys map to the same tree HCL1 would build, following HCL1's
    /// JSON rules (an object whose members are all objects turns its keys into block labels; a list of
    /// objects becomes repeated blocks).
    public static func parseJSON(_ source: String) throws(HCLError) -> HCLBody {
        try HCLParser().parseJSON(source)
    }

    /// Parses either form, choosing JSON when the first non-blank character is `{`, as Vault does.
    public static func parseDocument(_ source: String) throws(HCLError) -> HCLBody {
        try HCLParser().parseDocument(source)
    }

    public func parse(_ source: String) throws(HCLError) -> HCLBody {
        var state = HCLSyntax(lexer: HCLLexer(source), maxDepth: maxDepth)
        return try state.parseDocument()
    }

    public func parseJSON(_ source: String) throws(HCLError) -> HCLBody {
        var reader = JSONReader(source, maxDepth: maxDepth)
        let value = try reader.readDocument()
        return try JSONTreeBuilder(maxDepth: maxDepth).body(fromDocument: value)
    }

    public func parseDocument(_ source: String) throws(HCLError) -> HCLBody {
        let first = source.unicodeScalars.first { !$0.properties.isWhitespace }
        return first == "{" ? try parseJSON(source) : try parse(source)
    }
}
