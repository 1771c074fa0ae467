/// Turns HCL1 source bytes into tokens. Never traps: every malformed input becomes an `HCLError`.
struct HCLLexer {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var column = 1

    init(_ source: String) {
        self.bytes = Array(source.utf8)
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    /// Consumes one byte, keeping line and column (in Unicode scalars) up to date.
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

    mutating func next() throws(HCLError) -> HCLToken {
        try skipTrivia()
        let start = position
        guard let byte = peek() else { return HCLToken(kind: .end, position: start) }
        switch byte {
        case UInt8(ascii: "{"): advance(); return HCLToken(kind: .leftBrace, position: start)
        case UInt8(ascii: "}"): advance(); return HCLToken(kind: .rightBrace, position: start)
        case UInt8(ascii: "["): advance(); return HCLToken(kind: .leftBracket, position: start)
        case UInt8(ascii: "]"): advance(); return HCLToken(kind: .rightBracket, position: start)
        case UInt8(ascii: "="): advance(); return HCLToken(kind: .equals, position: start)
        case UInt8(ascii: ","): advance(); return HCLToken(kind: .comma, position: start)
        case UInt8(ascii: "\""):
            return HCLToken(kind: .string(try scanString(start: start)), position: start)
        case UInt8(ascii: "<"):
            return HCLToken(kind: .heredoc(try scanHeredoc(start: start)), position: start)
        case UInt8(ascii: "-"):
            guard let following = peek(1), Self.isDigit(following) else {
                throw HCLError(at: start, "unexpected character '-'")
            }
            return HCLToken(kind: .number(try scanNumber(start: start)), position: start)
        default:
            if Self.isDigit(byte) {
                return HCLToken(kind: .number(try scanNumber(start: start)), position: start)
            }
            if Self.isIdentifierStart(byte) {
                let name = scanIdentifier()
                switch name {
                case "true": return HCLToken(kind: .bool(true), position: start)
                case "false": return HCLToken(kind: .bool(false), position: start)
                default: return HCLToken(kind: .identifier(name), position: start)
                }
            }
            throw HCLError(at: start, "unexpected character \(Self.describe(byte))")
        }
    }

    // MARK: trivia

    private mutating func skipTrivia() throws(HCLError) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                advance()
            case UInt8(ascii: "#"):
                skipToEndOfLine()
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/"):
                skipToEndOfLine()
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                let start = position
                advance()
                advance()
                var closed = false
                while let current = peek() {
                    if current == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                        advance()
                        advance()
                        closed = true
                        break
                    }
                    advance()
                }
                if !closed { throw HCLError(at: start, "comment not terminated: missing '*/'") }
            default:
                return
            }
        }
    }

    private mutating func skipToEndOfLine() {
        while let byte = peek(), byte != UInt8(ascii: "\n") { advance() }
    }

    // MARK: identifiers and numbers

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    private mutating func scanIdentifier() -> String {
        let start = offset
        while let byte = peek(), Self.isIdentifierPart(byte) { advance() }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    private mutating func scanNumber(start: SourcePosition) throws(HCLError) -> HCLNumber {
        let first = offset
        if peek() == UInt8(ascii: "-") { advance() }
        let negative = offset != first
        if peek() == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            advance()
            advance()
            let digitsStart = offset
            while let byte = peek(), byte.isHexDigit { advance() }
            try rejectTrailingIdentifier(start: start)
            let digits = String(decoding: bytes[digitsStart..<offset], as: UTF8.self)
            guard let magnitude = Int(digits, radix: 16) else {
                throw HCLError(at: start, "malformed hexadecimal number")
            }
            return .int(negative ? -magnitude : magnitude)
        }
        var isFloat = false
        while let byte = peek(), Self.isDigit(byte) { advance() }
        if peek() == UInt8(ascii: "."), let after = peek(1), Self.isDigit(after) {
            isFloat = true
            advance()
            while let byte = peek(), Self.isDigit(byte) { advance() }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var ahead = 1
            if let sign = peek(1), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { ahead = 2 }
            if let digit = peek(ahead), Self.isDigit(digit) {
                isFloat = true
                for _ in 0..<ahead { advance() }
                while let byte = peek(), Self.isDigit(byte) { advance() }
            }
        }
        try rejectTrailingIdentifier(start: start)
        let text = String(decoding: bytes[first..<offset], as: UTF8.self)
        if isFloat {
            guard let value = Double(text), value.isFinite else {
                throw HCLError(at: start, "malformed number \(text)")
            }
            return .float(value)
        }
        let unsigned = negative ? String(text.dropFirst()) : text
        if unsigned.count > 1 && unsigned.hasPrefix("0") {
            // HCL1 reads a leading zero as octal, like Go's strconv with base 0.
            guard let magnitude = Int(unsigned.dropFirst(), radix: 8) else {
                throw HCLError(at: start, "malformed octal number \(text)")
            }
            return .int(negative ? -magnitude : magnitude)
        }
        guard let value = Int(text) else { throw HCLError(at: start, "number \(text) is out of range") }
        return .int(value)
    }

    /// `10s` or `1h` are not numbers in HCL; say so instead of splitting them into two tokens.
    private func rejectTrailingIdentifier(start: SourcePosition) throws(HCLError) {
        if let byte = peek(), Self.isIdentifierPart(byte) || byte == UInt8(ascii: ".") {
            throw HCLError(at: start, "malformed number: unexpected \(Self.describe(byte)) after digits")
        }
    }

    // MARK: strings

    private mutating func scanString(start: SourcePosition) throws(HCLError) -> String {
        advance()  // opening quote
        var output: [UInt8] = []
        var braces = 0
        while true {
            guard let byte = peek() else { throw HCLError(at: start, "string not terminated: missing closing '\"'") }
            if byte == UInt8(ascii: "\n") && braces == 0 {
                throw HCLError(at: start, "string not terminated before end of line")
            }
            if byte == UInt8(ascii: "\"") && braces == 0 {
                advance()
                break
            }
            if braces == 0 && byte == UInt8(ascii: "$") && peek(1) == UInt8(ascii: "{") {
                braces = 1
                output.append(byte)
                output.append(UInt8(ascii: "{"))
                advance()
                advance()
                continue
            }
            if braces > 0 {
                // Inside ${...} the text is kept verbatim, quotes included.
                if byte == UInt8(ascii: "{") { braces += 1 }
                if byte == UInt8(ascii: "}") { braces -= 1 }
                output.append(byte)
                advance()
                continue
            }
            if byte == UInt8(ascii: "\\") {
                try scanEscape(into: &output)
                continue
            }
            output.append(byte)
            advance()
        }
        return String(decoding: output, as: UTF8.self)
    }

    private mutating func scanEscape(into output: inout [UInt8]) throws(HCLError) {
        let start = position
        advance()  // backslash
        guard let byte = peek() else { throw HCLError(at: start, "string not terminated after '\\'") }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "a"): 0x07,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "v"): 0x0B,
            UInt8(ascii: "\\"): UInt8(ascii: "\\"), UInt8(ascii: "\""): UInt8(ascii: "\""),
        ]
        if let replacement = simple[byte] {
            advance()
            output.append(replacement)
            return
        }
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            let value = try scanDigits(count: 3, radix: 8, start: start)
            guard value <= 0xFF else { throw HCLError(at: start, "octal escape value > 255") }
            output.append(UInt8(value))
        case UInt8(ascii: "x"):
            advance()
            output.append(UInt8(try scanDigits(count: 2, radix: 16, start: start)))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            advance()
            let value = try scanDigits(count: byte == UInt8(ascii: "u") ? 4 : 8, radix: 16, start: start)
            guard let scalar = Unicode.Scalar(UInt32(truncatingIfNeeded: value)), value <= 0x10FFFF else {
                throw HCLError(at: start, "escape sequence is not a valid Unicode code point")
            }
            output.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            throw HCLError(at: start, "unknown escape sequence '\\\(Self.describe(byte).trimmingQuotes)'")
        }
    }

    private mutating func scanDigits(count: Int, radix: Int, start: SourcePosition) throws(HCLError) -> Int {
        var value = 0
        for _ in 0..<count {
            guard let byte = peek(), let digit = Int(String(Unicode.Scalar(byte)), radix: radix) else {
                throw HCLError(at: start, "malformed escape sequence: expected \(count) base-\(radix) digits")
            }
            value = value * radix + digit
            advance()
        }
        return value
    }

    // MARK: heredocs

    private mutating func scanHeredoc(start: SourcePosition) throws(HCLError) -> String {
        guard peek(1) == UInt8(ascii: "<") else { throw HCLError(at: start, "unexpected character '<'") }
        advance()
        advance()
        var indented = false
        if peek() == UInt8(ascii: "-") {
            indented = true
            advance()
        }
        let anchorStart = offset
        // Anchors are letters, digits and underscores only (no '-' or '.', unlike identifiers).
        while let byte = peek(), Self.isIdentifierStart(byte) || Self.isDigit(byte) { advance() }
        let anchor = Array(bytes[anchorStart..<offset])
        guard !anchor.isEmpty else { throw HCLError(at: start, "heredoc needs an anchor, e.g. <<EOF") }
        if peek() == UInt8(ascii: "\r") && offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "\n") {
            advance()
        }
        guard peek() == UInt8(ascii: "\n") else {
            throw HCLError(at: start, "heredoc anchor must be followed by a new line")
        }
        advance()
        let bodyStart = offset
        while true {
            let lineStart = offset
            while let byte = peek(), byte != UInt8(ascii: "\n") { advance() }
            // Like HCL1, the closing line must end with a new line; a file ending right after it is an error.
            guard peek() == UInt8(ascii: "\n") else {
                let name = String(decoding: anchor, as: UTF8.self)
                throw HCLError(at: start, "heredoc not terminated: missing closing line \"\(name)\" and a new line")
            }
            let line = bytes[lineStart..<offset]
            let indentation = line.prefix { Self.isHeredocSpace($0) }
            let rest = line.dropFirst(indentation.count).reversed().drop { $0 == UInt8(ascii: "\r") }.reversed()
            advance()  // the new line
            if Array(rest) == anchor {
                // The value runs up to the anchor itself, so the closing line's indentation belongs to it.
                let raw = Array(bytes[bodyStart..<(lineStart + indentation.count)])
                return Self.heredocValue(raw, indented: indented)
            }
        }
    }

    private static func isHeredocSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == 0x0B || byte == 0x0C
    }

    /// HCL1's value of a heredoc body. `<<EOF`: the text as is. `<<-EOF`: when every line starts with the
    /// closing line's indentation, that indentation is removed from each line; otherwise the text as is, minus
    /// the closing line's indentation.
    private static func heredocValue(_ raw: [UInt8], indented: Bool) -> String {
        guard indented else { return String(decoding: raw, as: UTF8.self) }
        let lines = raw.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let prefix = lines.last ?? []
        guard lines.allSatisfy({ $0.starts(with: prefix) }) else {
            let trimmed = raw.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.reversed()
            return String(decoding: Array(trimmed), as: UTF8.self)
        }
        var output: [UInt8] = []
        for line in lines.dropLast() {
            output.append(contentsOf: line.dropFirst(prefix.count))
            output.append(UInt8(ascii: "\n"))
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9"))
            || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}

extension String {
    fileprivate var trimmingQuotes: String {
        hasPrefix("'") && hasSuffix("'") && count >= 2 ? String(dropFirst().dropLast()) : self
    }
}
