/// The core's answer to a request, before the wire format.
public struct Response: Sendable, Equatable {
    /// How the body is laid out on the wire.
    public enum Body: Sendable, Equatable {
        /// No body (204 unless a status says otherwise).
        case none
        /// A JSON document sent as it is: the unauthenticated `sys/*` endpoints
        /// (`sys/init`, `sys/seal-status`, `sys/health`, ...) answer this way.
        case raw(JSONValue)
        /// Vault's logical envelope: request_id, lease_id, renewable, lease_duration,
        /// data, wrap_info, warnings, auth.
        case logical(LogicalBody)
    }

    public var status: Int
    public var body: Body

    public init(status: Int, body: Body) {
        self.status = status
        self.body = body
    }

    public static let noContent = Response(status: 204, body: .none)

    public static func raw(_ value: JSONValue, status: Int = 200) -> Response {
        Response(status: status, body: .raw(value))
    }

    /// A successful login: the core creates the token described by `auth`.
    public static func login(_ auth: LoginAuth, warnings: [String]? = nil) -> Response {
        Response(status: 200, body: .logical(LogicalBody(auth: auth, warnings: warnings)))
    }

    public static func data(_ data: [String: JSONValue], alsoAtTopLevel: Bool = false) -> Response {
        Response(status: 200, body: .logical(LogicalBody(data: data, dataAlsoAtTopLevel: alsoAtTopLevel)))
    }
}

/// The fields of Vault's logical response envelope that the core fills in.
public struct LogicalBody: Sendable, Equatable {
    public var data: [String: JSONValue]?
    public var warnings: [String]?
    public var leaseID: String
    public var leaseDuration: Int
    public var renewable: Bool
    /// Some `sys/` endpoints (key-status, mounts, policies) repeat `data`'s fields at
    /// the top level of the envelope for old clients; Vault and OpenBao still do.
    public var dataAlsoAtTopLevel: Bool
    /// Set by an auth method's login: the core turns it into a new token and answers
    /// Vault's `auth` block (client_token, accessor, policies, ...).
    public var auth: LoginAuth?
    /// Vault's `auth` block once the core has issued the token.
    public var authBlock: JSONValue?
    /// Vault's `wrap_info` when the response was wrapped.
    public var wrapInfo: JSONValue?
    /// The id the audit devices recorded this request under; the HTTP layer answers it as
    /// `request_id`, so a client's answer can be found in the audit log. Nil when no audit
    /// device is enabled (the HTTP layer then makes one up).
    public var requestID: String?

    public init(
        data: [String: JSONValue]? = nil,
        auth: LoginAuth? = nil,
        warnings: [String]? = nil,
        leaseID: String = "",
        leaseDuration: Int = 0,
        renewable: Bool = false,
        dataAlsoAtTopLevel: Bool = false
    ) {
        self.data = data
        self.warnings = warnings
        self.leaseID = leaseID
        self.leaseDuration = leaseDuration
        self.renewable = renewable
        self.dataAlsoAtTopLevel = dataAlsoAtTopLevel
        self.auth = auth
    }

    /// Vault's logical envelope, without `request_id` (the HTTP layer adds one).
    public func envelope() -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "lease_id": .string(leaseID),
            "renewable": .bool(renewable),
            "lease_duration": .int(Int64(leaseDuration)),
            "data": data.map { JSONValue.object($0) } ?? .null,
            "wrap_info": wrapInfo ?? .null,
            "warnings": warnings.map { JSONValue.array($0.map { .string($0) }) } ?? .null,
            "auth": authBlock ?? .null,
        ]
        if dataAlsoAtTopLevel, let data {
            for (key, value) in data where object[key] == nil {
                object[key] = value
            }
        }
        return object
    }
}
