/// A ``Storage`` that confines its user to the keys below a fixed prefix of another
/// storage, such as an engine's `logical/<uuid>/`.
///
/// Every key is prefixed on the way down; `list` names are relative to the listed
/// prefix, so they come back without the view's prefix. A view can reach no key outside
/// its prefix. Keys given to a view must be non-empty (as for every driver here). It
/// holds no state of its own and inherits the durability, atomicity and thread-safety of
/// the storage it wraps.
public struct StorageView: Storage {
    /// The storage this view forwards to.
    public let base: any Storage
    /// Prepended to every key; normally ends in `/`.
    public let prefix: String

    public init(_ base: any Storage, prefix: String) {
        if let inner = base as? StorageView {
            self.base = inner.base
            self.prefix = inner.prefix + prefix
        } else {
            self.base = base
            self.prefix = prefix
        }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try StorageKey.validate(key)
        return try await base.get(prefix + key)
    }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        try StorageKey.validate(key)
        try await base.put(prefix + key, value)
    }

    public func delete(_ key: String) async throws {
        try StorageKey.validate(key)
        try await base.delete(prefix + key)
    }

    public func list(prefix listPrefix: String) async throws -> [String] {
        try await base.list(prefix: prefix + listPrefix)
    }

    public func batch(_ operations: [StorageOperation]) async throws {
        try await base.batch(scoped(operations))
    }

    /// `operations` with this view's prefix on every key: what `batch` hands to `base`. For a caller that
    /// joins the writes of several views over one base into a single atomic `base.batch`.
    public func scoped(_ operations: [StorageOperation]) throws -> [StorageOperation] {
        for operation in operations { try StorageKey.validate(operation.key) }
        return operations.map { operation -> StorageOperation in
            switch operation {
            case .put(let key, let value): .put(key: prefix + key, value: value)
            case .delete(let key): .delete(key: prefix + key)
            }
        }
    }
}

extension Storage {
    /// A view of this storage confined to the keys below `prefix`.
    public func view(prefix: String) -> StorageView {
        StorageView(self, prefix: prefix)
    }
}
