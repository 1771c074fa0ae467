import CLMDB

/// An error from LMDB or from this wrapper's own checks.
///
/// Every case carries enough to act on: ``code`` is the `mdb_*` return code where there is
/// one, and ``description`` includes LMDB's own message (`mdb_strerror`).
public enum LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A write did not fit even after the map grew to its configured maximum. The write
    /// was aborted; the environment and all committed data are intact.
    case mapFull(mapSize: Int, maximumMapSize: Int)
    /// A key was empty or longer than the environment's maximum key size.
    case badKeySize(length: Int, maximum: Int)
    /// The transaction was used outside the closure it was given to.
    case transactionFinished
    /// The directory could not be created or is not a directory.
    case invalidPath(path: String, errno: Int32)
    /// Any other failure of an `mdb_*` call: `operation` names the call.
    case mdb(code: Int32, operation: String)

    /// The LMDB or errno code behind the error (`MDB_MAP_FULL` for ``mapFull``, 0 where
    /// the wrapper itself refused).
    public var code: Int32 {
        switch self {
        case .mapFull: MDB_MAP_FULL
        case .badKeySize: MDB_BAD_VALSIZE
        case .transactionFinished: MDB_BAD_TXN
        case .invalidPath(_, let errno): errno
        case .mdb(let code, _): code
        }
    }

    public var description: String {
        switch self {
        case .mapFull(let mapSize, let maximum):
            "LMDB map is full at \(mapSize) bytes and may not grow past its maximum of \(maximum) bytes"
        case .badKeySize(let length, let maximum):
            "LMDB keys must be 1...\(maximum) bytes, got \(length)"
        case .transactionFinished:
            "the LMDB transaction was used after its closure returned"
        case .invalidPath(let path, let errno):
            "cannot use \(path) as an LMDB directory: \(Self.message(for: errno))"
        case .mdb(let code, let operation):
            "\(operation) failed: \(Self.message(for: code)) (\(code))"
        }
    }

    static func message(for code: Int32) -> String {
        guard let text = mdb_strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// Throws `.mdb(code:operation:)` unless `code` is `MDB_SUCCESS`.
    static func check(_ code: Int32, _ operation: String) throws(LMDBError) {
        guard code == MDB_SUCCESS else { throw .mdb(code: code, operation: operation) }
    }
}
