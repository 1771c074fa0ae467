import CLMDB

/// A read-write transaction, valid only inside the closure of ``Environment/write(_:)``,
/// which commits it when the closure returns and aborts it when the closure throws.
///
/// An operation that hits `MDB_MAP_FULL` throws; the environment then aborts the whole
/// transaction, grows the map and runs the closure again, even if the closure caught the
/// error.
public final class WriteTransaction: ReadTransaction {
    private(set) var hitMapFull = false

    override func fail(_ code: Int32, _ operation: String) -> LMDBError {
        if code == MDB_MAP_FULL { hitMapFull = true }
        return super.fail(code, operation)
    }

    /// Stores `value` under `key`, replacing any existing value.
    public func put(_ key: [UInt8], _ value: [UInt8], in database: Database) throws(LMDBError) {
        try checkOpen()
        let code = withValue(key) { keyValue in
            withValue(value) { dataValue in mdb_put(handle, database.dbi, &keyValue, &dataValue, 0) }
        }
        guard code == MDB_SUCCESS else { throw fail(code, "mdb_put") }
    }

    /// Removes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ key: [UInt8], in database: Database) throws(LMDBError) -> Bool {
        try checkOpen()
        let code = withValue(key) { keyValue in mdb_del(handle, database.dbi, &keyValue, nil) }
        if code == MDB_NOTFOUND { return false }
        guard code == MDB_SUCCESS else { throw fail(code, "mdb_del") }
        return true
    }
}
