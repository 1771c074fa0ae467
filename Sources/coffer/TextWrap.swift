/// Greedy word wrapping for the CLI's explanatory paragraphs, at Vault's 78 columns.
enum TextWrap {
    static func wrap(_ text: String, width: Int = 78, padding: Int = 0) -> String {
        let limit = max(1, width - padding)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= limit {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
        let pad = String(repeating: " ", count: padding)
        return lines.map { pad + $0 }.joined(separator: "\n")
    }
}
