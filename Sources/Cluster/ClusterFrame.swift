/// What one length-prefixed frame on a cluster connection carries.
///
/// Wire layout (all integers big-endian):
///
/// ```
/// +----------------+-----------+--------------------+-----------------+
/// | length: UInt32 | type: u8  | correlation: u64   | payload         |
/// +----------------+-----------+--------------------+-----------------+
///   length = 9 + payload.count (everything after the length field)
/// ```
///
/// `type` 0 is the connection handshake (`hello`); types 1...5 are `ClusterMessage.Kind` raw values.
public enum ClusterFrame: Hashable, Sendable {
    /// The first frame each side sends after the TLS handshake: the sender's node id, which must match the
    /// node id in the sender's certificate. Its correlation field holds the protocol version.
    case hello(ClusterNodeID)
    /// An application message.
    case message(ClusterMessage)

    /// The transport protocol version written into `hello` frames.
    public static let protocolVersion: UInt64 = 1

    /// A name for logs: the frame type, never its contents.
    public var typeName: String {
        switch self {
        case .hello: "hello"
        case .message(let message): message.kind.description
        }
    }
}
