import Linearizability

/// The replicated state machine of the simulation: string registers, applied in log order.
struct KeyValueStore: Hashable, Sendable {
    private(set) var values: [String: String] = [:]

    init() {}

    mutating func apply(_ input: KeyValueModel.Input) -> KeyValueModel.Output {
        switch input {
        case .put(let key, let value):
            values[key] = value
            return .ok
        case .get(let key):
            return .value(values[key])
        case .compareAndSet(let key, let expected, let new):
            guard values[key] == expected else { return .swapped(false) }
            values[key] = new
            return .swapped(true)
        }
    }

    func get(_ key: String) -> String? { values[key] }

    /// A canonical encoding (sorted by key), used both as snapshot data and as a state digest.
    func encoded() -> [UInt8] {
        let text = values.keys.sorted().map { "\($0)\u{1F}\(values[$0] ?? "")" }.joined(separator: "\u{1E}")
        return Array(text.utf8)
    }

    init?(decoding bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        for record in String(decoding: bytes, as: UTF8.self).split(separator: "\u{1E}") {
            let parts = record.split(separator: "\u{1F}", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            values[String(parts[0])] = String(parts[1])
        }
    }
}
