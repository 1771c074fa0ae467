import CLMDB

/// A handle to one database (key space) inside an ``Environment``, from
/// ``Environment/openDatabase(_:create:)``. Valid for the lifetime of its environment;
/// keys are ordered by bytes (`memcmp`, shorter first on a tie).
public struct Database: Sendable, Equatable {
    let dbi: MDB_dbi
    /// The database's name, or nil for the environment's unnamed main database.
    public let name: String?
}
