import Crypto
import Foundation
import Storage

/// Creates, finds and revokes tokens. Token strings never reach storage: an entry is
/// keyed by HMAC-SHA256(salt, token), the salt itself behind the barrier. Layout under
/// its view: `salt`, `id/<hash>`, `accessor/<hash(accessor)>` -> token hash,
/// `parent/<parent hash>/<child hash>` for revocation trees.
///
/// A value type over a storage view; safe to copy. Read-modify-write of one token (use
/// counts) is serialised by the caller (the core's per-token lock).
public struct TokenStore: Sendable {
    static let saltKey = "salt"
    static let idPrefix = "id/"
    static let accessorPrefix = "accessor/"
    static let parentPrefix = "parent/"
    static let expiryPrefix = "expire/"

    /// `expire/<20-digit unix seconds>/<hash>`: listing it in order gives tokens by expiry.
    static func expiryKey(_ expireAt: Int64, _ tokenHash: String) -> String {
        let digits = String(expireAt)
        return expiryPrefix + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "/" + tokenHash
    }

    private let storage: StorageView
    private let salt: SymmetricKey
    private let environment: CoreEnvironment

    /// Loads the salt from `storage`, creating it on first use.
    static func open(storage: StorageView, environment: CoreEnvironment) async throws -> TokenStore {
        var saltBytes: [UInt8]
        if let existing = try await storage.get(saltKey) {
            saltBytes = existing
        } else {
            saltBytes = environment.randomBytes(32)
            try await storage.put(saltKey, saltBytes)
        }
        defer { wipe(&saltBytes) }
        return TokenStore(storage: storage, salt: SymmetricKey(data: saltBytes), environment: environment)
    }

    private init(storage: StorageView, salt: SymmetricKey, environment: CoreEnvironment) {
        self.storage = storage
        self.salt = salt
        self.environment = environment
    }

    /// The storage name of a token or accessor: hex HMAC with this store's salt.
    func hash(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: salt)
        return hexString(Array(mac))
    }

    /// A new token string in OpenBao's shape: `s.` and 24 base62 characters.
    func newTokenString() -> String {
        "s." + base62(count: 24)
    }

    func newAccessor() -> String {
        base62(count: 24)
    }

    private func base62(count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var out = [UInt8]()
        while out.count < count {
            for byte in environment.randomBytes(count * 2) where byte < 248 && out.count < count {
                out.append(alphabet[Int(byte % 62)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Creates the root token written at init and by generate-root.
    func createRoot(tokenString: String? = nil) async throws -> (token: String, entry: TokenEntry) {
        let now = environment.now()
        let entry = TokenEntry(
            accessor: newAccessor(), policies: ["root"], path: "auth/token/root", displayName: "root",
            creationTime: Int64(now.timeIntervalSince1970), issueTime: now
        )
        let token = tokenString ?? newTokenString()
        try await store(token: token, entry: entry)
        return (token, entry)
    }

    /// Stores a new token (and its accessor and parent links) atomically.
    func store(token: String, entry: TokenEntry) async throws {
        try await storage.base.batch(storeOperations(token: token, entry: entry))
    }

    /// The writes that store a new token, keyed in the storage below this store's view, for a caller that
    /// commits them in one batch with writes of its own (a wrapped response and its token).
    func storeOperations(token: String, entry: TokenEntry) throws -> [StorageOperation] {
        let tokenHash = hash(token)
        var operations: [StorageOperation] = [
            .put(key: Self.idPrefix + tokenHash, value: Array(try JSONEncoder().encode(entry))),
            .put(key: Self.accessorPrefix + hash(entry.accessor), value: Array(tokenHash.utf8)),
        ]
        if let parent = entry.parentHash {
            operations.append(.put(key: Self.parentPrefix + parent + "/" + tokenHash, value: []))
        }
        if entry.expireAt != 0 {
            operations.append(.put(key: Self.expiryKey(entry.expireAt, tokenHash), value: []))
        }
        return try storage.scoped(operations)
    }

    /// Rewrites an existing token's entry (use counts, renewals).
    func update(hash tokenHash: String, entry: TokenEntry) async throws {
        var operations: [StorageOperation] = [
            .put(key: Self.idPrefix + tokenHash, value: Array(try JSONEncoder().encode(entry)))
        ]
        if let bytes = try await storage.get(Self.idPrefix + tokenHash),
            let old = try? TokenEntry.decode(bytes), old.expireAt != entry.expireAt
        {
            if old.expireAt != 0 { operations.append(.delete(key: Self.expiryKey(old.expireAt, tokenHash))) }
            if entry.expireAt != 0 { operations.append(.put(key: Self.expiryKey(entry.expireAt, tokenHash), value: [])) }
        }
        try await storage.batch(operations)
    }

    /// Every stored token (expired ones included), by hash. A full scan: for lease
    /// listings and tidy, not for the request path.
    func allEntries() async throws -> [(hash: String, entry: TokenEntry)] {
        var result: [(hash: String, entry: TokenEntry)] = []
        for name in try await storage.list(prefix: Self.idPrefix) where !name.hasSuffix("/") {
            if let bytes = try await storage.get(Self.idPrefix + name),
                let entry = try? TokenEntry.decode(bytes)
            {
                result.append((name, entry))
            }
        }
        return result
    }

    /// Removes index entries (accessors, expiry, parent links) that point at tokens that
    /// no longer exist, left by a crash between writes. Answers how many were removed.
    func tidy() async throws -> Int {
        let live = Set(try await storage.list(prefix: Self.idPrefix))
        var removed = 0
        for name in try await storage.list(prefix: Self.accessorPrefix) {
            if let target = try await storage.get(Self.accessorPrefix + name),
                !live.contains(String(decoding: target, as: UTF8.self))
            {
                try await storage.delete(Self.accessorPrefix + name)
                removed += 1
            }
        }
        for bucket in try await storage.list(prefix: Self.expiryPrefix) {
            for tokenHash in try await storage.list(prefix: Self.expiryPrefix + bucket) where !live.contains(tokenHash) {
                try await storage.delete(Self.expiryPrefix + bucket + tokenHash)
                removed += 1
            }
        }
        for parent in try await storage.list(prefix: Self.parentPrefix) {
            for child in try await storage.list(prefix: Self.parentPrefix + parent)
            where !live.contains(child) || !live.contains(String(parent.dropLast())) {
                try await storage.delete(Self.parentPrefix + parent + child)
                removed += 1
            }
        }
        return removed
    }

    /// Hashes of tokens whose expiry is at or before `now`, oldest first, at most `limit`.
    func expired(before now: Date, limit: Int) async throws -> [String] {
        let cutoff = Int64(now.timeIntervalSince1970)
        var result: [String] = []
        for bucket in try await storage.list(prefix: Self.expiryPrefix) {
            guard let seconds = Int64(bucket.dropLast()), seconds <= cutoff else { break }
            for tokenHash in try await storage.list(prefix: Self.expiryPrefix + bucket) {
                result.append(tokenHash)
                if result.count >= limit { return result }
            }
        }
        return result
    }

    /// The entry of a live token by its storage hash; expired tokens are absent.
    func entry(hash tokenHash: String) async throws -> TokenEntry? {
        guard let bytes = try await storage.get(Self.idPrefix + tokenHash) else { return nil }
        let entry = try TokenEntry.decode(bytes)
        return entry.isExpired(at: environment.now()) ? nil : entry
    }

    /// The entry of a live token, or nil when unknown or expired.
    func lookup(_ token: String) async throws -> TokenEntry? {
        guard !token.isEmpty, token.utf8.count <= 512 else { return nil }
        return try await entry(hash: hash(token))
    }

    /// The token hash behind an accessor.
    func hash(forAccessor accessor: String) async throws -> String? {
        guard !accessor.isEmpty, accessor.utf8.count <= 512 else { return nil }
        guard let bytes = try await storage.get(Self.accessorPrefix + hash(accessor)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The deletes that revoke a token with no children (a wrapping token, which can create none), keyed in
    /// the storage below this store's view, for a caller that commits them in one batch with deletes of its
    /// own. Nil when the token has children: `revoke(hash:)` handles the tree.
    func leafRevocation(hash tokenHash: String) async throws -> [StorageOperation]? {
        guard try await storage.list(prefix: Self.parentPrefix + tokenHash + "/").isEmpty else { return nil }
        return try storage.scoped(try await entryDeletes(tokenHash))
    }

    /// Deletes the entry of `tokenHash` and every index that points at it (accessor, expiry, parent link).
    private func entryDeletes(_ tokenHash: String) async throws -> [StorageOperation] {
        var operations: [StorageOperation] = [.delete(key: Self.idPrefix + tokenHash)]
        if let bytes = try await storage.get(Self.idPrefix + tokenHash),
            let entry = try? TokenEntry.decode(bytes)
        {
            operations.append(.delete(key: Self.accessorPrefix + hash(entry.accessor)))
            if entry.expireAt != 0 { operations.append(.delete(key: Self.expiryKey(entry.expireAt, tokenHash))) }
            if let parent = entry.parentHash {
                operations.append(.delete(key: Self.parentPrefix + parent + "/" + tokenHash))
            }
        }
        return operations
    }

    /// Revokes a token and, unless `orphanChildren`, all its descendants. Answers the
    /// hashes revoked, so the caller can wipe their cubbyholes.
    func revoke(hash tokenHash: String, orphanChildren: Bool = false) async throws -> [String] {
        var revoked: [String] = []
        var pending = [tokenHash]
        while let current = pending.popLast() {
            let childPrefix = Self.parentPrefix + current + "/"
            let children = try await storage.list(prefix: childPrefix).filter { !$0.hasSuffix("/") }
            if orphanChildren && current == tokenHash {
                for child in children {
                    if var childEntry = try await entry(hash: child) {
                        childEntry.parentHash = nil
                        try await update(hash: child, entry: childEntry)
                    }
                    try await storage.delete(childPrefix + child)
                }
            } else {
                pending.append(contentsOf: children)
            }
            var operations = try await entryDeletes(current)
            for child in children where !orphanChildren || current != tokenHash {
                operations.append(.delete(key: childPrefix + child))
            }
            try await storage.batch(operations)
            revoked.append(current)
        }
        return revoked
    }
}
