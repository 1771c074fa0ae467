/// Durations as Vault's API accepts them: an integer number of seconds, or a Go
/// duration string ("90s", "1h30m", "1.5h", "500ms"). Answers whole seconds.
public enum DurationValue {
    /// Parses a request field; nil or null gives nil.
    public static func seconds(_ value: JSONValue?, field: String) throws(CoreError) -> Int64? {
        switch value {
        case nil, .null?:
            return nil
        case .int(let seconds)?:
            guard seconds >= 0 else { throw CoreError.badRequest("\(field) must not be negative") }
            return seconds
        case .double(let seconds)?:
            guard seconds >= 0, seconds < 1e15 else { throw CoreError.badRequest("invalid \(field)") }
            return Int64(seconds)
        case .string(let text)?:
            if text.isEmpty { return 0 }
            if let plain = Int64(text) {
                guard plain >= 0 else { throw CoreError.badRequest("\(field) must not be negative") }
                return plain
            }
            guard let parsed = parseGo(text) else {
                throw CoreError.badRequest("error parsing \(field): time: invalid duration \"\(text)\"")
            }
            return parsed
        case let other?:
            throw CoreError.badRequest("\(field) must be a duration, not a \(other.typeName)")
        }
    }

    /// Go's `time.ParseDuration`, to whole seconds (fractions truncated). Nil when
    /// malformed or beyond Go's range (about 292 years).
    public static func parseGo(_ text: String) -> Int64? {
        var characters = Substring(text)
        var negative = false
        if characters.first == "-" || characters.first == "+" {
            negative = characters.first == "-"
            characters = characters.dropFirst()
        }
        if characters == "0" { return 0 }
        guard !characters.isEmpty else { return nil }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var total = 0.0
        while !characters.isEmpty {
            let number = characters.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            characters = characters.dropFirst(number.count)
            let unitText = characters.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            characters = characters.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total < 9.2e9 else { return nil }
        return negative ? nil : Int64(total)
    }
}
