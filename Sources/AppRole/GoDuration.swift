/// Durations as OpenBao's field decoder reads and writes them: a number of seconds, or a
/// Go duration string such as "90s", "1h30m" or "1.5h". Pure functions, no state.
enum GoDuration {
    /// Why a duration string was refused, worded as Go's `time.ParseDuration` words it.
    struct ParseError: Error, Equatable {
        var message: String
    }

    private static let nanosecondsPerUnit: [String: Double] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// Seconds in `text`, truncated towards zero: a plain integer is seconds, anything
    /// else must be a Go duration string.
    static func seconds(from text: String) throws(ParseError) -> Int64 {
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { return 0 }
        if let plain = Int64(trimmed) { return plain }
        let nanoseconds = try parse(trimmed)
        return Int64((nanoseconds / 1_000_000_000).rounded(.towardZero))
    }

    /// Go's `time.ParseDuration`, answering nanoseconds.
    private static func parse(_ original: String) throws(ParseError) -> Double {
        let invalid = ParseError(message: "time: invalid duration \"\(original)\"")
        var scalars = Substring(original)
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        if scalars == "0" { return 0 }
        if scalars.isEmpty { throw invalid }
        var total = 0.0
        while !scalars.isEmpty {
            let number = scalars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                let value = Double(number.hasPrefix(".") ? "0" + number : String(number))
            else { throw invalid }
            scalars = scalars.dropFirst(number.count)
            let unit = scalars.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            if unit.isEmpty {
                throw ParseError(message: "time: missing unit in duration \"\(original)\"")
            }
            guard let scale = nanosecondsPerUnit[String(unit)] else {
                throw ParseError(message: "time: unknown unit \"\(unit)\" in duration \"\(original)\"")
            }
            scalars = scalars.dropFirst(unit.count)
            total += value * scale
        }
        return negative ? -total : total
    }

    /// Go's `time.Duration.String()` for a whole number of seconds ("1h0m0s", "90s" ->
    /// "1m30s", 0 -> "0s"), used in messages that quote durations.
    static func string(seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        let sign = seconds < 0 ? "-" : ""
        let magnitude = seconds.magnitude
        let hours = magnitude / 3600
        let minutes = (magnitude % 3600) / 60
        let rest = magnitude % 60
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(rest)s" }
        if minutes > 0 { return "\(sign)\(minutes)m\(rest)s" }
        return "\(sign)\(rest)s"
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (Go's `strings.TrimSpace`
    /// for the inputs that matter here), without Foundation.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
