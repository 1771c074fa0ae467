import Core

extension CoreError {
    /// A 500 worded as OpenBao words an internal error returned by a handler: Go's
    /// multierror format, `1 error occurred:\n\t* <message>\n\n`.
    static func goError(_ message: String) -> CoreError {
        .internal(wrapped(message))
    }

    /// OpenBao's multierror wording around one message.
    static func wrapped(_ message: String) -> String {
        "1 error occurred:\n\t* \(message)\n\n"
    }
}
