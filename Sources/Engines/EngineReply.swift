import Core

/// The shapes of answer OpenBao's framework gives that the plain ``Response`` helpers do
/// not cover: a status other than 200 with a logical body, the core's multi-error wording
/// of backend faults, the 405 of an operation a path does not take, and list answers.
enum EngineReply {
    /// A logical envelope with an explicit status (OpenBao's `RespondWithStatusCode`),
    /// e.g. 404 with the version metadata of a deleted version.
    static func logical(
        status: Int, data: [String: JSONValue]?, warnings: [String]? = nil
    ) -> Response {
        Response(status: status, body: .logical(LogicalBody(data: data, warnings: warnings)))
    }

    /// 404 with no body at all, as OpenBao answers a PATCH of a missing key.
    static let emptyNotFound = Response(status: 404, body: .none)

    /// OpenBao's 405 for an operation the matched path does not support; the core wraps
    /// the framework's error in a multi-error, and that wording reaches the wire.
    static var unsupportedOperation: Response {
        Response.raw(.object(["errors": .array([.string(multiError("unsupported operation"))])]), status: 405)
    }

    /// A backend fault, worded as the core's multi-error wraps it (500).
    static func fault(_ message: String) -> CoreError {
        CoreError.internal(multiError(message))
    }

    /// Go's `go-multierror` text for one error.
    static func multiError(_ message: String) -> String {
        "1 error occurred:\n\t* \(message)\n\n"
    }

    /// Go's `go-multierror` text for several errors.
    static func multiError(_ messages: [String]) -> String {
        if messages.count == 1 { return multiError(messages[0]) }
        return "\(messages.count) errors occurred:\n" + messages.map { "\t* \($0)\n" }.joined() + "\n"
    }

    /// OpenBao's answer for a missing entry, version or empty list: 404 with an empty
    /// error list. (A backend's nil means "no such path", which the core words otherwise.)
    static let notFound = CoreError.notFound([])

    /// The error OpenBao's core gives for a write to a path ending in "/".
    static let writeToFolder = CoreError.badRequest("cannot write to a path ending in '/'")

    /// A LIST answer; an empty list is a 404 with no errors, as on the wire.
    static func list(_ keys: [String], keyInfo: [String: JSONValue]? = nil) throws(CoreError) -> Response {
        if keys.isEmpty { throw notFound }
        var data: [String: JSONValue] = ["keys": .array(keys.map(JSONValue.string))]
        if let keyInfo { data["key_info"] = .object(keyInfo) }
        return Response.data(data)
    }

    /// Appends the framework's warnings to a successful logical answer; other answers
    /// (no content, raw bodies, answers with an explicit status) carry none, as in OpenBao.
    static func addingWarnings(_ warnings: [String], to response: Response?) -> Response? {
        guard !warnings.isEmpty, var response, response.status == 200,
            case .logical(var body) = response.body
        else { return response }
        body.warnings = (body.warnings ?? []) + warnings
        response.body = .logical(body)
        return response
    }
}
