/// One change in an atomic batch.
public enum StorageOperation: Sendable, Equatable {
    case put(key: String, value: [UInt8])
    case delete(key: String)

    /// The key the operation touches.
    public var key: String {
        switch self {
        case .put(let key, _), .delete(let key): key
        }
    }
}

/// A key-value store addressed by slash-separated paths, the seam every layer above
/// storage is written against.
///
/// Guarantees every implementation gives:
/// - A `put`, `delete` or `batch` that returns has been made durable by the
///   implementation's own rule (LMDB: committed and fsync'd; replicated: committed by a
///   quorum and applied locally). A call that throws may or may not have taken effect
///   only for implementations that say so (replicated storage during failover).
/// - `batch` is atomic: every operation or none is visible to later reads.
/// - Reads after a returned write see it (read-your-writes on one instance).
/// - `list(prefix:)` returns, sorted, the names directly below `prefix`: a key
///   `prefix + "a"` gives `"a"`, keys under `prefix + "b/"` give `"b/"` once. This is
///   the shape of Vault's LIST.
public protocol Storage: Sendable {
    func get(_ key: String) async throws -> [UInt8]?
    func put(_ key: String, _ value: [UInt8]) async throws
    func delete(_ key: String) async throws
    func list(prefix: String) async throws -> [String]
    func batch(_ operations: [StorageOperation]) async throws
}
