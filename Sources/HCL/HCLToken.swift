/// A lexical token of HCL1 with the position of its first character.
struct HCLToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        case string(String)
        case heredoc(String)
        case number(HCLNumber)
        case bool(Bool)
        case leftBrace
        case rightBrace
        case leftBracket
        case rightBracket
        case equals
        case comma
        case end
    }

    var kind: Kind
    var position: SourcePosition

    /// How the token reads in an error message.
    var summary: String {
        switch kind {
        case .identifier(let name): "identifier \"\(name)\""
        case .string(let text): "string \"\(text.prefix(40))\""
        case .heredoc: "heredoc"
        case .number(let number): "number \(number)"
        case .bool(let flag): flag ? "'true'" : "'false'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .equals: "'='"
        case .comma: "','"
        case .end: "end of input"
        }
    }
}
