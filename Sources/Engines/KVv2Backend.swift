import Core
import Crypto
import Storage

/// KV version 2: versioned key-value secrets with check-and-set, soft delete, undelete,
/// destroy, per-key metadata and mount-wide settings, answering like OpenBao 2.7.2's
/// `kv` engine with `version=2` (paths `config`, `data/`, `metadata/`,
/// `detailed-metadata/`, `delete/`, `undelete/`, `destroy/`, `subkeys/`).
///
/// Guarantees: every change to one key (write, patch, delete, undelete, destroy,
/// metadata write/patch/delete) runs under that key's lock and lands in storage as one
/// atomic batch, so concurrent writers never lose a version and exactly one of several
/// writers with the same `cas` succeeds. Time comes only from `BackendRequest.now`.
/// Safe to call concurrently: the only state is the lock table (an actor).
///
/// Storage layout below the mount: `config`, `metadata/<key>`, and
/// `versions/<sha256(key)>/<number>`; every record is JSON.
public struct KVv2Backend: LogicalBackend {
    let locks = KeyedLock()

    public init() {}

    public func handle(_ request: BackendRequest) async throws(CoreError) -> Response? {
        if [.create, .update, .patch].contains(request.operation) && request.path.hasSuffix("/") {
            throw EngineReply.writeToFolder
        }
        var request = request
        // OpenBao's HTTP layer makes every LIST path a folder ("metadata" -> "metadata/").
        if request.operation == .list && !request.path.hasSuffix("/") { request.path += "/" }
        let route = Route(request.path)
        guard let schema = route.schema else { return invalidPath(request) }
        guard route.supports(request.operation) else { return EngineReply.unsupportedOperation }
        try schema.validate(request.data, operation: request.operation)
        let response = try await dispatch(route, request, schema)
        return EngineReply.addingWarnings(
            schema.warnings(for: request.data, operation: request.operation), to: response)
    }

    public func exists(_ request: BackendRequest) async throws(CoreError) -> Bool {
        switch Route(request.path) {
        case .data(let key), .metadata(let key):
            return try await loadMetadata(key, request.storage) != nil
        default:
            return true
        }
    }

    private func dispatch(_ route: Route, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        switch (route, request.operation) {
        case (.config, .read): return try await readConfig(request)
        case (.config, _): return try await writeConfig(request, schema)
        case (.data(let key), .read): return try await readData(key, request, schema)
        case (.data(let key), .delete): return try await deleteLatest(key, request)
        case (.data(let key), .patch): return try await patchData(key, request, schema)
        case (.data(let key), _): return try await writeData(key, request, schema)
        case (.metadata(let key), .read): return try await readMetadata(key, request)
        case (.metadata(let key), .list), (.detailedMetadata(let key), .list):
            return try await listMetadata(key, detailed: route.isDetailed, request, schema)
        case (.metadata(let key), .delete): return try await deleteMetadata(key, request)
        case (.metadata(let key), .patch): return try await patchMetadata(key, request, schema)
        case (.metadata(let key), _): return try await writeMetadata(key, request, schema)
        case (.delete(let key), _): return try await deleteVersions(key, request, schema)
        case (.undelete(let key), _): return try await undeleteVersions(key, request, schema)
        case (.destroy(let key), _): return try await destroyVersions(key, request, schema)
        case (.subkeys(let key), _): return try await readSubkeys(key, request, schema)
        case (.detailedMetadata, _), (.invalid, _): return EngineReply.unsupportedOperation
        }
    }

    /// OpenBao's catch-all for paths no KV v2 endpoint matches: 404 with a warning.
    private func invalidPath(_ request: BackendRequest) -> Response {
        switch request.path {
        case "metadata", "data", "delete", "undelete", "destroy":
            return EngineReply.logical(
                status: 404, data: nil,
                warnings: ["Non-listing operations on the root of a K/V v2 mount are not supported."])
        default:
            let command: String
            switch request.operation {
            case .create, .update: command = "put"
            case .patch: command = "patch"
            case .read, .head: command = "get"
            case .list: command = "list"
            case .delete: command = "delete"
            }
            let warning =
                "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API "
                + "endpoints to use. If using the OpenBao CLI, use 'bao kv \(command)' for this operation."
            return EngineReply.logical(status: 404, data: nil, warnings: [warning])
        }
    }

    // MARK: records

    func loadConfig(_ storage: any Storage) async throws(CoreError) -> KVv2Config {
        try await StoredRecord.load(KVv2Config.self, at: Self.configKey, in: storage) ?? KVv2Config()
    }

    func loadMetadata(_ key: String, _ storage: any Storage) async throws(CoreError) -> KeyMetadata? {
        try await StoredRecord.load(KeyMetadata.self, at: Self.metadataPrefix + key, in: storage)
    }

    func loadVersion(_ key: String, _ number: UInt64, _ storage: any Storage) async throws(CoreError) -> StoredVersion {
        guard
            let version = try await StoredRecord.load(StoredVersion.self, at: Self.versionKey(key, number), in: storage)
        else { throw EngineReply.fault("could not find version data") }
        return version
    }

    /// The outcome of one read attempt made without the key's lock.
    enum ReadAttempt: Sendable {
        case answer(Response?)
        /// The metadata named a version whose data was gone: a concurrent metadata
        /// delete, destroy or pruning happened between the two storage reads.
        case raced
    }

    /// Runs a read without the key's lock and, if it raced with a change that removed the
    /// version it was reading, once more under the lock, where metadata and version data
    /// are consistent (a version's data is missing there only if storage lost it: 500).
    func readConsistently(
        _ key: String, _ request: BackendRequest,
        _ attempt: @escaping @Sendable () async throws(CoreError) -> ReadAttempt
    ) async throws(CoreError) -> Response? {
        if case .answer(let response) = try await attempt() { return response }
        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard case .answer(let response) = try await attempt() else {
                throw EngineReply.fault("could not find version data")
            }
            return response
        }
    }

    func loadVersionIfPresent(
        _ key: String, _ number: UInt64, _ storage: any Storage
    ) async throws(CoreError) -> StoredVersion? {
        try await StoredRecord.load(StoredVersion.self, at: Self.versionKey(key, number), in: storage)
    }

    func metadataPut(_ metadata: KeyMetadata) throws(CoreError) -> StorageOperation {
        .put(key: Self.metadataPrefix + metadata.key, value: try StoredRecord.encode(metadata))
    }

    static let configKey = "config"
    static let metadataPrefix = "metadata/"
    static let versionPrefix = "versions/"

    /// Where a version's data lives: the key is hashed so that any key, however long or
    /// oddly named, gives a fixed-length storage path.
    static func versionKey(_ key: String, _ number: UInt64) -> String {
        let digest = SHA256.hash(data: Array(key.utf8))
        let hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        return versionPrefix + hex + "/" + String(number)
    }

    /// The deletion time delete_version_after gives a version created (or undeleted) at
    /// `time`: the smaller non-zero of the mount's and the key's setting; nil if neither
    /// is set or the mount disabled it.
    static func scheduledDeletion(at time: Timestamp, config: KVv2Config, metadata: KeyMetadata) -> Timestamp? {
        if config.isDeleteVersionAfterDisabled { return nil }
        let mount = config.deleteVersionAfter ?? 0
        let key = metadata.deleteVersionAfter ?? 0
        if mount == 0 && key == 0 { return nil }
        var chosen = key
        if (mount != 0 && mount < chosen) || chosen == 0 { chosen = mount }
        return time.adding(seconds: chosen)
    }

    /// The lock name of a key: one lock per key of this mount.
    static func lockName(_ request: BackendRequest, _ key: String) -> String {
        request.mountPoint + "\u{0}" + key
    }
}
