/// Why bytes read from a cluster connection are not a valid frame. Any of these closes the connection.
public enum ClusterFrameError: Error, Hashable, Sendable {
    /// The length prefix is smaller than the fixed header.
    case lengthBelowHeader(length: UInt32)
    /// The length prefix exceeds the configured maximum; detected before any buffer is allocated for it.
    case frameTooLarge(length: Int, maximum: Int)
    /// The frame type byte is not `hello` or a known `ClusterMessage.Kind`.
    case unknownFrameType(UInt8)
    /// A `hello` frame with a protocol version this node does not speak.
    case unsupportedProtocolVersion(UInt64)
    /// A `hello` frame whose payload is not a well-formed node id.
    case malformedNodeID
}
