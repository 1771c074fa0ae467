import Crypto
import Foundation
import Storage

/// The encryption barrier between the logical core and physical storage.
///
/// Everything written through the barrier's `Storage` interface is stored as
/// `term | version | nonce | AES-256-GCM ciphertext | tag` with the storage path as
/// associated data (see ``BarrierEnvelope``), so a value moved to another path, altered
/// or truncated fails with ``BarrierError/integrity(path:)`` or another typed error, never
/// with wrong plaintext.
///
/// Keys: a random root key, stored at `core/root-key` encrypted under the unseal key,
/// protects the keyring stored at `core/keyring`; the keyring's newest data key encrypts
/// new writes and every older term stays readable. Neither path is reachable through the
/// `Storage` interface. While sealed the barrier holds no key; ``seal()`` zeroes them all.
///
/// Concurrency: an actor owns the key state. Key-management operations (`initialize`,
/// `unseal`, `rotate`, `rekey`) run one at a time; data operations interleave with them
/// and always see a keyring that is already durable in physical storage. A data operation
/// that was suspended on the physical storage re-checks the seal before decrypting.
///
/// Durability is that of the physical storage: a returned write has been made durable by
/// its rule.
public actor Barrier: Storage {
    /// Physical path of the root key, encrypted under the unseal key.
    public static let rootKeyPath = "core/root-key"
    /// Physical path of the keyring, encrypted under the root key.
    public static let keyringPath = "core/keyring"

    private enum State {
        case sealed
        case unsealed(Unsealed)
    }

    private struct Unsealed {
        let rootKey: SecretKey
        var keyring: Keyring
        var encryptions: UInt64 = 0
    }

    private let physical: any Storage
    private let now: @Sendable () -> Date
    private var state: State = .sealed

    /// Serialises key-management operations across the actor's suspension points.
    private var keyOperationRunning = false
    private var keyOperationWaiters: [CheckedContinuation<Void, Never>] = []

    /// A sealed barrier over `physical`.
    public init(physical: any Storage) {
        self.init(physical: physical, now: { Date() })
    }

    /// A sealed barrier over `physical` whose key install times come from `now`.
    public init(physical: any Storage, now: @escaping @Sendable () -> Date) {
        self.physical = physical
        self.now = now
    }

    // MARK: - Lifecycle

    /// Whether a root key record exists in physical storage.
    public func isInitialized() async throws -> Bool {
        try await physical.get(Self.rootKeyPath) != nil
    }

    /// Whether the barrier holds no keys.
    public var isSealed: Bool {
        if case .unsealed = state { return false }
        return true
    }

    /// Generates a root key and a keyring with one data key at term 1, and stores both in
    /// one physical batch: the root key encrypted under `unsealKey`, the keyring under the
    /// root key. The barrier stays sealed. Throws ``BarrierError/alreadyInitialized`` if a
    /// root key or keyring is already stored.
    public func initialize(unsealKey: SecretKey) async throws {
        await beginKeyOperation()
        defer { endKeyOperation() }

        let existingRootKey = try await physical.get(Self.rootKeyPath)
        let existingKeyring = try await physical.get(Self.keyringPath)
        guard existingRootKey == nil, existingKeyring == nil else { throw BarrierError.alreadyInitialized }
        let rootKey = SecretKey()
        let keyring = Keyring(firstKey: SecretKey(), installTime: now())
        defer {
            rootKey.zero()
            keyring.zeroAll()
        }
        let rootRecord = try sealRootKey(rootKey, under: unsealKey)
        let keyringRecord = try sealKeyring(keyring, under: rootKey)
        try await physical.batch([
            .put(key: Self.rootKeyPath, value: rootRecord),
            .put(key: Self.keyringPath, value: keyringRecord),
        ])
    }

    /// Opens the root key with `unsealKey` and loads the keyring.
    ///
    /// Throws ``BarrierError/notInitialized`` without a root key record and
    /// ``BarrierError/invalidUnsealKey`` if the key does not open it. Unsealing an unsealed
    /// barrier only checks the key.
    public func unseal(unsealKey: SecretKey) async throws {
        await beginKeyOperation()
        defer { endKeyOperation() }

        let rootKey = try await openRootKey(with: unsealKey)
        guard case .sealed = state else {
            rootKey.zero()
            return
        }
        do {
            guard let record = try await physical.get(Self.keyringPath) else {
                throw BarrierError.malformed("the root key exists but the keyring is missing")
            }
            let keyring = try openKeyring(record, rootKey: rootKey)
            guard case .sealed = state else {
                keyring.zeroAll()
                rootKey.zero()
                return
            }
            state = .unsealed(Unsealed(rootKey: rootKey, keyring: keyring))
        } catch {
            rootKey.zero()
            throw error
        }
    }

    /// Zeroes the root key and every keyring key and forgets them. Afterwards every data
    /// operation throws ``BarrierError/sealed``. Idempotent.
    public func seal() {
        if case .unsealed(let unsealed) = state {
            unsealed.rootKey.zero()
            unsealed.keyring.zeroAll()
        }
        state = .sealed
    }

    /// Whether `unsealKey` opens the stored root key, sealed or unsealed. Throws
    /// ``BarrierError/notInitialized`` without a root key record.
    public func verify(unsealKey: SecretKey) async throws -> Bool {
        do {
            let rootKey = try await openRootKey(with: unsealKey)
            rootKey.zero()
            return true
        } catch BarrierError.invalidUnsealKey {
            return false
        }
    }

    // MARK: - Keys

    /// Adds a fresh data key at the next term and persists the keyring; once this returns,
    /// new writes use the new term. Older terms stay readable. Requires the barrier unsealed.
    @discardableResult
    public func rotate() async throws -> KeyTerm {
        await beginKeyOperation()
        defer { endKeyOperation() }

        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        let newKey = SecretKey()
        do {
            let keyring = try unsealed.keyring.adding(newKey, installTime: now())
            let record = try sealKeyring(keyring, under: unsealed.rootKey)
            try await physical.put(Self.keyringPath, record)
            // Sealed while the keyring was being written: the stored keyring holds the new
            // key and the next unseal loads it; this process must not keep it.
            guard case .unsealed(var current) = state, current.rootKey === unsealed.rootKey else {
                throw BarrierError.sealed
            }
            current.keyring = keyring
            current.encryptions = 0
            state = .unsealed(current)
            return keyring.activeTerm
        } catch {
            newKey.zero()
            throw error
        }
    }

    /// The active data key's term and install time. Requires the barrier unsealed.
    public func keyStatus() throws -> KeyStatus {
        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        let active = unsealed.keyring.active
        return KeyStatus(term: active.term, installTime: active.installTime, encryptions: unsealed.encryptions)
    }

    /// Re-encrypts the root key under `newUnsealKey` and stores it; the old unseal key
    /// stops working once this returns. Data and the keyring are untouched. Requires the
    /// barrier unsealed.
    public func rekey(newUnsealKey: SecretKey) async throws {
        await beginKeyOperation()
        defer { endKeyOperation() }

        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        let record = try sealRootKey(unsealed.rootKey, under: newUnsealKey)
        try await physical.put(Self.rootKeyPath, record)
    }

    /// Re-reads the keyring from physical storage with the root key in memory. A standby
    /// applies the active node's writes as ciphertext and never decrypts them, so a key
    /// rotation made elsewhere reaches its memory only through this call (made when it
    /// becomes active). Requires the barrier unsealed.
    public func reloadKeyring() async throws {
        await beginKeyOperation()
        defer { endKeyOperation() }

        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        guard let record = try await physical.get(Self.keyringPath) else {
            throw BarrierError.malformed("the root key exists but the keyring is missing")
        }
        let keyring = try openKeyring(record, rootKey: unsealed.rootKey)
        guard case .unsealed(var current) = state, current.rootKey === unsealed.rootKey else {
            keyring.zeroAll()
            throw BarrierError.sealed
        }
        current.keyring.zeroAll()
        current.keyring = keyring
        state = .unsealed(current)
    }

    // MARK: - Joining a cluster

    /// Encrypts `plaintext` for a node that is joining the cluster, under a key derived
    /// (HKDF-SHA256) from the root key and bound to `context` (the joiner's node id and the
    /// purpose). Only a node that can open the root key record, that is, one unsealed with
    /// this cluster's shares, can read it: see ``openForJoin(_:context:rootKeyRecord:unsealKey:)``.
    public func sealForJoin(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        let key = try Self.joinKey(rootKey: unsealed.rootKey)
        defer { key.zero() }
        return try BarrierEnvelope.seal(plaintext, key: key, term: 0, path: "join/" + context)
    }

    /// Opens what ``sealForJoin(_:context:)`` sealed, on a node that has no keyring yet: the
    /// root key comes from `rootKeyRecord` (the cluster's stored record, as the leader sent
    /// it) opened with `unsealKey`. Throws ``BarrierError/invalidUnsealKey`` when the key is
    /// not this cluster's, ``BarrierError/integrity(path:)`` when the blob was altered.
    public static func openForJoin(
        _ sealed: [UInt8], context: String, rootKeyRecord: [UInt8], unsealKey: SecretKey
    ) throws -> [UInt8] {
        let parts = try BarrierEnvelope.parse(rootKeyRecord)
        var plaintext: Data
        do {
            plaintext = try BarrierEnvelope.open(parts, key: unsealKey, path: rootKeyPath)
        } catch {
            throw BarrierError.invalidUnsealKey
        }
        defer { plaintext.withUnsafeMutableBytes { secureZero($0) } }
        let rootKey = try SecretKey(bytes: plaintext)
        defer { rootKey.zero() }
        let key = try joinKey(rootKey: rootKey)
        defer { key.zero() }
        return [UInt8](try BarrierEnvelope.open(BarrierEnvelope.parse(sealed), key: key, path: "join/" + context))
    }

    // MARK: - DR replication

    /// A copy of the root key, for a DR secondary that authenticated over mutual TLS: it receives this
    /// cluster's stored records as ciphertext and needs the root key to open the keyring they are sealed
    /// under. The caller zeroes the bytes once sent.
    public func rootKeyForReplication() throws -> [UInt8] {
        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        return unsealed.rootKey.copyBytes()
    }

    /// Replaces the keys in memory with `rootKey` (another cluster's, received by a DR secondary) and the
    /// keyring it opens from physical storage (replicated from that cluster). The previous keys are zeroed.
    /// Afterwards the stored root-key record, not this node's old unseal key, is what unseals the node.
    public func adopt(rootKey bytes: [UInt8]) async throws {
        await beginKeyOperation()
        defer { endKeyOperation() }
        let rootKey = try SecretKey(bytes: bytes)
        do {
            guard let record = try await physical.get(Self.keyringPath) else {
                throw BarrierError.malformed("the replicated keyring is missing")
            }
            let keyring = try openKeyring(record, rootKey: rootKey)
            if case .unsealed(let previous) = state {
                previous.rootKey.zero()
                previous.keyring.zeroAll()
            }
            state = .unsealed(Unsealed(rootKey: rootKey, keyring: keyring))
        } catch {
            rootKey.zero()
            throw error
        }
    }

    /// Encrypts `records` (path, plaintext) under the active key of the keyring in `keyringRecord`, opened
    /// with `rootKey`: how a DR secondary re-seals its own records for the keyring it is about to adopt, in
    /// the same batch that installs that keyring.
    public static func seal(
        _ records: [(path: String, value: [UInt8])], keyringRecord: [UInt8], rootKey bytes: [UInt8]
    ) throws -> [(path: String, value: [UInt8])] {
        let rootKey = try SecretKey(bytes: bytes)
        defer { rootKey.zero() }
        let parts = try BarrierEnvelope.parse(keyringRecord)
        var plaintext = try BarrierEnvelope.open(parts, key: rootKey, path: keyringPath)
        defer { plaintext.withUnsafeMutableBytes { secureZero($0) } }
        let keyring = try Keyring(decoding: plaintext)
        defer { keyring.zeroAll() }
        let active = keyring.active
        return try records.map { record in
            try checkDataPath(record.path)
            let sealed = try BarrierEnvelope.seal(record.value, key: active.key, term: active.term, path: record.path)
            return (record.path, sealed)
        }
    }

    // MARK: - Snapshots

    /// HMAC-SHA256 of `message` under a key derived (HKDF-SHA256, its own purpose string) from the root key:
    /// the sealed checksum of a snapshot archive. Only a barrier unsealed with the same root key computes the
    /// same value, so a restore can tell an archive of this cluster from one of another.
    public func snapshotSeal(_ message: [UInt8]) throws -> [UInt8] {
        guard case .unsealed(let unsealed) = state else { throw BarrierError.sealed }
        let key = unsealed.rootKey.withUnsafeBytes { bytes in
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: bytes), info: Array("coffer snapshot seal".utf8),
                outputByteCount: 32)
        }
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    private static func joinKey(rootKey: SecretKey) throws -> SecretKey {
        let derived = rootKey.withUnsafeBytes { bytes in
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: bytes), info: Array("coffer cluster join".utf8), outputByteCount: 32)
        }
        return try derived.withUnsafeBytes { try SecretKey(bytes: $0) }
    }

    // MARK: - Storage

    /// Reads and decrypts the value at `key`, or nil if there is none.
    public func get(_ key: String) async throws -> [UInt8]? {
        try Self.checkDataPath(key)
        _ = try unsealedState()
        guard let stored = try await physical.get(key) else { return nil }
        let parts = try BarrierEnvelope.parse(stored)
        // Re-read the state: the barrier may have been sealed while the read was pending.
        let unsealed = try unsealedState()
        guard let dataKey = unsealed.keyring.key(for: parts.term) else {
            throw BarrierError.unknownTerm(parts.term)
        }
        return try [UInt8](BarrierEnvelope.open(parts, key: dataKey, path: key))
    }

    /// Encrypts `value` under the active term for `key` and writes it.
    public func put(_ key: String, _ value: [UInt8]) async throws {
        try Self.checkDataPath(key)
        let ciphertext = try encrypt(value, path: key)
        try await physical.put(key, ciphertext)
    }

    /// Deletes the value at `key`.
    public func delete(_ key: String) async throws {
        try Self.checkDataPath(key)
        _ = try unsealedState()
        try await physical.delete(key)
    }

    /// The names below `prefix`, straight from physical storage (keys are not secret).
    public func list(prefix: String) async throws -> [String] {
        _ = try unsealedState()
        return try await physical.list(prefix: prefix)
    }

    /// Encrypts every put and applies the batch atomically in physical storage.
    public func batch(_ operations: [StorageOperation]) async throws {
        for operation in operations { try Self.checkDataPath(operation.key) }
        _ = try unsealedState()
        var encrypted = [StorageOperation]()
        encrypted.reserveCapacity(operations.count)
        for operation in operations {
            switch operation {
            case .put(let key, let value):
                encrypted.append(.put(key: key, value: try encrypt(value, path: key)))
            case .delete:
                encrypted.append(operation)
            }
        }
        try await physical.batch(encrypted)
    }

    // MARK: - Internals

    private func unsealedState() throws(BarrierError) -> Unsealed {
        guard case .unsealed(let unsealed) = state else { throw .sealed }
        return unsealed
    }

    private func encrypt(_ value: [UInt8], path: String) throws -> [UInt8] {
        guard case .unsealed(var unsealed) = state else { throw BarrierError.sealed }
        let active = unsealed.keyring.active
        let ciphertext = try BarrierEnvelope.seal(value, key: active.key, term: active.term, path: path)
        unsealed.encryptions &+= 1
        state = .unsealed(unsealed)
        return ciphertext
    }

    /// Refuses the barrier's own records and everything below them.
    static func checkDataPath(_ path: String) throws(BarrierError) {
        for reserved in [rootKeyPath, keyringPath] where path == reserved || path.hasPrefix(reserved + "/") {
            throw .reservedPath(path)
        }
    }

    private func sealRootKey(_ rootKey: SecretKey, under unsealKey: SecretKey) throws -> [UInt8] {
        var plaintext = rootKey.copyBytes()
        defer { secureZero(&plaintext) }
        return try BarrierEnvelope.seal(plaintext, key: unsealKey, term: 0, path: Self.rootKeyPath)
    }

    private func sealKeyring(_ keyring: Keyring, under rootKey: SecretKey) throws -> [UInt8] {
        var plaintext = keyring.encoded()
        defer { secureZero(&plaintext) }
        return try BarrierEnvelope.seal(plaintext, key: rootKey, term: 0, path: Self.keyringPath)
    }

    /// Decrypts the stored root key with `unsealKey`; the caller zeroes the result.
    private func openRootKey(with unsealKey: SecretKey) async throws -> SecretKey {
        guard let record = try await physical.get(Self.rootKeyPath) else { throw BarrierError.notInitialized }
        let parts = try BarrierEnvelope.parse(record)
        guard parts.term == 0 else { throw BarrierError.malformed("root key record has term \(parts.term)") }
        var plaintext: Data
        do {
            plaintext = try BarrierEnvelope.open(parts, key: unsealKey, path: Self.rootKeyPath)
        } catch {
            throw BarrierError.invalidUnsealKey
        }
        defer { plaintext.withUnsafeMutableBytes { secureZero($0) } }
        return try SecretKey(bytes: plaintext)
    }

    private func openKeyring(_ record: [UInt8], rootKey: SecretKey) throws -> Keyring {
        let parts = try BarrierEnvelope.parse(record)
        guard parts.term == 0 else { throw BarrierError.malformed("keyring record has term \(parts.term)") }
        var plaintext = try BarrierEnvelope.open(parts, key: rootKey, path: Self.keyringPath)
        defer { plaintext.withUnsafeMutableBytes { secureZero($0) } }
        return try Keyring(decoding: plaintext)
    }

    private func beginKeyOperation() async {
        if !keyOperationRunning {
            keyOperationRunning = true
            return
        }
        await withCheckedContinuation { keyOperationWaiters.append($0) }
    }

    private func endKeyOperation() {
        if keyOperationWaiters.isEmpty {
            keyOperationRunning = false
        } else {
            // Hand the operation slot straight to the next waiter.
            keyOperationWaiters.removeFirst().resume()
        }
    }
}

extension Barrier {
    /// The root key's bytes while unsealed, for tests that scan storage for it.
    func rootKeyBytesForTesting() -> [UInt8]? {
        guard case .unsealed(let unsealed) = state else { return nil }
        return unsealed.rootKey.copyBytes()
    }

    /// The live key objects (root key first, then keyring keys by term), for tests that
    /// check they are zeroed by `seal()`.
    func keysForTesting() -> [SecretKey] {
        guard case .unsealed(let unsealed) = state else { return [] }
        return [unsealed.rootKey] + unsealed.keyring.entries.keys.sorted().compactMap { unsealed.keyring.key(for: $0) }
    }
}
