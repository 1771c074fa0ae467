/// Errors the storage drivers in this module raise for keys they cannot hold.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The empty string is not a key.
    case emptyKey
    /// The key's UTF-8 form is longer than the driver allows (LMDB: 511 bytes).
    case keyTooLong(length: Int, maximum: Int)

    public var description: String {
        switch self {
        case .emptyKey:
            "storage keys must not be empty"
        case .keyTooLong(let length, let maximum):
            "storage key is \(length) bytes long; the maximum is \(maximum)"
        }
    }
}

/// Rules every driver in this module applies to keys, so the in-memory driver rejects
/// exactly what LMDB rejects.
public enum StorageKey {
    /// LMDB's default maximum key size (`mdb_env_get_maxkeysize`), in UTF-8 bytes.
    public static let maximumLength = 511

    /// Throws unless `key` is non-empty and at most ``maximumLength`` UTF-8 bytes.
    public static func validate(_ key: String) throws(StorageError) {
        let length = key.utf8.count
        guard length > 0 else { throw .emptyKey }
        guard length <= maximumLength else { throw .keyTooLong(length: length, maximum: maximumLength) }
    }

    /// The names directly below `prefix` among `keys` (each of which starts with
    /// `prefix`), as `Storage.list(prefix:)` returns them: a key `prefix + "a"` gives
    /// `"a"`; keys under `prefix + "b/"` give `"b/"` once; a key equal to `prefix` gives
    /// nothing. The result is sorted by UTF-8 bytes, the order LMDB keeps keys in.
    public static func children(of keys: some Sequence<[UInt8]>, prefix: [UInt8]) -> [String] {
        var names = Set<[UInt8]>()
        for key in keys {
            guard key.count > prefix.count, key.starts(with: prefix) else { continue }
            let rest = key[prefix.count...]
            if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                names.insert(Array(rest[...slash]))
            } else {
                names.insert(Array(rest))
            }
        }
        let result = names.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
        return result
    }
}
