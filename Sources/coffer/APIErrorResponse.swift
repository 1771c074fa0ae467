/// A non-success answer: method, full URL, status and the server's `errors` (or raw body).
struct APIErrorResponse: Sendable, CustomStringConvertible {
    var method: String
    var url: String
    var statusCode: Int
    /// The `errors` array, or `nil` when the body was not JSON.
    var errors: [String]?
    var rawBody: String

    var description: String {
        var text = "Error making API request.\n\nURL: \(method) \(url)\n"
        if let errors {
            text += "Code: \(statusCode). Errors:\n\n"
            for error in errors {
                text += "* \(error)"
            }
        } else {
            text += "Code: \(statusCode). Raw Message:\n\n\(rawBody)"
        }
        return text
    }
}
