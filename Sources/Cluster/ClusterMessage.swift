/// One unit carried by the cluster transport: a channel kind, a correlation id and opaque payload bytes.
///
/// The transport never interprets `payload`; it only frames it. Logs name the `kind` and the payload size,
/// never the payload itself.
public struct ClusterMessage: Hashable, Sendable {
    /// Which logical channel the message belongs to. The raw value is the byte written on the wire.
    public enum Kind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// A Raft RPC (AppendEntries, RequestVote, their responses, ...). Loss is tolerated by Raft.
        case raft = 1
        /// A client request a standby forwards to the active node; answered by a `forwardResponse`.
        case forwardRequest = 2
        /// The answer to a request (`forwardRequest`, an acknowledged `snapshotChunk`, ...), carrying the request's
        /// correlation id.
        case forwardResponse = 3
        /// One chunk of a streamed snapshot install.
        case snapshotChunk = 4
        /// Transport-level or runtime control traffic (join challenge, DR shipping control, ...).
        case control = 5
        /// A standby asks the leader for a read index (empty payload); answered by a `forwardResponse` with the
        /// index, 8 bytes big-endian, or with no bytes when the leader cannot confirm its leadership.
        case readIndex = 6

        public var description: String {
            switch self {
            case .raft: "raft"
            case .forwardRequest: "forwardRequest"
            case .forwardResponse: "forwardResponse"
            case .snapshotChunk: "snapshotChunk"
            case .control: "control"
            case .readIndex: "readIndex"
            }
        }
    }

    /// The logical channel.
    public var kind: Kind
    /// Pairs a response with its request; `0` means "not part of a request/response exchange".
    public var correlationID: UInt64
    /// Opaque bytes owned by the layer above.
    public var payload: [UInt8]

    public init(kind: Kind, correlationID: UInt64 = 0, payload: [UInt8]) {
        self.kind = kind
        self.correlationID = correlationID
        self.payload = payload
    }

    /// The response to `self` (a request), carrying the same correlation id.
    public func response(kind: Kind = .forwardResponse, payload: [UInt8]) -> ClusterMessage {
        ClusterMessage(kind: kind, correlationID: correlationID, payload: payload)
    }
}
