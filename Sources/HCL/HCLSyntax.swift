/// The recursive-descent parser over HCL1 tokens.
struct HCLSyntax {
    private var lexer: HCLLexer
    private var lookahead: HCLToken?
    private let maxDepth: Int
    private var depth = 0

    init(lexer: HCLLexer, maxDepth: Int) {
        self.lexer = lexer
        self.maxDepth = maxDepth
    }

    private mutating func peek() throws(HCLError) -> HCLToken {
        if let token = lookahead { return token }
        let token = try lexer.next()
        lookahead = token
        return token
    }

    @discardableResult
    private mutating func take() throws(HCLError) -> HCLToken {
        let token = try peek()
        lookahead = nil
        return token
    }

    mutating func parseDocument() throws(HCLError) -> HCLBody {
        try parseItems(insideBraces: false)
    }

    private mutating func enter(at position: SourcePosition) throws(HCLError) {
        depth += 1
        if depth > maxDepth {
            throw HCLError(at: position, "nesting is deeper than the limit of \(maxDepth) levels")
        }
    }

    /// Items until end of input (top level) or until the closing `}`, which is left for the caller.
    private mutating func parseItems(insideBraces: Bool) throws(HCLError) -> HCLBody {
        var items: [HCLItem] = []
        while true {
            let token = try peek()
            switch token.kind {
            case .end:
                if insideBraces { throw HCLError(at: token.position, "expected '}' before end of input") }
                return HCLBody(items: items)
            case .rightBrace:
                if !insideBraces { throw HCLError(at: token.position, "unexpected '}' with no block open") }
                return HCLBody(items: items)
            case .comma where insideBraces && !items.isEmpty:
                try take()
            default:
                items.append(try parseItem())
            }
        }
    }

    private mutating func parseItem() throws(HCLError) -> HCLItem {
        let first = try take()
        var keys: [String] = []
        switch first.kind {
        case .identifier(let name), .string(let name):
            keys.append(name)
        default:
            throw HCLError(at: first.position, "expected a key (a name or a quoted string), found \(first.summary)")
        }
        while true {
            let token = try peek()
            switch token.kind {
            case .identifier(let name), .string(let name):
                try take()
                keys.append(name)
            case .equals:
                try take()
                guard keys.count == 1 else {
                    throw HCLError(at: token.position,
                                   "expected '{' after block labels of \"\(keys[0])\", found '='")
                }
                let value = try parseValue()
                return .attribute(HCLAttribute(key: keys[0], value: value, at: first.position))
            case .leftBrace:
                try take()
                try enter(at: token.position)
                let body = try parseItems(insideBraces: true)
                try take()  // the closing brace
                depth -= 1
                return .block(HCLBlock(type: keys[0], labels: Array(keys.dropFirst()), body: body,
                                       at: first.position))
            default:
                let what = keys.count == 1 ? "key \"\(keys[0])\"" : "labels of \"\(keys[0])\""
                throw HCLError(at: token.position, "expected '=' or '{' after \(what), found \(token.summary)")
            }
        }
    }

    private mutating func parseValue() throws(HCLError) -> HCLValue {
        let token = try take()
        switch token.kind {
        case .string(let text), .heredoc(let text):
            return HCLValue(.string(text), at: token.position)
        case .number(let number):
            return HCLValue(.number(number), at: token.position)
        case .bool(let flag):
            return HCLValue(.bool(flag), at: token.position)
        case .leftBrace:
            try enter(at: token.position)
            let body = try parseItems(insideBraces: true)
            try take()
            depth -= 1
            return HCLValue(.object(body), at: token.position)
        case .leftBracket:
            try enter(at: token.position)
            let values = try parseListElements()
            depth -= 1
            return HCLValue(.list(values), at: token.position)
        case .identifier(let name):
            throw HCLError(at: token.position,
                           "unexpected identifier \"\(name)\" as a value: strings must be quoted")
        default:
            throw HCLError(at: token.position, "expected a value, found \(token.summary)")
        }
    }

    /// Elements after `[` up to and including `]`; commas separate them and one trailing comma is allowed.
    private mutating func parseListElements() throws(HCLError) -> [HCLValue] {
        var values: [HCLValue] = []
        while true {
            let token = try peek()
            if token.kind == .rightBracket {
                try take()
                return values
            }
            values.append(try parseValue())
            let separator = try take()
            switch separator.kind {
            case .comma:
                continue
            case .rightBracket:
                return values
            default:
                throw HCLError(at: separator.position, "expected ',' or ']' in list, found \(separator.summary)")
            }
        }
    }
}
