import Core
import Foundation
import Storage

/// The AppRole auth method, as OpenBao 2.7.2 answers it: roles, role_ids, secret_ids
/// (generated or custom, with TTL, use counts and CIDR bindings), their accessors, tidy,
/// and `login`, which answers a ``LoginAuth`` for the core to turn into a token.
///
/// Guarantees:
/// - A secret_id is never stored, logged or answered again after creation: storage holds
///   only HMAC-SHA256 under a random per-role key kept in the mount's storage. role_ids
///   and accessors are indexed by an HMAC under a random per-mount key.
/// - Spending a secret_id's use is a read-modify-write serialised per secret_id (a
///   ``KeyedLock`` held by this value and its copies), so of N concurrent logins with a
///   secret_id that has k uses left, exactly k succeed; the last use deletes it.
/// - Role changes are serialised per mount (one lock key), so the role_id index stays
///   one-to-one.
/// - No clock and no global state: time comes from the request; randomness from the
///   injected source (the system's CSPRNG by default).
///
/// Safe to call concurrently: all mutable state lives in storage and in the lock actor.
public struct AppRoleBackend: LogicalBackend {
    /// Bytes of cryptographically secure randomness.
    public typealias RandomSource = @Sendable (_ count: Int) -> [UInt8]

    let locks = KeyedLock()
    /// The mount's maximum lease TTL in seconds (OpenBao's default: 32 days).
    let maxLeaseTTL: Int64
    let random: RandomSource

    public init(maxLeaseTTL: Int64 = 2_764_800, random: @escaping RandomSource = AppRoleBackend.systemRandom) {
        self.maxLeaseTTL = maxLeaseTTL
        self.random = random
    }

    /// What the core calls for a mount of type "approle"; nil for any other type.
    public static let factory: BackendFactory = { type, _ in
        type == "approle" ? AppRoleBackend() : nil
    }

    /// The system's CSPRNG (`getrandom` on Linux, `SecRandom` on Darwin).
    public static let systemRandom: RandomSource = CoreEnvironment.systemRandomBytes

    public var unauthenticatedPaths: [String] { ["login"] }

    public func handle(_ request: BackendRequest) async throws(CoreError) -> Response? {
        guard let route = Route(path: request.path) else { return nil }
        let op = request.operation
        let isWrite = op == .create || op == .update
        switch route {
        case .login:
            guard isWrite else { throw .unsupportedOperation }
            return try await login(request)
        case .roleList:
            guard op == .list else { throw .unsupportedOperation }
            return try await listRoles(request)
        case .role(let name):
            switch op {
            case .read: return try await readRole(name, request)
            case .create, .update: return try await writeRole(name, request)
            case .delete: return try await deleteRole(name, request)
            default: throw .unsupportedOperation
            }
        case .roleField(let name, let field):
            switch op {
            case .read: return try await readRoleField(name, field, request)
            case .create, .update: return try await writeRoleField(name, field, request)
            case .delete: return try await deleteRoleField(name, field, request)
            default: throw .unsupportedOperation
            }
        case .roleID(let name):
            switch op {
            case .read: return try await readRoleID(name, request)
            case .create, .update: return try await writeRoleID(name, request)
            default: throw .unsupportedOperation
            }
        case .secretID(let name):
            switch op {
            case .create, .update: return try await createSecretID(name, custom: false, request)
            case .list: return try await listSecretIDs(name, request)
            default: throw .unsupportedOperation
            }
        case .customSecretID(let name):
            guard isWrite else { throw .unsupportedOperation }
            return try await createSecretID(name, custom: true, request)
        case .secretIDLookup(let name):
            guard isWrite else { throw .unsupportedOperation }
            return try await lookupSecretID(name, request)
        case .secretIDDestroy(let name):
            guard isWrite || op == .delete else { throw .unsupportedOperation }
            return try await destroySecretID(name, request)
        case .accessorLookup(let name):
            guard isWrite else { throw .unsupportedOperation }
            return try await lookupAccessor(name, request)
        case .accessorDestroy(let name):
            guard isWrite || op == .delete else { throw .unsupportedOperation }
            return try await destroyAccessor(name, request)
        case .tidy:
            guard isWrite else { throw .unsupportedOperation }
            return try await tidy(request)
        }
    }

    /// A write to `role/<name>` creates the role when this answers false.
    public func exists(_ request: BackendRequest) async throws(CoreError) -> Bool {
        guard case .role(let name)? = Route(path: request.path) else { return true }
        return try await loadRole(name, request.storage) != nil
    }
}

// MARK: - storage

extension AppRoleBackend {
    static let roleLockKey = "roles"

    func loadJSON<T: Decodable>(_ type: T.Type, _ key: String, _ storage: any Storage) async throws(CoreError) -> T? {
        let bytes: [UInt8]?
        do {
            bytes = try await storage.get(key)
        } catch {
            throw CoreError.internal("storage read failed")
        }
        guard let bytes else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw CoreError.internal("stored AppRole entry is corrupt")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws(CoreError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw CoreError.internal("failed to encode AppRole entry")
        }
    }

    func commit(_ operations: [StorageOperation], _ storage: any Storage) async throws(CoreError) {
        do {
            try await storage.batch(operations)
        } catch let error as StorageError {
            throw CoreError.goError(error.description)
        } catch {
            throw CoreError.internal("storage write failed")
        }
    }

    func list(_ prefix: String, _ storage: any Storage) async throws(CoreError) -> [String] {
        do {
            return try await storage.list(prefix: prefix)
        } catch {
            throw CoreError.internal("storage list failed")
        }
    }

    func loadRole(_ name: String, _ storage: any Storage) async throws(CoreError) -> Role? {
        try await loadJSON(Role.self, Self.roleKey(name), storage)
    }

    static func roleKey(_ name: String) -> String { "role/" + name.lowercased() }

    /// The mount-wide key that hides role_ids and accessors in storage keys, made on first
    /// use.
    func mountHMAC(_ storage: any Storage) async throws(CoreError) -> SecretHMAC {
        struct Salt: Codable { var key: String }
        if let salt = try await loadJSON(Salt.self, "salt", storage), let bytes = SecretHMAC.bytes(fromHex: salt.key) {
            return SecretHMAC(keyBytes: bytes)
        }
        return try await locks.withLock("salt") { () async throws(CoreError) -> SecretHMAC in
            if let salt = try await loadJSON(Salt.self, "salt", storage),
                let bytes = SecretHMAC.bytes(fromHex: salt.key)
            {
                return SecretHMAC(keyBytes: bytes)
            }
            let bytes = random(32)
            let encoded = try Self.encode(Salt(key: SecretHMAC.hexString(bytes)))
            try await commit([.put(key: "salt", value: encoded)], storage)
            return SecretHMAC(keyBytes: bytes)
        }
    }

    /// A fresh identifier in go-uuid's shape: 32 random hex digits as 8-4-4-4-12.
    func uuid() -> String {
        let hex = Array(SecretHMAC.hexString(random(16)))
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32]
        return groups.map { String(hex[$0]) }.joined(separator: "-")
    }
}
