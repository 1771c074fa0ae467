import Core
import Foundation
import Storage

/// KV version 1: unversioned key-value secrets at any path, answering like OpenBao
/// 2.7.2's `kv` engine with `version=1`. A write replaces the whole JSON object at the
/// path; a read reports a lease duration of the object's `ttl` (or `lease`) field when
/// it parses as a duration, else the mount default of 768h; no lease is registered.
///
/// Stateless apart from storage, so safe to call concurrently; each write is a single
/// storage put (last writer wins, as in OpenBao).
public struct KVv1Backend: LogicalBackend {
    /// The lease duration reported when a secret carries no usable `ttl` (768h).
    public let defaultLeaseSeconds: Int

    public init(defaultLeaseSeconds: Int = 2_764_800) {
        self.defaultLeaseSeconds = defaultLeaseSeconds
    }

    static let schema = FieldSchema(["path": .string], existenceCheck: true)

    public func handle(_ request: BackendRequest) async throws(CoreError) -> Response? {
        let key = request.path
        if [.create, .update, .patch].contains(request.operation) && key.hasSuffix("/") {
            throw EngineReply.writeToFolder
        }
        let response: Response?
        switch request.operation {
        case .read: response = try await read(key, request)
        case .create, .update: response = try await write(key, request)
        case .delete: response = try await delete(key, request)
        case .list: response = try await list(key, request)
        case .patch, .head: return EngineReply.unsupportedOperation
        }
        return EngineReply.addingWarnings(
            Self.schema.warnings(for: request.data, operation: request.operation), to: response)
    }

    public func exists(_ request: BackendRequest) async throws(CoreError) -> Bool {
        guard !request.path.isEmpty else { return false }
        return try await StoredRecord.get(request.path, in: request.storage) != nil
    }

    private func read(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        guard !key.isEmpty, let bytes = try await StoredRecord.get(key, in: request.storage) else {
            throw EngineReply.notFound
        }
        guard case .object(let secret)? = try? JSONValue.parse(bytes) else {
            throw EngineReply.fault("json decoding failed: stored value is not a JSON object")
        }
        var leaseSeconds = defaultLeaseSeconds
        if let ttl = secret["ttl"] ?? secret["lease"], case .success(let nanos) = GoDuration.parseSeconds(ttl) {
            leaseSeconds = Int(clamping: nanos / 1_000_000_000)
        }
        return Response(status: 200, body: .logical(LogicalBody(data: secret, leaseDuration: leaseSeconds)))
    }

    private func write(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        if key.isEmpty { throw CoreError.badRequest("missing path") }
        if request.data.isEmpty { throw CoreError.badRequest("missing data fields") }
        let bytes = JSONValue.object(request.data).serialized()
        try await StoredRecord.apply([.put(key: key, value: bytes)], to: request.storage)
        return .noContent
    }

    private func delete(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        if !key.isEmpty { try await StoredRecord.apply([.delete(key: key)], to: request.storage) }
        return .noContent
    }

    private func list(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        let folder = key.isEmpty || key.hasSuffix("/") ? key : key + "/"
        return try EngineReply.list(try await StoredRecord.list(folder, in: request.storage))
    }
}
