import Dispatch
import LMDB

/// ``Storage`` in one named database of an LMDB environment; keys are the UTF-8 bytes of
/// the path (at most ``StorageKey/maximumLength`` bytes, never empty).
///
/// Durability: a `put`, `delete` or `batch` that returns has been committed in one LMDB
/// write transaction and fsync'd (unless the environment was opened with `.noSync`).
/// `batch` is one transaction, so it is all-or-nothing, also across a crash.
///
/// Thread-safety: `Sendable`; any number of tasks may call it at once. Reads run on the
/// caller's thread in their own read transaction (a consistent snapshot, concurrent with
/// writes). Writes are queued on a private serial dispatch queue so that the blocking
/// commit and fsync never occupy Swift's cooperative threads; they apply in the order
/// they reach the queue.
public final class LMDBStorage: Storage {
    /// The environment holding the data; shared with other users of the same directory.
    public let environment: Environment
    /// The database this storage reads and writes.
    public let database: Database
    private let writeQueue = DispatchQueue(label: "coffer.storage.lmdb.write")

    /// Opens (creating if needed) the environment at `path` and its database `databaseName`.
    public convenience init(
        path: String,
        configuration: Environment.Configuration = Environment.Configuration(),
        databaseName: String = "coffer"
    ) throws {
        try self.init(environment: Environment(path: path, configuration: configuration), databaseName: databaseName)
    }

    /// Uses database `databaseName` (created if needed) in an open environment.
    public init(environment: Environment, databaseName: String = "coffer") throws {
        self.environment = environment
        self.database = try environment.openDatabase(databaseName, create: true)
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try StorageKey.validate(key)
        return try environment.read { transaction in
            try transaction.get(Array(key.utf8), in: database)
        }
    }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        try StorageKey.validate(key)
        try await onWriteQueue {
            try self.environment.write { transaction in
                try transaction.put(Array(key.utf8), value, in: self.database)
            }
        }
    }

    public func delete(_ key: String) async throws {
        try StorageKey.validate(key)
        try await onWriteQueue {
            try self.environment.write { transaction in
                _ = try transaction.delete(Array(key.utf8), in: self.database)
            }
        }
    }

    public func list(prefix: String) async throws -> [String] {
        let prefixBytes = Array(prefix.utf8)
        return try environment.read { transaction in
            try transaction.withCursor(on: database) { cursor in
                var names = [String]()
                var key = try cursor.seekKey(atLeast: prefixBytes)
                while let current = key, current.starts(with: prefixBytes) {
                    let rest = current[prefixBytes.count...]
                    if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                        names.append(String(decoding: rest[...slash], as: UTF8.self))
                        // Skip the whole "dir/" subtree: '0' is the byte after '/'.
                        key = try cursor.seekKey(atLeast: Array(current[..<slash]) + [UInt8(ascii: "0")])
                    } else {
                        if !rest.isEmpty { names.append(String(decoding: rest, as: UTF8.self)) }
                        key = try cursor.nextKey()
                    }
                }
                return names
            }
        }
    }

    public func batch(_ operations: [StorageOperation]) async throws {
        for operation in operations { try StorageKey.validate(operation.key) }
        guard !operations.isEmpty else { return }
        try await onWriteQueue {
            try self.environment.write { transaction in
                for operation in operations {
                    switch operation {
                    case .put(let key, let value): try transaction.put(Array(key.utf8), value, in: self.database)
                    case .delete(let key): try transaction.delete(Array(key.utf8), in: self.database)
                    }
                }
            }
        }
    }

    private func onWriteQueue(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writeQueue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
