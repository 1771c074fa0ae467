import Linearizability

/// A client write as carried in a Raft entry: the operation id (unique per run) and the input.
/// Encoded as text fields separated by 0x1F; keys and values in the simulator never contain that byte.
struct KeyValueCommand: Hashable, Sendable {
    var operationID: UInt64
    var input: KeyValueModel.Input

    func encoded() -> [UInt8] {
        let fields: [String]
        switch input {
        case .put(let key, let value): fields = ["P", key, value]
        case .get(let key): fields = ["G", key]
        case .compareAndSet(let key, let expected, let new):
            fields = ["C", key, expected.map { "=" + $0 } ?? "-", new]
        }
        return Array((["\(operationID)"] + fields).joined(separator: "\u{1F}").utf8)
    }

    init(operationID: UInt64, input: KeyValueModel.Input) {
        self.operationID = operationID
        self.input = input
    }

    init?(decoding bytes: [UInt8]) {
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: "\u{1F}", omittingEmptySubsequences: false)
            .map(String.init)
        guard fields.count >= 3, let id = UInt64(fields[0]) else { return nil }
        operationID = id
        switch (fields[1], fields.count) {
        case ("P", 4): input = .put(key: fields[2], value: fields[3])
        case ("G", 3): input = .get(key: fields[2])
        case ("C", 5):
            let expected: String? = fields[3] == "-" ? nil : String(fields[3].dropFirst())
            input = .compareAndSet(key: fields[2], expected: expected, new: fields[4])
        default: return nil
        }
    }
}
