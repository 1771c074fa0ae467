/// A request to the server that did not produce a usable answer. `description` is worded like Vault's Go client
/// so scripts that match on `bao`'s stderr keep working.
enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a status outside 200...399 (and not 429).
    case response(APIErrorResponse)
    /// No HTTP exchange happened: refused connection, DNS, TLS, timeout.
    case transport(method: String, url: String, reason: String)
    /// The address could not be turned into a URL.
    case badAddress(String)
    /// The server's body was not the JSON we expected.
    case badBody(String)

    var description: String {
        switch self {
        case .response(let response):
            return response.description
        case .transport(let method, let url, let reason):
            let verb = method.prefix(1).uppercased() + method.dropFirst().lowercased()
            return "\(verb) \"\(url)\": \(reason)"
        case .badAddress(let address):
            return "parse \"\(address)\": invalid URL"
        case .badBody(let reason):
            return reason
        }
    }

    /// The HTTP status, when the server answered.
    var statusCode: Int? {
        if case .response(let response) = self {
            return response.statusCode
        }
        return nil
    }
}
