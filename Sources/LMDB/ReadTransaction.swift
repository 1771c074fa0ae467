import CLMDB

/// A transaction that can read, valid only inside the closure of ``Environment/read(_:)``
/// (or ``Environment/write(_:)`` as a ``WriteTransaction``). Using it afterwards throws
/// ``LMDBError/transactionFinished``.
///
/// Not `Sendable`: it belongs to the thread running the closure. Values are copied out of
/// the memory map, so results stay valid after the transaction ends.
public class ReadTransaction {
    let handle: OpaquePointer
    private(set) var isFinished = false

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    func finish() { isFinished = true }

    func checkOpen() throws(LMDBError) {
        guard !isFinished else { throw .transactionFinished }
    }

    /// Records a failed call; the write transaction uses this to notice `MDB_MAP_FULL`.
    func fail(_ code: Int32, _ operation: String) -> LMDBError {
        .mdb(code: code, operation: operation)
    }

    /// The value stored under `key`, or nil.
    public func get(_ key: [UInt8], in database: Database) throws(LMDBError) -> [UInt8]? {
        try checkOpen()
        var value = MDB_val()
        let code = withValue(key) { keyValue in mdb_get(handle, database.dbi, &keyValue, &value) }
        if code == MDB_NOTFOUND { return nil }
        guard code == MDB_SUCCESS else { throw fail(code, "mdb_get") }
        return bytes(of: value)
    }

    /// The number of entries in `database`.
    public func count(in database: Database) throws(LMDBError) -> Int {
        try checkOpen()
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, database.dbi, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// Runs `body` with a cursor over `database`; the cursor is closed when `body` ends.
    public func withCursor<Result>(on database: Database, _ body: (Cursor) throws -> Result) throws -> Result {
        try checkOpen()
        var cursor: OpaquePointer?
        let code = mdb_cursor_open(handle, database.dbi, &cursor)
        guard code == MDB_SUCCESS, let cursor else { throw fail(code, "mdb_cursor_open") }
        let wrapper = Cursor(handle: cursor, transaction: self)
        defer {
            wrapper.finish()
            mdb_cursor_close(cursor)
        }
        return try body(wrapper)
    }

    /// Calls `body` with every entry whose key starts with `prefix`, in key order, until
    /// `body` returns false.
    public func scan(
        _ database: Database, prefix: [UInt8] = [],
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        try withCursor(on: database) { cursor in
            var entry = prefix.isEmpty ? try cursor.first() : try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix) {
                guard try body(current.key, current.value) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// Every key that starts with `prefix`, in key order.
    public func keys(in database: Database, prefix: [UInt8] = []) throws -> [[UInt8]] {
        try withCursor(on: database) { cursor in
            var keys = [[UInt8]]()
            var key = try cursor.seekKey(atLeast: prefix)
            while let current = key, current.starts(with: prefix) {
                keys.append(current)
                key = try cursor.nextKey()
            }
            return keys
        }
    }
}

/// Calls `body` with an `MDB_val` pointing at `bytes` (at a valid address even when empty).
func withValue<Result>(_ bytes: [UInt8], _ body: (inout MDB_val) -> Result) -> Result {
    bytes.withUnsafeBytes { buffer in
        var placeholder: UInt8 = 0
        return withUnsafeMutablePointer(to: &placeholder) { fallback in
            // LMDB reads keys and values passed in; it never writes through these pointers.
            var value = MDB_val(
                mv_size: buffer.count,
                mv_data: buffer.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                    ?? UnsafeMutableRawPointer(fallback))
            return body(&value)
        }
    }
}

/// A copy of the bytes an `MDB_val` returned by LMDB points at.
func bytes(of value: MDB_val) -> [UInt8] {
    guard value.mv_size > 0, let data = value.mv_data else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: value.mv_size))
}
