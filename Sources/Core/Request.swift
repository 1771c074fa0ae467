/// What a request asks to do, in Vault's terms. `create` and `update` both come from
/// PUT/POST; the ACL check tells them apart by whether the target exists.
public enum Operation: String, Sendable, Equatable {
    case create, read, update, patch, delete, list
    /// HEAD, used only by `sys/health`.
    case head
}

/// A client request after the HTTP layer took it apart. Holds no HTTP types: the core
/// sees the same request whether it came from a client or was forwarded by a standby.
public struct Request: Sendable {
    public var operation: Operation
    /// The path below `/v1/`, without a leading slash.
    public var path: String
    /// The JSON body (PUT/POST/PATCH) or the query parameters (GET/DELETE/LIST).
    public var data: [String: JSONValue]
    /// The raw query parameters, for endpoints that read flags from the URL.
    public var query: [String: String]
    public var clientToken: String?
    /// `X-Vault-Wrap-TTL`, when the client asked for a wrapped response.
    public var wrapTTL: Duration?
    public var remoteAddress: String?

    public init(
        operation: Operation,
        path: String,
        data: [String: JSONValue] = [:],
        query: [String: String] = [:],
        clientToken: String? = nil,
        wrapTTL: Duration? = nil,
        remoteAddress: String? = nil
    ) {
        self.operation = operation
        self.path = path
        self.data = data
        self.query = query
        self.clientToken = clientToken
        self.wrapTTL = wrapTTL
        self.remoteAddress = remoteAddress
    }
}
