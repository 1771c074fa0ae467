import Crypto
import Foundation
import Storage

/// Creates and looks up tokens. Token strings never reach storage: an entry is keyed by
/// HMAC-SHA256(salt, token), with the salt itself behind the barrier.
///
/// A value type over a storage view; safe to copy. Callers serialise the read-modify-
/// write of a token (use counts) themselves.
public struct TokenStore: Sendable {
    static let saltKey = "salt"
    static let idPrefix = "id/"
    static let accessorPrefix = "accessor/"

    private let storage: any Storage
    private let salt: SymmetricKey
    private let environment: CoreEnvironment

    /// Loads the salt from `storage`, creating it on first use.
    static func open(storage: any Storage, environment: CoreEnvironment) async throws -> TokenStore {
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

    private init(storage: any Storage, salt: SymmetricKey, environment: CoreEnvironment) {
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
        let entry = TokenEntry(
            accessor: base62(count: 24),
            policies: ["root"],
            path: "auth/token/root",
            displayName: "root",
            meta: [:],
            numUses: 0,
            creationTime: Int64(environment.now().timeIntervalSince1970),
            ttlSeconds: 0,
            explicitMaxTTLSeconds: 0,
            periodSeconds: 0,
            renewable: false,
            parentHash: nil,
            orphan: true
        )
        let token = tokenString ?? newTokenString()
        try await store(token: token, entry: entry)
        return (token, entry)
    }

    func store(token: String, entry: TokenEntry) async throws {
        let encoded = try JSONEncoder().encode(entry)
        try await storage.batch([
            .put(key: Self.idPrefix + hash(token), value: Array(encoded)),
            .put(key: Self.accessorPrefix + hash(entry.accessor), value: Array(hash(token).utf8)),
        ])
    }

    /// The entry of a live token, or nil when the token is unknown.
    func lookup(_ token: String) async throws -> TokenEntry? {
        guard token.count <= 512, let bytes = try await storage.get(Self.idPrefix + hash(token)) else {
            return nil
        }
        return try JSONDecoder().decode(TokenEntry.self, from: Data(bytes))
    }
}
