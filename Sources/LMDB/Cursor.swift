import CLMDB

/// A position in a database's key order, valid only inside
/// ``ReadTransaction/withCursor(on:_:)``. Each move returns a copy of the entry it lands
/// on, or nil past the end.
public final class Cursor {
    /// One key and its value, copied out of the map.
    public typealias Entry = (key: [UInt8], value: [UInt8])

    private let handle: OpaquePointer
    private let transaction: ReadTransaction
    private var isFinished = false

    init(handle: OpaquePointer, transaction: ReadTransaction) {
        self.handle = handle
        self.transaction = transaction
    }

    func finish() { isFinished = true }

    /// The first entry in the database.
    public func first() throws(LMDBError) -> Entry? {
        try move(MDB_FIRST, copyValue: true)
    }

    /// The entry after the current one.
    public func next() throws(LMDBError) -> Entry? {
        try move(MDB_NEXT, copyValue: true)
    }

    /// The first entry whose key is greater than or equal to `key`.
    public func seek(atLeast key: [UInt8]) throws(LMDBError) -> Entry? {
        try seek(atLeast: key, copyValue: true)
    }

    /// The first key in the database (the value is not copied).
    public func firstKey() throws(LMDBError) -> [UInt8]? {
        try move(MDB_FIRST, copyValue: false)?.key
    }

    /// The key after the current one (the value is not copied).
    public func nextKey() throws(LMDBError) -> [UInt8]? {
        try move(MDB_NEXT, copyValue: false)?.key
    }

    /// The first key greater than or equal to `key` (the value is not copied).
    public func seekKey(atLeast key: [UInt8]) throws(LMDBError) -> [UInt8]? {
        try seek(atLeast: key, copyValue: false)?.key
    }

    private func seek(atLeast key: [UInt8], copyValue: Bool) throws(LMDBError) -> Entry? {
        guard !key.isEmpty else { return try move(MDB_FIRST, copyValue: copyValue) }
        try checkOpen()
        var value = MDB_val()
        var foundKey = MDB_val()
        let code = withValue(key) { keyValue in
            let code = mdb_cursor_get(handle, &keyValue, &value, MDB_SET_RANGE)
            foundKey = keyValue
            return code
        }
        return try entry(code, key: foundKey, value: copyValue ? value : MDB_val(), "mdb_cursor_get(MDB_SET_RANGE)")
    }

    private func move(_ operation: MDB_cursor_op, copyValue: Bool) throws(LMDBError) -> Entry? {
        try checkOpen()
        var key = MDB_val()
        var value = MDB_val()
        let code = mdb_cursor_get(handle, &key, &value, operation)
        return try entry(code, key: key, value: copyValue ? value : MDB_val(), "mdb_cursor_get")
    }

    private func entry(_ code: Int32, key: MDB_val, value: MDB_val, _ operation: String) throws(LMDBError) -> Entry? {
        if code == MDB_NOTFOUND { return nil }
        guard code == MDB_SUCCESS else { throw transaction.fail(code, operation) }
        return (bytes(of: key), bytes(of: value))
    }

    private func checkOpen() throws(LMDBError) {
        guard !isFinished else { throw .transactionFinished }
        try transaction.checkOpen()
    }
}
