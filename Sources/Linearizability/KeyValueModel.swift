/// A key-value store of string registers with put, get and compare-and-set, checked one key at a time.
/// Every key starts absent (nil).
public struct KeyValueModel: Model {
    public enum Input: Hashable, Sendable {
        case put(key: String, value: String)
        case get(key: String)
        /// Sets `key` to `new` if its current value is `expected` (nil: absent).
        case compareAndSet(key: String, expected: String?, new: String)

        public var key: String {
            switch self {
            case .put(let key, _), .get(let key), .compareAndSet(let key, _, _): return key
            }
        }
    }

    public enum Output: Hashable, Sendable {
        case ok
        case value(String?)
        case swapped(Bool)
    }

    public init() {}

    /// The value of the single key of a partition.
    public var initialState: String? { nil }

    public func step(_ state: String?, _ input: Input, _ output: Output?) -> String?? {
        switch input {
        case .put(_, let value):
            guard output == nil || output == .ok else { return .none }
            return .some(value)
        case .get:
            guard let output else { return .some(state) }
            return output == .value(state) ? .some(state) : .none
        case .compareAndSet(_, let expected, let new):
            let swaps = state == expected
            guard let output else { return .some(swaps ? new : state) }
            guard output == .swapped(swaps) else { return .none }
            return .some(swaps ? new : state)
        }
    }

    /// One partition per key. Reads with unknown outcome are dropped: they cannot affect any other operation.
    public func partition(_ history: [Operation<Input, Output>]) -> [[Operation<Input, Output>]] {
        var byKey: [String: [Operation<Input, Output>]] = [:]
        var order: [String] = []
        for operation in history {
            if case .get = operation.input, operation.isIndeterminate { continue }
            let key = operation.input.key
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(operation)
        }
        return order.compactMap { byKey[$0] }
    }
}
