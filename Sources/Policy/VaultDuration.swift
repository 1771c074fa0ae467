/// Reads durations the way Vault's `ParseDurationSecond` does: a bare integer is seconds, otherwise a Go
/// duration (`1h30m`, `1.5h`, `300ms`) with `d` also accepted for days. Negative durations are refused.
enum VaultDuration {
    static func parse(_ raw: String) -> Duration? {
        let text = raw.trimmingCharacters(in: " \t")
        if text.isEmpty { return .zero }
        if let seconds = Int(text) { return seconds >= 0 ? .seconds(seconds) : nil }
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
            ("d", 86_400e9),
        ]
        var rest = Substring(text)
        if rest.hasPrefix("+") { rest = rest.dropFirst() }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let magnitude = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += magnitude * unit.nanoseconds
        }
        guard total.isFinite, total < 9.2e18 else { return nil }
        return .nanoseconds(Int64(total))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        guard let first = firstIndex(where: { !characters.contains($0) }),
              let last = lastIndex(where: { !characters.contains($0) }) else { return "" }
        return String(self[first...last])
    }
}
