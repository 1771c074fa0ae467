import Core
import Storage

/// Cubbyhole: a private key-value space per token, answering like OpenBao 2.7.2's
/// `cubbyhole` engine. Every key is stored under `<tokenStorageID>/`, so a token sees
/// only its own entries; a request without a caller is refused (403). When a token is
/// revoked the core calls ``destroy(tokenStorageID:in:)`` to remove its whole cubbyhole.
///
/// Stateless apart from storage; safe to call concurrently.
public struct CubbyholeBackend: LogicalBackend {
    public init() {}

    static let schema = FieldSchema(["path": .string], existenceCheck: true)

    public func handle(_ request: BackendRequest) async throws(CoreError) -> Response? {
        guard let caller = request.caller, !caller.tokenStorageID.isEmpty else { throw CoreError.permissionDenied }
        let scope = caller.tokenStorageID + "/"
        let path = request.path
        if [.create, .update, .patch].contains(request.operation) && path.hasSuffix("/") {
            throw EngineReply.writeToFolder
        }
        let response: Response?
        switch request.operation {
        case .read:
            if path.isEmpty { throw EngineReply.fault("missing path") }
            guard let bytes = try await StoredRecord.get(scope + path, in: request.storage) else {
                throw EngineReply.notFound
            }
            guard case .object(let secret)? = try? JSONValue.parse(bytes) else {
                throw EngineReply.fault("json decoding failed: stored value is not a JSON object")
            }
            response = Response.data(secret)
        case .create, .update:
            if request.data.isEmpty { throw EngineReply.fault("missing data fields") }
            if path.isEmpty { throw EngineReply.fault("missing path") }
            let bytes = JSONValue.object(request.data).serialized()
            try await StoredRecord.apply([.put(key: scope + path, value: bytes)], to: request.storage)
            response = .noContent
        case .delete:
            try await StoredRecord.apply([.delete(key: scope + path)], to: request.storage)
            response = .noContent
        case .list:
            let folder = path.isEmpty || path.hasSuffix("/") ? path : path + "/"
            response = try EngineReply.list(try await StoredRecord.list(scope + folder, in: request.storage))
        case .patch, .head:
            return EngineReply.unsupportedOperation
        }
        return EngineReply.addingWarnings(
            Self.schema.warnings(for: request.data, operation: request.operation), to: response)
    }

    public func exists(_ request: BackendRequest) async throws(CoreError) -> Bool {
        guard let caller = request.caller, !caller.tokenStorageID.isEmpty, !request.path.isEmpty else { return false }
        return try await StoredRecord.get(caller.tokenStorageID + "/" + request.path, in: request.storage) != nil
    }

    /// Removes every entry of one token's cubbyhole from `storage` (the cubbyhole
    /// mount's storage view) in one atomic batch. Idempotent.
    public static func destroy(tokenStorageID: String, in storage: any Storage) async throws(CoreError) {
        guard !tokenStorageID.isEmpty else { throw EngineReply.fault("client token empty during revocation") }
        var keys: [String] = []
        var folders = [tokenStorageID + "/"]
        while let folder = folders.popLast() {
            for name in try await StoredRecord.list(folder, in: storage) {
                if name.hasSuffix("/") {
                    folders.append(folder + name)
                } else {
                    keys.append(folder + name)
                }
            }
        }
        try await StoredRecord.apply(keys.map { .delete(key: $0) }, to: storage)
    }
}
