/// Durations as Vault's CLI flags take them: Go's `time.ParseDuration` syntax ("1h30m", "90s", "1.5h") or a bare
/// number of seconds, re-encoded with Go's `Duration.String()` before they are sent ("1h0m0s").
enum GoDuration {
    private static let units: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// Nanoseconds, or `nil` when `text` is not a duration.
    static func parse(_ text: String) -> Int64? {
        if let seconds = Int64(text) {
            return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? nil : seconds * 1_000_000_000
        }
        var rest = Substring(text)
        var sign: Double = 1
        if rest.hasPrefix("-") || rest.hasPrefix("+") {
            sign = rest.hasPrefix("-") ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" {
            return 0
        }
        guard !rest.isEmpty else {
            return nil
        }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else {
                return nil
            }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else {
                return nil
            }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        let nanoseconds = sign * total
        guard nanoseconds.magnitude < 9.2e18 else {
            return nil
        }
        return Int64(nanoseconds)
    }

    /// Go's `Duration.String()` for whole seconds and above ("0s", "1m30s", "1h0m0s"); sub-second parts are
    /// rounded down, which is all a TTL can use.
    static func string(nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        if seconds == 0 {
            return "0s"
        }
        let sign = seconds < 0 ? "-" : ""
        let magnitude = seconds.magnitude
        let hours = magnitude / 3600
        let minutes = (magnitude % 3600) / 60
        let secs = magnitude % 60
        if hours > 0 {
            return "\(sign)\(hours)h\(minutes)m\(secs)s"
        }
        if minutes > 0 {
            return "\(sign)\(minutes)m\(secs)s"
        }
        return "\(sign)\(secs)s"
    }

    /// Validates a duration flag and returns it in Go's form, or the error `vault` prints for it (exit 1).
    static func flag(_ name: String, _ value: String) throws(CLIError) -> String {
        guard let nanoseconds = parse(value) else {
            throw .usage("invalid value \"\(value)\" for flag -\(name): time: invalid duration \"\(value)\"")
        }
        return string(nanoseconds: nanoseconds)
    }
}
