import Foundation

/// The answer of `sys/key-status`: the active barrier key's term, install time and encryption count.
struct KeyStatus: Sendable {
    var raw: JSONObject

    var term: Int { raw["term"]?.intValue ?? 0 }

    /// Fetches the current key status.
    static func fetch(_ client: VaultClient) async throws(CLIError) -> KeyStatus {
        do {
            return KeyStatus(raw: try await client.send("GET", "sys/key-status")?.objectValue ?? JSONObject())
        } catch {
            throw .request("Error reading key status: \(error)")
        }
    }

    /// `{"term", "install_time", "encryptions"}` as the Go client re-encodes it.
    func jsonValue() -> JSONValue {
        .object(JSONObject([
            ("term", raw["term"] ?? .number("0")),
            ("install_time", raw["install_time"] ?? .string("0001-01-01T00:00:00Z")),
            ("encryptions", raw["encryptions"] ?? .number("0")),
        ]))
    }

    /// The three-line table, install time in Go's RFC 822 layout ("02 Jan 06 15:04 UTC").
    func table() -> String {
        Table(rows: [
            ["Key Term", String(term)],
            ["Install Time", Self.rfc822(raw["install_time"]?.stringValue ?? "")],
            ["Encryption Count", GoValueFormat.verbV(raw["encryptions"] ?? .number("0"))],
        ]).render()
    }

    private static func rfc822(_ text: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let trimmed = Self.trimFraction(text)
        guard let date = parser.date(from: trimmed) ?? plain.date(from: text) else {
            return text
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yy HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// ISO8601DateFormatter accepts at most millisecond fractions; the server sends nanoseconds.
    private static func trimFraction(_ text: String) -> String {
        guard let dot = text.firstIndex(of: ".") else {
            return text
        }
        let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
        let rest = text[text.index(dot, offsetBy: digits.count + 1)...]
        return String(text[..<dot]) + "." + String(digits.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0)
            + rest
    }
}
