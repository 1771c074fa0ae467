/// One client operation as observed from outside the system: when it was invoked, when (and with what
/// output) it completed. An operation whose outcome is unknown (timed out, connection lost) has
/// `output == nil` and `returnTime == nil`: it may have taken effect at any point after its invocation,
/// or never.
///
/// Times are any monotonic clock shared by all clients (simulated or wall time); only their order matters.
/// An operation that returned before another was invoked must take effect before it.
public struct Operation<Input: Sendable, Output: Sendable>: Sendable {
    public var clientID: Int
    public var input: Input
    public var callTime: Int
    public var output: Output?
    public var returnTime: Int?

    public init(clientID: Int, input: Input, callTime: Int, output: Output?, returnTime: Int?) {
        self.clientID = clientID
        self.input = input
        self.callTime = callTime
        self.output = output
        self.returnTime = output == nil ? nil : returnTime
    }

    /// True when the outcome is unknown (a Jepsen "info" operation).
    public var isIndeterminate: Bool { output == nil }
}
