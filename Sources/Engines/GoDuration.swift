import Core

/// Durations the way OpenBao reads and prints them: Go's `time.ParseDuration` and
/// `time.Duration.String()`, and go-secure-stdlib's `ParseDurationSecond` (a bare number
/// is seconds, a `d` suffix is days). Pure functions, no state.
public enum GoDuration {
    /// Go's `Duration.String()` for a whole number of seconds: `0s`, `45s`, `1m30s`,
    /// `1h0m0s`, `-1s`.
    public static func format(seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        let sign = seconds < 0 ? "-" : ""
        let magnitude = seconds.magnitude
        let hours = magnitude / 3600
        let minutes = magnitude % 3600 / 60
        let rest = magnitude % 60
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(rest)s" }
        if minutes > 0 { return "\(sign)\(minutes)m\(rest)s" }
        return "\(sign)\(rest)s"
    }

    /// `ParseDurationSecond` on a JSON value; the result is in nanoseconds. The error
    /// text is Go's.
    public static func parseSeconds(_ value: JSONValue) -> Result<Int64, FieldError> {
        switch value {
        case .null:
            return .success(0)
        case .int(let number):
            return multiply(number, by: 1_000_000_000)
        case .double(let number):
            guard number.rounded(.towardZero) == number, let whole = Int64(exactly: number) else {
                return parseString(String(number))
            }
            return multiply(whole, by: 1_000_000_000)
        case .string(let text):
            return parseString(text)
        case .bool, .array, .object:
            return .failure(FieldError("could not parse duration from input"))
        }
    }

    private static func parseString(_ text: String) -> Result<Int64, FieldError> {
        if text.isEmpty { return .success(0) }
        if let whole = Int64(text) { return multiply(whole, by: 1_000_000_000) }
        if text.hasSuffix("d") {
            guard let days = Int64(text.dropLast()) else {
                return .failure(FieldError("strconv.ParseInt: parsing \"\(text.dropLast())\": invalid syntax"))
            }
            return multiply(days, by: 86_400 * 1_000_000_000)
        }
        return parse(text)
    }

    private static func multiply(_ value: Int64, by factor: Int64) -> Result<Int64, FieldError> {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? .failure(FieldError("multiplication overflow")) : .success(product)
    }

    /// Go's `time.ParseDuration`, in nanoseconds.
    public static func parse(_ original: String) -> Result<Int64, FieldError> {
        let invalid = FieldError("time: invalid duration \"\(original)\"")
        var text = Substring(original)
        var negative = false
        if let first = text.first, first == "-" || first == "+" {
            negative = first == "-"
            text = text.dropFirst()
        }
        if text == "0" { return .success(0) }
        if text.isEmpty { return .failure(invalid) }
        var total: Double = 0
        while !text.isEmpty {
            let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return .failure(invalid) }
            text = text.dropFirst(number.count)
            let unit = text.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            text = text.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "": return .failure(FieldError("time: missing unit in duration \"\(original)\""))
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1_000
            case "ms": scale = 1_000_000
            case "s": scale = 1_000_000_000
            case "m": scale = 60 * 1_000_000_000
            case "h": scale = 3600 * 1_000_000_000
            default: return .failure(FieldError("time: unknown unit \"\(unit)\" in duration \"\(original)\""))
            }
            total += value * scale
        }
        guard total < 9.223372036854775e18 else { return .failure(invalid) }
        let nanos = Int64(total.rounded(.towardZero))
        return .success(negative ? -nanos : nanos)
    }
}
