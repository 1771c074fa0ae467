/// An in-memory ``Storage`` with the same semantics as `LMDBStorage`: keys are compared
/// as UTF-8 bytes (no Unicode normalisation), the same key rules apply, `list` is sorted
/// by UTF-8 bytes, and `batch` is all-or-nothing.
///
/// Durability: none; contents live as long as the instance. Thread-safety: an actor, so
/// every operation is serialised; a returned write is visible to every later call.
public actor MemoryStorage: Storage {
    private var entries: [[UInt8]: [UInt8]] = [:]

    public init() {}

    public func get(_ key: String) throws -> [UInt8]? {
        try StorageKey.validate(key)
        return entries[Array(key.utf8)]
    }

    public func put(_ key: String, _ value: [UInt8]) throws {
        try StorageKey.validate(key)
        entries[Array(key.utf8)] = value
    }

    public func delete(_ key: String) throws {
        try StorageKey.validate(key)
        entries[Array(key.utf8)] = nil
    }

    public func list(prefix: String) -> [String] {
        let prefixBytes = Array(prefix.utf8)
        return StorageKey.children(of: entries.keys.filter { $0.starts(with: prefixBytes) }, prefix: prefixBytes)
    }

    public func batch(_ operations: [StorageOperation]) throws {
        // Validate everything first so a bad operation leaves no partial batch behind.
        for operation in operations { try StorageKey.validate(operation.key) }
        for operation in operations {
            switch operation {
            case .put(let key, let value): entries[Array(key.utf8)] = value
            case .delete(let key): entries[Array(key.utf8)] = nil
            }
        }
    }

    /// Every key and value, for tests that inspect what a layer above wrote.
    public func snapshot() -> [String: [UInt8]] {
        var result = [String: [UInt8]]()
        for (key, value) in entries { result[String(decoding: key, as: UTF8.self)] = value }
        return result
    }
}
