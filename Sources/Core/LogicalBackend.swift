import Foundation
import Storage

/// A secrets engine or auth method mounted at a path (`secret/`, `auth/approle/`).
///
/// The core routes a request to the backend of the longest matching mount, after the
/// token and ACL checks, with the path made relative to the mount and a storage view
/// that sees only this mount's keys (barrier-encrypted underneath). A backend never
/// sees HTTP, Raft or encryption.
///
/// Implementations must be safe to call concurrently; the core does not serialise
/// requests to one backend. A backend that needs read-modify-write atomicity on a key
/// serialises it itself (e.g. with ``KeyedLock``).
public protocol LogicalBackend: Sendable {
    /// Answers a request. Return `nil` for "no such path in this backend" (the core
    /// answers 404 with Vault's message).
    func handle(_ request: BackendRequest) async throws(CoreError) -> Response?

    /// Whether the request's target exists: the ACL check calls a PUT/POST on an
    /// existing target `update`, otherwise `create`. Backends without the distinction
    /// answer `true` (everything is an update).
    func exists(_ request: BackendRequest) async throws(CoreError) -> Bool

    /// Paths, relative to the mount, that need no token (an auth method's `login`).
    var unauthenticatedPaths: [String] { get }
}

extension LogicalBackend {
    public func exists(_ request: BackendRequest) async throws(CoreError) -> Bool { true }
    public var unauthenticatedPaths: [String] { [] }
}

/// A request as a backend sees it.
public struct BackendRequest: Sendable {
    public var operation: Operation
    /// The path below the mount point, without a leading slash ("" for the mount root).
    public var path: String
    public var data: [String: JSONValue]
    /// This mount's storage: keys are relative to the mount.
    public var storage: any Storage
    /// The mount point, with its trailing slash ("secret/").
    public var mountPoint: String
    /// Who is asking; nil on unauthenticated paths.
    public var caller: Caller?
    public var remoteAddress: String?
    /// The time the request is handled, so backends read no clock of their own.
    public var now: Date
    /// Set when the core will wrap a successful response (`X-Vault-Wrap-TTL`); see ``ResponseWrapping``.
    public var wrapping: ResponseWrapping?

    public init(
        operation: Operation, path: String, data: [String: JSONValue], storage: any Storage,
        mountPoint: String, caller: Caller? = nil, remoteAddress: String? = nil, now: Date
    ) {
        self.operation = operation
        self.path = path
        self.data = data
        self.storage = storage
        self.mountPoint = mountPoint
        self.caller = caller
        self.remoteAddress = remoteAddress
        self.now = now
    }
}

/// Lets a backend whose response will be wrapped commit its own writes and the wrapping in one atomic batch,
/// under whatever locks it holds: one Raft round instead of two, and no state in which the writes exist but
/// the response that reveals them was never stored (AppRole's wrapped secret_id issue).
///
/// `commit(_:with:)` scopes `operations` (keyed as in the backend's storage) to the mount, adds the wrapping
/// token and the stored response, writes all of it at once and answers the wrapping response (`wrap_info`),
/// which the core then passes on as it is. A backend that does not use it is wrapped by the core as usual.
public struct ResponseWrapping: Sendable {
    let commit: @Sendable ([StorageOperation], Response) async throws(CoreError) -> Response

    public init(commit: @escaping @Sendable ([StorageOperation], Response) async throws(CoreError) -> Response) {
        self.commit = commit
    }

    public func commit(_ operations: [StorageOperation], with response: Response) async throws(CoreError) -> Response {
        try await commit(operations, response)
    }
}

/// The authenticated client behind a request, as far as a backend needs to know.
public struct Caller: Sendable, Equatable {
    /// The token's accessor (never the token itself).
    public var accessor: String
    public var policies: [String]
    public var displayName: String
    /// A per-token identifier for token-scoped storage (cubbyhole): an HMAC of the
    /// token, stable for the token's life, revealing nothing about it.
    public var tokenStorageID: String

    public init(accessor: String, policies: [String], displayName: String, tokenStorageID: String) {
        self.accessor = accessor
        self.policies = policies
        self.displayName = displayName
        self.tokenStorageID = tokenStorageID
    }
}

/// Makes a backend for a mount of a given type ("kv", "cubbyhole", "approle", ...),
/// with the mount's options (`{"version": "2"}` for KV v2).
public typealias BackendFactory = @Sendable (_ type: String, _ options: [String: String]) -> (any LogicalBackend)?
