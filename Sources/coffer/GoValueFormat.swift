import Foundation

/// Renders values the way Vault's Go CLI prints them in tables and with `-field`: Go's `%v` verb for decoded
/// JSON (`map[k:v]`, `[a b]`, `<nil>`) and `time.Duration` strings for TTL-like fields.
enum GoValueFormat {
    /// Go's `fmt.Sprintf("%v", value)` for a value decoded with `json.Decoder.UseNumber()`.
    static func verbV(_ value: JSONValue) -> String {
        switch value {
        case .null:
            return "<nil>"
        case .bool(let flag):
            return flag ? "true" : "false"
        case .number(let text):
            return text
        case .string(let text):
            return text
        case .array(let items):
            return "[" + items.map(verbV).joined(separator: " ") + "]"
        case .object(let object):
            return "map[" + object.sortedMembers.map { "\($0.key):\(verbV($0.value))" }.joined(separator: " ") + "]"
        }
    }

    /// Go's `%q` for a `[]string`: `["a" "b"]`.
    static func quotedList(_ items: [String]) -> String {
        "[" + items.map { GoJSON.compact(.string($0)) }.joined(separator: " ") + "]"
    }

    /// Vault's `humanDuration`: Go's `time.Duration.String()` of whole seconds without trailing zero units
    /// ("1m" rather than "1m0s", "768h" rather than "768h0m0s").
    static func humanDuration(seconds: Int) -> String {
        if seconds == 0 {
            return "0s"
        }
        let sign = seconds < 0 ? "-" : ""
        let magnitude = seconds.magnitude
        let hours = magnitude / 3600
        let minutes = (magnitude % 3600) / 60
        let secs = magnitude % 60
        var text: String
        if hours > 0 {
            text = "\(hours)h\(minutes)m\(secs)s"
        } else if minutes > 0 {
            text = "\(minutes)m\(secs)s"
        } else {
            text = "\(secs)s"
        }
        if text.hasSuffix("m0s") {
            text.removeLast(2)
        }
        if let range = text.range(of: "h0m"), range.lowerBound > text.startIndex {
            text.replaceSubrange(range, with: "h")
        }
        return sign + text
    }

    /// Vault's `humanDurationInt`: a whole-number value as a duration, anything else unchanged.
    static func humanDuration(_ value: JSONValue) -> String {
        if let seconds = value.intValue {
            return humanDuration(seconds: seconds)
        }
        return verbV(value)
    }

    /// Whether Vault's table output shows a data field as a duration (`ttl`, `*_ttl`, `period`, ...).
    static func looksLikeDuration(_ key: String) -> Bool {
        key == "period" || key.hasSuffix("_period") || key == "ttl" || key.hasSuffix("_ttl")
            || key == "duration" || key.hasSuffix("_duration") || key == "lease_max" || key == "ttl_max"
    }

    /// Go's `time.Time.String()` for an RFC 3339 timestamp from the server
    /// ("2026-11-22 08:50:04.930519081 +0000 UTC"); the input unchanged if it does not parse.
    static func goTimeString(rfc3339 text: String) -> String {
        guard let tIndex = text.firstIndex(of: "T") else {
            return text
        }
        let date = text[..<tIndex]
        var rest = text[text.index(after: tIndex)...]
        var zone = "+0000 UTC"
        if rest.hasSuffix("Z") {
            rest = rest.dropLast()
        } else if let signIndex = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = rest[signIndex...].replacingOccurrences(of: ":", with: "")
            zone = "\(offset) \(offset)"
            rest = rest[..<signIndex]
        }
        var clock = String(rest)
        if let dot = clock.firstIndex(of: ".") {
            let fraction = clock[clock.index(after: dot)...]
            let trimmed = fraction.reversed().drop { $0 == "0" }.reversed()
            clock = String(clock[..<dot]) + (trimmed.isEmpty ? "" : "." + String(trimmed))
        }
        return "\(date) \(clock) \(zone)"
    }
}
