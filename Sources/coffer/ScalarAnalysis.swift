/// What the yaml.v2 emitter learns about a string before choosing its style: whether it may be written plain in
/// block context, whether it needs escapes, whether it spans lines.
struct ScalarAnalysis {
    var blockPlainAllowed = true
    var specialCharacters = false
    var spaceBreak = false
    var multiline = false

    init(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else {
            blockPlainAllowed = false
            return
        }
        if text.hasPrefix("---") || text.hasPrefix("...") {
            blockPlainAllowed = false
        }
        var previousWasSpace = false
        var previousWasBreak = false
        var precededByWhitespace = true
        for (index, scalar) in scalars.enumerated() {
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            let followedByWhitespace = next == nil || next == " " || next == "\t" || next == "\n" || next == "\r"
            if index == 0 {
                if "#,[]{}&*!|>'\"%@`".unicodeScalars.contains(scalar) {
                    blockPlainAllowed = false
                }
                if (scalar == "?" || scalar == ":" || scalar == "-"), followedByWhitespace {
                    blockPlainAllowed = false
                }
            } else {
                if scalar == ":", followedByWhitespace {
                    blockPlainAllowed = false
                }
                if scalar == "#", precededByWhitespace {
                    blockPlainAllowed = false
                }
            }
            if !Self.isPrintable(scalar) {
                specialCharacters = true
            }
            let isSpace = scalar == " "
            let isBreak = scalar == "\n" || scalar == "\r"
            if isSpace {
                if index == 0 || index == scalars.count - 1 {
                    blockPlainAllowed = false
                }
                if previousWasBreak {
                    spaceBreak = true
                }
            } else if isBreak {
                multiline = true
                blockPlainAllowed = false
                if previousWasSpace {
                    spaceBreak = true
                }
                if index == 0 || index == scalars.count - 1 {
                    blockPlainAllowed = false
                }
            }
            previousWasSpace = isSpace
            previousWasBreak = isBreak
            precededByWhitespace = isSpace || isBreak || scalar == "\t"
        }
    }

    /// yaml.v2's `is_printable` with unicode output enabled.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF:
            return scalar.value != 0xFEFF
        default:
            return false
        }
    }
}
