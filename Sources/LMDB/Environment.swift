import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open LMDB environment: one directory holding `data.mdb` and `lock.mdb`.
///
/// Durability: unless ``Flags/noSync`` is set (it is not by default), a write transaction
/// that returns has been committed and fsync'd.
///
/// Thread-safety: an `Environment` may be shared freely between threads and tasks.
/// - Write transactions run one at a time: ``write(_:)`` blocks the calling thread until
///   any other write in this process has finished. The transaction lives only inside the
///   synchronous closure, so it is begun, used and ended on one thread, as LMDB requires.
/// - Read transactions (opened with `MDB_NOTLS`) run concurrently with each other and
///   with the writer, each seeing a consistent snapshot.
/// - Growing the map takes an exclusive lock, so it waits for open transactions of this
///   process to end and holds new ones back for its duration (`mdb_env_set_mapsize`
///   requires that no transaction is open).
/// - Do not open a transaction inside another one's closure (a read inside a write, or a
///   write inside a read): nested transactions are not supported.
///
/// The C handle is closed when the environment is deinitialised; transactions retain the
/// environment for their duration, so it cannot be closed under them.
public final class Environment: @unchecked Sendable {
    // @unchecked: `handle` is an LMDB environment, which LMDB documents as thread-safe
    // for the use this class makes of it; the only state we add is guarded by
    // `writeLock` (one writer at a time) and `mapLock` (map resizing vs. transactions).

    /// Options for ``Environment/init(path:configuration:)``.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Open read-only; no writes.
        public static let readOnly = Flags(rawValue: UInt32(MDB_RDONLY))
        /// Do not fsync on commit: a crash may lose (but not corrupt) recent commits.
        /// Never set by default; for tests and bulk loads only.
        public static let noSync = Flags(rawValue: UInt32(MDB_NOSYNC))
        /// Write through a writable memory map (`MDB_WRITEMAP`): a write transaction's dirty pages live in the
        /// file-backed map instead of the heap, so a transaction that rewrites the whole store (a snapshot
        /// restore) does not hold a heap copy of it, at the price of a page fault per first write to a flushed
        /// page; `NodeStore` measured that price and does not set it. No nested transactions with this flag.
        public static let writeMap = Flags(rawValue: UInt32(MDB_WRITEMAP))
        /// Turn off OS read-ahead (useful when the database is larger than RAM).
        public static let noReadAhead = Flags(rawValue: UInt32(MDB_NORDAHEAD))
    }

    /// How to open an environment.
    public struct Configuration: Sendable {
        /// The initial map size in bytes (the most the data file can hold before the map
        /// grows). Rounded up by LMDB to a multiple of the page size.
        public var mapSize: Int
        /// The largest map size automatic growth may reach; a write that needs more
        /// fails with ``LMDBError/mapFull(mapSize:maximumMapSize:)``.
        public var maximumMapSize: Int
        /// How many named databases the environment may hold.
        public var maxDatabases: Int
        /// How many read transactions may be open at once.
        public var maxReaders: Int
        /// Mode for `data.mdb` and `lock.mdb` (before the umask).
        public var fileMode: mode_t
        public var flags: Flags

        public init(
            mapSize: Int = 64 << 20,
            maximumMapSize: Int = 64 << 30,
            maxDatabases: Int = 16,
            maxReaders: Int = 126,
            fileMode: mode_t = 0o600,
            flags: Flags = []
        ) {
            self.mapSize = mapSize
            self.maximumMapSize = max(mapSize, maximumMapSize)
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.fileMode = fileMode
            self.flags = flags
        }
    }

    let handle: OpaquePointer
    /// The directory holding the data files.
    public let path: String
    /// The configuration the environment was opened with.
    public let configuration: Configuration
    /// The largest key LMDB accepts in this environment, in bytes (511 by default).
    public let maxKeySize: Int

    private let writeLock = NSLock()
    private let mapLock = ReadWriteLock()

    /// Opens (creating if needed) the environment in directory `path`.
    ///
    /// A missing directory is created, with its missing parents, with mode 0700; the data
    /// files are created with ``Configuration/fileMode`` (0600 by default). Stale reader
    /// slots left by dead processes are cleared.
    public init(path: String, configuration: Configuration = Configuration()) throws(LMDBError) {
        try Self.prepareDirectory(path, create: !configuration.flags.contains(.readOnly))
        var environment: OpaquePointer?
        try LMDBError.check(mdb_env_create(&environment), "mdb_env_create")
        guard let environment else { throw .mdb(code: EINVAL, operation: "mdb_env_create") }
        do {
            try LMDBError.check(mdb_env_set_mapsize(environment, configuration.mapSize), "mdb_env_set_mapsize")
            try LMDBError.check(
                mdb_env_set_maxdbs(environment, MDB_dbi(clamping: configuration.maxDatabases)), "mdb_env_set_maxdbs")
            try LMDBError.check(
                mdb_env_set_maxreaders(environment, UInt32(clamping: configuration.maxReaders)),
                "mdb_env_set_maxreaders")
            let flags = configuration.flags.rawValue | UInt32(MDB_NOTLS)
            try LMDBError.check(mdb_env_open(environment, path, flags, configuration.fileMode), "mdb_env_open")
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(environment, &dead), "mdb_reader_check")
        } catch {
            mdb_env_close(environment)
            throw error
        }
        self.handle = environment
        self.path = path
        self.configuration = configuration
        self.maxKeySize = Int(mdb_env_get_maxkeysize(environment))
    }

    deinit {
        mdb_env_close(handle)
    }

    /// The current size of the memory map, in bytes.
    public var mapSize: Int {
        mapLock.withSharedLock {
            var info = MDB_envinfo()
            mdb_env_info(handle, &info)
            return info.me_mapsize
        }
    }

    /// Opens a named database (or the main one for `nil`), creating it when `create` is
    /// true and the environment is writable. The handle stays valid while the environment
    /// is open; open each database once and keep the handle.
    public func openDatabase(_ name: String?, create: Bool = true) throws -> Database {
        // mdb_dbi_open must not run concurrently with itself: take the write lock either way.
        if configuration.flags.contains(.readOnly) || !create {
            writeLock.lock()
            defer { writeLock.unlock() }
            return try mapLock.withSharedLock { () throws(LMDBError) -> Database in
                let txn = try begin(readOnly: true)
                var dbi = MDB_dbi()
                let code = mdb_dbi_open(txn, name, 0, &dbi)
                guard code == MDB_SUCCESS else {
                    mdb_txn_abort(txn)
                    throw .mdb(code: code, operation: "mdb_dbi_open")
                }
                // Committing a read transaction keeps the new handle open.
                try LMDBError.check(mdb_txn_commit(txn), "mdb_txn_commit")
                return Database(dbi: dbi, name: name)
            }
        }
        return try write { transaction in
            var dbi = MDB_dbi()
            try LMDBError.check(mdb_dbi_open(transaction.handle, name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open")
            return Database(dbi: dbi, name: name)
        }
    }

    /// Runs `body` in a read-only transaction that sees a consistent snapshot of the last
    /// committed state. The transaction ends when `body` returns or throws.
    public func read<Result>(_ body: (ReadTransaction) throws -> Result) throws -> Result {
        while true {
            let outcome = try mapLock.withSharedLock { () throws -> Attempt<Result> in
                guard let txn = try beginUnlessResized(readOnly: true) else { return .mapResized }
                let transaction = ReadTransaction(handle: txn)
                defer {
                    transaction.finish()
                    mdb_txn_abort(txn)
                }
                return .done(try body(transaction))
            }
            switch outcome {
            case .done(let result): return result
            case .mapResized: try adoptResizedMap()
            case .mapFull: continue
            }
        }
    }

    /// Runs `body` in a write transaction and commits when it returns; aborts and
    /// rethrows when it throws. Blocks while another write of this process runs.
    ///
    /// If the map is full (`MDB_MAP_FULL`, in `body` or at commit), the transaction is
    /// aborted, the map doubles (up to ``Configuration/maximumMapSize``) and `body` runs
    /// again from the start, so `body` must have no effects outside the transaction.
    /// When the maximum is reached it throws ``LMDBError/mapFull(mapSize:maximumMapSize:)``
    /// with nothing written. Once it returns, the commit is durable (see ``Flags/noSync``), unless
    /// `durability` is ``Durability/deferred``.
    public func write<Result>(
        durability: Durability = .synced, _ body: (WriteTransaction) throws -> Result
    ) throws -> Result {
        writeLock.lock()
        defer { writeLock.unlock() }
        while true {
            let outcome = try mapLock.withSharedLock { () throws -> Attempt<Result> in
                guard let txn = try beginUnlessResized(readOnly: false, durability: durability) else {
                    return .mapResized
                }
                let transaction = WriteTransaction(handle: txn)
                let result: Result
                do {
                    result = try body(transaction)
                } catch {
                    transaction.finish()
                    mdb_txn_abort(txn)
                    if transaction.hitMapFull { return .mapFull }
                    throw error
                }
                transaction.finish()
                if transaction.hitMapFull {
                    // `body` swallowed MDB_MAP_FULL; the transaction is unusable anyway.
                    mdb_txn_abort(txn)
                    return .mapFull
                }
                // mdb_txn_commit frees the transaction whether or not it succeeds.
                let code = mdb_txn_commit(txn)
                if code == MDB_MAP_FULL { return .mapFull }
                try LMDBError.check(code, "mdb_txn_commit")
                return .done(result)
            }
            switch outcome {
            case .done(let result): return result
            case .mapResized: try adoptResizedMap()
            case .mapFull: try growMap()
            }
        }
    }

    private enum Attempt<Result> {
        case done(Result)
        case mapFull
        case mapResized
    }

    /// How a write transaction's commit reaches the disk.
    public enum Durability: Sendable {
        /// Data pages fsync'd, then the meta page written and fsync'd: durable once `write` returns.
        case synced
        /// Data pages fsync'd, the meta page written but not fsync'd (LMDB's per-transaction
        /// `MDB_NOMETASYNC`): a process crash loses nothing; an OS crash or power loss may undo this
        /// transaction (and later deferred ones), never tear it: the database opens at the last transaction
        /// whose meta page reached the disk. The next synced commit makes it durable too (its data fsync
        /// flushes this meta page). For writes that can be redone from elsewhere after such a crash.
        case deferred
    }

    /// Begins a transaction, or returns nil when another process grew the map.
    private func beginUnlessResized(readOnly: Bool, durability: Durability = .synced) throws(LMDBError)
        -> OpaquePointer?
    {
        do {
            return try begin(readOnly: readOnly, durability: durability)
        } catch .mdb(let code, _) where code == MDB_MAP_RESIZED {
            return nil
        }
    }

    private func begin(readOnly: Bool, durability: Durability = .synced) throws(LMDBError) -> OpaquePointer {
        var txn: OpaquePointer?
        var flags: UInt32 = readOnly ? UInt32(MDB_RDONLY) : 0
        if !readOnly, durability == .deferred { flags |= UInt32(MDB_NOMETASYNC) }
        let code = mdb_txn_begin(handle, nil, flags, &txn)
        try LMDBError.check(code, "mdb_txn_begin")
        guard let txn else { throw .mdb(code: EINVAL, operation: "mdb_txn_begin") }
        return txn
    }

    /// Doubles the map, up to the configured maximum. Caller holds `writeLock` and no
    /// transaction.
    private func growMap() throws(LMDBError) {
        try mapLock.withExclusiveLock { () throws(LMDBError) in
            var info = MDB_envinfo()
            try LMDBError.check(mdb_env_info(handle, &info), "mdb_env_info")
            let current = info.me_mapsize
            guard current < configuration.maximumMapSize else {
                throw .mapFull(mapSize: current, maximumMapSize: configuration.maximumMapSize)
            }
            let doubled = current > Int.max / 2 ? Int.max : current * 2
            let next = min(configuration.maximumMapSize, doubled)
            try LMDBError.check(mdb_env_set_mapsize(handle, next), "mdb_env_set_mapsize")
            // Never retry forever: if LMDB did not actually grow the map, give up now.
            try LMDBError.check(mdb_env_info(handle, &info), "mdb_env_info")
            guard info.me_mapsize > current else {
                throw .mapFull(mapSize: info.me_mapsize, maximumMapSize: configuration.maximumMapSize)
            }
        }
    }

    /// Another process grew the map: adopt its size.
    private func adoptResizedMap() throws(LMDBError) {
        try mapLock.withExclusiveLock { () throws(LMDBError) in
            try LMDBError.check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize")
        }
    }

    private static func prepareDirectory(_ path: String, create: Bool) throws(LMDBError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .invalidPath(path: path, errno: ENOTDIR) }
            return
        }
        guard create else { throw .invalidPath(path: path, errno: ENOENT) }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .invalidPath(path: path, errno: errno == 0 ? EACCES : errno)
        }
        // The umask may have removed bits but never adds any; make the mode exact.
        _ = chmod(path, 0o700)
    }
}
