import Foundation

/// Serialises `JSONValue` the way Vault's `-format=yaml` does (Go's `sigs.k8s.io/yaml` over `gopkg.in/yaml.v2`):
/// keys in yaml.v2's natural order, strings quoted only when YAML 1.1 would read them as something else or when
/// they cannot be written plain, multi-line strings as literal blocks, long plain strings folded after column 80.
enum GoYAML {
    /// The document, without a trailing newline.
    static func document(_ value: JSONValue) -> String {
        var lines: [String] = []
        switch value {
        case .object(let object) where !object.isEmpty:
            writeMapping(object, indent: 0, into: &lines)
        case .array(let items) where !items.isEmpty:
            writeSequence(items, indent: 0, into: &lines)
        default:
            lines.append(inlineScalar(value, column: 0, indent: 2))
        }
        return lines.joined(separator: "\n")
    }

    // MARK: structure

    private static func writeMapping(_ object: JSONObject, indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for member in object.members.sorted(by: { naturalLess($0.key, $1.key) }) {
            let key = scalarText(member.key, column: indent, indent: indent + 2, isKey: true)
            writeEntry(prefix: pad + key + ":", value: member.value, indent: indent, into: &lines)
        }
    }

    /// One `key:` (or `-`) entry whose value follows on the same line or, for collections, below it.
    private static func writeEntry(prefix: String, value: JSONValue, indent: Int, into lines: inout [String]) {
        switch value {
        case .object(let object) where !object.isEmpty:
            lines.append(prefix)
            writeMapping(object, indent: indent + 2, into: &lines)
        case .array(let items) where !items.isEmpty:
            lines.append(prefix)
            writeSequence(items, indent: indent, into: &lines)
        default:
            let text = inlineScalar(value, column: prefix.count + 1, indent: indent + 2)
            lines.append(prefix + " " + text)
        }
    }

    private static func writeSequence(_ items: [JSONValue], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let object) where !object.isEmpty:
                var nested: [String] = []
                writeMapping(object, indent: indent + 2, into: &nested)
                if let first = nested.first {
                    nested[0] = pad + "- " + first.dropFirst(indent + 2)
                }
                lines += nested
            case .array(let inner) where !inner.isEmpty:
                var nested: [String] = []
                writeSequence(inner, indent: indent + 2, into: &nested)
                if let first = nested.first {
                    nested[0] = pad + "- " + first.dropFirst(indent + 2)
                }
                lines += nested
            default:
                lines.append(pad + "- " + inlineScalar(item, column: indent + 2, indent: indent + 2))
            }
        }
    }

    // MARK: scalars

    /// A scalar (or empty collection) as it appears after `key: `; may span lines (literal blocks, folding).
    private static func inlineScalar(_ value: JSONValue, column: Int, indent: Int) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let literal): return number(literal)
        case .string(let text): return scalarText(text, column: column, indent: indent, isKey: false)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// yaml.v2 decodes a JSON number as an int when it fits, otherwise as a float printed with Go's `%g`.
    private static func number(_ literal: String) -> String {
        if let integer = Int64(literal) {
            return String(integer)
        }
        guard let double = Double(literal) else {
            return literal
        }
        return goShortestG(double)
    }

    /// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
    static func goShortestG(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        // Swift's description gives the shortest round-trip digits; re-lay them out as Go would.
        var text = "\(value.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count + exponent
        while digits.hasPrefix("0"), digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0"), digits.count > 1 {
            digits.removeLast()
        }
        let sign = value < 0 ? "-" : ""
        let decimalExponent = pointPosition - 1
        if decimalExponent < -4 || decimalExponent >= 21 {
            let mantissa = digits.count > 1 ? "\(digits.prefix(1)).\(digits.dropFirst())" : digits
            let expSign = decimalExponent < 0 ? "-" : "+"
            let expDigits = String(abs(decimalExponent))
            return sign + mantissa + "e" + expSign + (expDigits.count < 2 ? "0" + expDigits : expDigits)
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let index = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<index] + "." + digits[index...]
    }

    private static func scalarText(_ text: String, column: Int, indent: Int, isKey: Bool) -> String {
        let analysis = ScalarAnalysis(text)
        if !isKey, text.contains("\n"), !analysis.specialCharacters {
            return literalBlock(text, indent: indent)
        }
        if text.isEmpty || resolvesToNonString(text) || analysis.specialCharacters || analysis.spaceBreak {
            return doubleQuoted(text)
        }
        if !analysis.blockPlainAllowed || (isKey && analysis.multiline) {
            return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        }
        return isKey ? text : folded(text, column: column, indent: indent)
    }

    /// Plain text broken at a space once the line has passed column 80, as the yaml.v2 emitter does.
    private static func folded(_ text: String, column: Int, indent: Int) -> String {
        var out = ""
        var current = column
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            if character == " ", current > 80, index + 1 < characters.count, characters[index + 1] != " ",
               index > 0, characters[index - 1] != " " {
                out += "\n" + String(repeating: " ", count: indent)
                current = indent
                continue
            }
            out.append(character)
            current += 1
        }
        return out
    }

    private static func literalBlock(_ text: String, indent: Int) -> String {
        var body = text
        var chomp = "-"
        if body.hasSuffix("\n") {
            chomp = ""
            body.removeLast()
            if body.hasSuffix("\n") {
                chomp = "+"
            }
        }
        let indicator = text.hasPrefix(" ") || text.hasPrefix("\n") ? "2" : ""
        let pad = String(repeating: " ", count: indent)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty ? "" : pad + line
        }
        return "|" + indicator + chomp + "\n" + lines.joined(separator: "\n")
    }

    private static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{0}": out += "\\0"
            case "\u{7}": out += "\\a"
            case "\u{8}": out += "\\b"
            case "\u{B}": out += "\\v"
            case "\u{C}": out += "\\f"
            case "\u{1B}": out += "\\e"
            case "\u{85}": out += "\\N"
            case "\u{A0}": out += "\\_"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(format: "%02X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: YAML 1.1 resolution (what yaml.v2 would read an unquoted string as)

    private static let specialWords: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
        "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf",
        ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
    ]

    static func resolvesToNonString(_ text: String) -> Bool {
        if specialWords.contains(text) {
            return true
        }
        guard let first = text.first, "+-.0123456789".contains(first) else {
            return false
        }
        let plain = text.replacingOccurrences(of: "_", with: "")
        if goParseInt(plain) || goParseFloat(plain) || isBase60(text) || looksLikeTimestamp(text) {
            return true
        }
        return false
    }

    private static func goParseInt(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("+") || body.hasPrefix("-") {
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { return !lower.dropFirst(2).isEmpty && lower.dropFirst(2).allSatisfy(\.isHexDigit) }
        if lower.hasPrefix("0b") {
            return !lower.dropFirst(2).isEmpty && lower.dropFirst(2).allSatisfy { "01".contains($0) }
        }
        if lower.hasPrefix("0o") {
            return !lower.dropFirst(2).isEmpty && lower.dropFirst(2).allSatisfy { "01234567".contains($0) }
        }
        return !body.isEmpty && body.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private static func goParseFloat(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("+") || body.hasPrefix("-") {
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        if ["inf", "infinity", "nan"].contains(lower) {
            return true
        }
        var sawDigit = false
        var index = lower.startIndex
        while index < lower.endIndex, lower[index].isASCII, lower[index].isNumber {
            sawDigit = true
            index = lower.index(after: index)
        }
        if index < lower.endIndex, lower[index] == "." {
            index = lower.index(after: index)
            while index < lower.endIndex, lower[index].isASCII, lower[index].isNumber {
                sawDigit = true
                index = lower.index(after: index)
            }
        }
        guard sawDigit else {
            return false
        }
        if index < lower.endIndex, lower[index] == "e" {
            index = lower.index(after: index)
            if index < lower.endIndex, lower[index] == "+" || lower[index] == "-" {
                index = lower.index(after: index)
            }
            var expDigits = false
            while index < lower.endIndex, lower[index].isASCII, lower[index].isNumber {
                expDigits = true
                index = lower.index(after: index)
            }
            guard expDigits else {
                return false
            }
        }
        return index == lower.endIndex
    }

    private static func isBase60(_ text: String) -> Bool {
        text.range(of: #"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"#, options: .regularExpression) != nil
    }

    private static func looksLikeTimestamp(_ text: String) -> Bool {
        let date = #"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"#
        let time = #"([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]*)?(Z|[+-][0-9]{2}:[0-9]{2})?)?"#
        return text.range(of: "^" + date + time + "$", options: .regularExpression) != nil
    }

    /// yaml.v2's key order: rune by rune, letters after non-letters, runs of digits compared as numbers.
    static func naturalLess(_ left: String, _ right: String) -> Bool {
        let a = Array(left.unicodeScalars)
        let b = Array(right.unicodeScalars)
        var i = 0
        while i < a.count, i < b.count {
            if a[i] == b[i] {
                i += 1
                continue
            }
            let aLetter = a[i].properties.isAlphabetic
            let bLetter = b[i].properties.isAlphabetic
            if aLetter, bLetter {
                return a[i].value < b[i].value
            }
            if aLetter || bLetter {
                return bLetter
            }
            let isDigit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
            var aEnd = i
            var bEnd = i
            var aNumber: Int64 = 0
            var bNumber: Int64 = 0
            if a[i] == "0" || b[i] == "0" {
                var j = i - 1
                while j >= 0, isDigit(a[j]) {
                    if a[j] != "0" {
                        aNumber = 1
                        bNumber = 1
                        break
                    }
                    j -= 1
                }
            }
            while aEnd < a.count, isDigit(a[aEnd]) {
                aNumber = aNumber &* 10 &+ Int64(a[aEnd].value - 48)
                aEnd += 1
            }
            while bEnd < b.count, isDigit(b[bEnd]) {
                bNumber = bNumber &* 10 &+ Int64(b[bEnd].value - 48)
                bEnd += 1
            }
            if aNumber != bNumber {
                return aNumber < bNumber
            }
            if aEnd != bEnd {
                return aEnd < bEnd
            }
            return a[i].value < b[i].value
        }
        return a.count < b.count
    }
}
