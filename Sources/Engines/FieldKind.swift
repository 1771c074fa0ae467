/// The type of one request field, as OpenBao's framework declares it. Decoding follows
/// Go's weak decoding (numbers written as strings are numbers, `true` is 1, ...), so the
/// same request succeeds or fails the same way in both servers.
enum FieldKind: Sendable {
    case string
    case int
    case bool
    case map
    /// A duration in seconds, negative values refused.
    case durationSecond
    /// A duration in seconds, negative values allowed.
    case signedDurationSecond
    /// A list of integers, or a comma-separated string of them.
    case commaIntSlice
}
