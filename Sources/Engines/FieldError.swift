/// A field decoding failure, with Go's wording of the cause.
public struct FieldError: Error, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
