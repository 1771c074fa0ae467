/// Every way a request can fail inside the core. The API edge maps each case to
/// Vault's status code and `{"errors":[...]}` body in one place.
public enum CoreError: Error, Sendable, Equatable {
    /// 400: the request is malformed or not allowed in the current state.
    case badRequest(String)
    /// 403 `permission denied`: missing, unknown, revoked or expired token, or ACL denial.
    case permissionDenied
    /// 404 with the given messages (Vault answers an empty list for a missing path).
    case notFound([String])
    /// 405 `unsupported operation`.
    case unsupportedOperation
    /// 405 with an empty error list, for methods an endpoint does not take.
    case methodNotAllowed
    /// 503 `Vault is sealed`.
    case sealed
    /// This node is a standby: the API forwards the request to the active node (503 if it cannot).
    case standby
    /// 503 with a message: no leader, not ready.
    case unavailable(String)
    /// 500: a fault of ours or of the storage beneath; the message names no secret.
    case `internal`(String)
}

extension CoreError {
    /// Vault's status code and `errors` list for this error: the single mapping the HTTP
    /// layer (and any test harness speaking the wire format) uses.
    public var wire: (status: Int, messages: [String]) {
        switch self {
        case .badRequest(let message): (400, [message])
        case .permissionDenied: (403, ["permission denied"])
        case .notFound(let messages): (404, messages)
        case .unsupportedOperation: (405, ["unsupported operation"])
        case .methodNotAllowed: (405, [])
        case .sealed: (503, ["Vault is sealed"])
        case .standby: (503, ["node is a standby and no active node could be reached"])
        case .unavailable(let message): (503, [message])
        case .internal(let message): (500, [message])
        }
    }
}
