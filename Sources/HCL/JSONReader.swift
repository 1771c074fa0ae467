/// An RFC 8259 reader (plus HCL1's tolerance of one trailing comma) that records positions and never traps;
/// depth is capped like the HCL parser.
struct JSONReader {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var column = 1
    private let maxDepth: Int
    private var depth = 0

    init(_ source: String, maxDepth: Int) {
        self.bytes = Array(source.utf8)
        self.maxDepth = maxDepth
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func advance() {
        guard offset < bytes.count else { return }
        let byte = bytes[offset]
        offset += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
              byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r") {
            advance()
        }
    }

    private func found() -> String {
        guard let byte = peek() else { return "end of input" }
        return HCLLexer.describe(byte)
    }

    mutating func readDocument() throws(HCLError) -> JSONNode {
        skipWhitespace()
        let value = try readValue()
        skipWhitespace()
        if peek() != nil { throw HCLError(at: position, "unexpected \(found()) after the JSON document") }
        return value
    }

    private mutating func readValue() throws(HCLError) -> JSONNode {
        let start = position
        guard let byte = peek() else { throw HCLError(at: start, "expected a JSON value, found end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""): return JSONNode(kind: .string(try readString()), position: start)
        case UInt8(ascii: "t"): try readKeyword("true"); return JSONNode(kind: .bool(true), position: start)
        case UInt8(ascii: "f"): try readKeyword("false"); return JSONNode(kind: .bool(false), position: start)
        case UInt8(ascii: "n"): try readKeyword("null"); return JSONNode(kind: .null, position: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(kind: .number(try readNumber()), position: start)
        default:
            throw HCLError(at: start, "expected a JSON value, found \(found())")
        }
    }

    private mutating func enter(at position: SourcePosition) throws(HCLError) {
        depth += 1
        if depth > maxDepth {
            throw HCLError(at: position, "nesting is deeper than the limit of \(maxDepth) levels")
        }
    }

    private mutating func readObject() throws(HCLError) -> JSONNode {
        let start = position
        try enter(at: start)
        advance()
        var members: [JSONNode.Member] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            advance()
            depth -= 1
            return JSONNode(kind: .object(members), position: start)
        }
        while true {
            skipWhitespace()
            let keyPosition = position
            guard peek() == UInt8(ascii: "\"") else {
                throw HCLError(at: keyPosition, "expected a quoted object key, found \(found())")
            }
            let key = try readString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw HCLError(at: position, "expected ':' after object key \"\(key)\", found \(found())")
            }
            advance()
            skipWhitespace()
            members.append(JSONNode.Member(key: key, keyPosition: keyPosition, value: try readValue()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                advance()
                skipWhitespace()
                // HCL1's JSON parser tolerates one trailing comma; so does this reader.
                if peek() == UInt8(ascii: "}") {
                    advance()
                    depth -= 1
                    return JSONNode(kind: .object(members), position: start)
                }
            case UInt8(ascii: "}"):
                advance()
                depth -= 1
                return JSONNode(kind: .object(members), position: start)
            default:
                throw HCLError(at: position, "expected ',' or '}' in object, found \(found())")
            }
        }
    }

    private mutating func readArray() throws(HCLError) -> JSONNode {
        let start = position
        try enter(at: start)
        advance()
        var elements: [JSONNode] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            advance()
            depth -= 1
            return JSONNode(kind: .array(elements), position: start)
        }
        while true {
            skipWhitespace()
            elements.append(try readValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                advance()
                skipWhitespace()
                if peek() == UInt8(ascii: "]") {
                    advance()
                    depth -= 1
                    return JSONNode(kind: .array(elements), position: start)
                }
            case UInt8(ascii: "]"):
                advance()
                depth -= 1
                return JSONNode(kind: .array(elements), position: start)
            default:
                throw HCLError(at: position, "expected ',' or ']' in array, found \(found())")
            }
        }
    }

    private mutating func readKeyword(_ word: String) throws(HCLError) {
        let start = position
        for expected in word.utf8 {
            guard peek() == expected else { throw HCLError(at: start, "invalid literal, expected '\(word)'") }
            advance()
        }
    }

    private mutating func readNumber() throws(HCLError) -> HCLNumber {
        let start = position
        let first = offset
        var isFloat = false
        if peek() == UInt8(ascii: "-") { advance() }
        guard let lead = peek(), HCLLexer.isDigit(lead) else { throw HCLError(at: start, "malformed number") }
        if lead == UInt8(ascii: "0") {
            advance()
        } else {
            while let byte = peek(), HCLLexer.isDigit(byte) { advance() }
        }
        if peek() == UInt8(ascii: ".") {
            isFloat = true
            advance()
            guard let digit = peek(), HCLLexer.isDigit(digit) else {
                throw HCLError(at: start, "malformed number: digits must follow '.'")
            }
            while let byte = peek(), HCLLexer.isDigit(byte) { advance() }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isFloat = true
            advance()
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { advance() }
            guard let digit = peek(), HCLLexer.isDigit(digit) else {
                throw HCLError(at: start, "malformed number: digits must follow the exponent")
            }
            while let byte = peek(), HCLLexer.isDigit(byte) { advance() }
        }
        let text = String(decoding: bytes[first..<offset], as: UTF8.self)
        if !isFloat, let value = Int(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else {
            throw HCLError(at: start, "number \(text) is out of range")
        }
        return .float(value)
    }

    private mutating func readString() throws(HCLError) -> String {
        let start = position
        advance()  // opening quote
        var output: [UInt8] = []
        while true {
            guard let byte = peek() else { throw HCLError(at: start, "string not terminated: missing closing '\"'") }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                return String(decoding: output, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escapePosition = position
                advance()
                guard let code = peek() else { throw HCLError(at: start, "string not terminated after '\\'") }
                advance()
                switch code {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(code)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try readUnicodeEscape(at: escapePosition)
                    output.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw HCLError(at: escapePosition, "unknown escape sequence in JSON string")
                }
            case 0x00..<0x20:
                throw HCLError(at: position, "control character in JSON string must be escaped")
            default:
                output.append(byte)
                advance()
            }
        }
    }

    private mutating func readHex4(at escapePosition: SourcePosition) throws(HCLError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = UInt32(String(Unicode.Scalar(byte)), radix: 16) else {
                throw HCLError(at: escapePosition, "malformed \\u escape: expected 4 hexadecimal digits")
            }
            value = value * 16 + digit
            advance()
        }
        return value
    }

    /// Reads the digits after `\u`, combining a UTF-16 surrogate pair when one follows.
    private mutating func readUnicodeEscape(at escapePosition: SourcePosition) throws(HCLError) -> Unicode.Scalar {
        let high = try readHex4(at: escapePosition)
        if (0xD800..<0xDC00).contains(high) {
            guard peek() == UInt8(ascii: "\\") else {
                throw HCLError(at: escapePosition, "unpaired UTF-16 surrogate in \\u escape")
            }
            advance()
            guard peek() == UInt8(ascii: "u") else {
                throw HCLError(at: escapePosition, "unpaired UTF-16 surrogate in \\u escape")
            }
            advance()
            let low = try readHex4(at: escapePosition)
            guard (0xDC00..<0xE000).contains(low),
                  let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                throw HCLError(at: escapePosition, "invalid UTF-16 surrogate pair in \\u escape")
            }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else {
            throw HCLError(at: escapePosition, "unpaired UTF-16 surrogate in \\u escape")
        }
        return scalar
    }
}
