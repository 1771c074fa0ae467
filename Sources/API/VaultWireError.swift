import Core

/// The one place where core errors become Vault's status codes and error bodies.
enum VaultWireError {
    static func status(and messages: CoreError) -> (Int, [String]) {
        switch messages {
        case .badRequest(let message): (400, [message])
        case .permissionDenied: (403, ["permission denied"])
        case .notFound(let messages): (404, messages)
        case .unsupportedOperation: (405, ["unsupported operation"])
        case .methodNotAllowed: (405, [])
        case .sealed: (503, ["Vault is sealed"])
        case .unavailable(let message): (503, [message])
        case .internal(let message): (500, [message])
        }
    }
}
