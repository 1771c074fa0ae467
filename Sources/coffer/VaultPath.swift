/// API paths as the Vault CLI cleans them before use: surrounding whitespace and leading/trailing slashes removed.
enum VaultPath {
    static func sanitize(_ path: String) -> String {
        var text = Substring(path.trimmingWhitespace())
        while text.hasPrefix("/") {
            text = text.dropFirst()
        }
        while text.hasSuffix("/") {
            text = text.dropLast()
        }
        return String(text)
    }
}
