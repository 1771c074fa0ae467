import NIOCore

/// Encodes and decodes `ClusterFrame`s with a 4-byte big-endian length prefix.
///
/// Guarantees: decoding never traps on any input; a length prefix above `maximumFrameSize` is rejected as soon as
/// its four bytes are read, before the payload is buffered; a rejected frame leaves the caller to close the
/// connection (the codec does not try to resynchronise). A value type with no shared state.
public struct ClusterFrameCodec: Sendable {
    /// Bytes after the length prefix that every frame carries: type (1) + correlation id (8).
    public static let headerSize = 9
    /// Bytes of the length prefix.
    public static let lengthPrefixSize = 4
    /// The default maximum of `length` (header + payload): 16 MiB, room for a snapshot chunk of a few MiB.
    public static let defaultMaximumFrameSize = 16 * 1024 * 1024

    /// The largest accepted value of the length prefix (header + payload).
    public let maximumFrameSize: Int

    /// - Parameter maximumFrameSize: the limit; raised to at least 72 bytes so a `hello` always fits.
    public init(maximumFrameSize: Int = ClusterFrameCodec.defaultMaximumFrameSize) {
        self.maximumFrameSize = max(maximumFrameSize, Self.headerSize + 63)
    }

    /// Bytes of payload a frame may carry under this codec's limit.
    public var maximumPayloadSize: Int { maximumFrameSize - Self.headerSize }

    /// Appends the encoded frame to `buffer`.
    /// - Throws: `ClusterFrameError.frameTooLarge` when the frame would exceed `maximumFrameSize`.
    public func encode(_ frame: ClusterFrame, into buffer: inout ByteBuffer) throws(ClusterFrameError) {
        let type: UInt8
        let correlation: UInt64
        switch frame {
        case .hello(let node):
            type = 0
            correlation = ClusterFrame.protocolVersion
            let idBytes = Array(node.rawValue.utf8)
            buffer.writeInteger(UInt32(Self.headerSize + idBytes.count))
            buffer.writeInteger(type)
            buffer.writeInteger(correlation)
            buffer.writeBytes(idBytes)
        case .message(let message):
            let length = Self.headerSize + message.payload.count
            guard length <= maximumFrameSize else {
                throw .frameTooLarge(length: length, maximum: maximumFrameSize)
            }
            buffer.reserveCapacity(minimumWritableBytes: Self.lengthPrefixSize + length)
            buffer.writeInteger(UInt32(length))
            buffer.writeInteger(message.kind.rawValue)
            buffer.writeInteger(message.correlationID)
            buffer.writeBytes(message.payload)
        }
    }

    /// The encoded frame as bytes.
    public func encode(_ frame: ClusterFrame) throws(ClusterFrameError) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        try encode(frame, into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Reads one frame from the front of `buffer`.
    ///
    /// - Returns: the frame, or `nil` (with `buffer` untouched) when more bytes are needed.
    /// - Throws: `ClusterFrameError` when the bytes can never become a valid frame.
    public func decode(_ buffer: inout ByteBuffer) throws(ClusterFrameError) -> ClusterFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= UInt32(Self.headerSize) else { throw .lengthBelowHeader(length: length) }
        guard Int(length) <= maximumFrameSize else {
            throw .frameTooLarge(length: Int(length), maximum: maximumFrameSize)
        }
        guard buffer.readableBytes >= Self.lengthPrefixSize + Int(length) else { return nil }

        let start = buffer.readerIndex
        guard
            let type = buffer.getInteger(at: start + Self.lengthPrefixSize, as: UInt8.self),
            let correlation = buffer.getInteger(at: start + Self.lengthPrefixSize + 1, as: UInt64.self),
            let payload = buffer.getBytes(
                at: start + Self.lengthPrefixSize + Self.headerSize,
                length: Int(length) - Self.headerSize
            )
        else { return nil }

        let frame: ClusterFrame
        if type == 0 {
            guard correlation == ClusterFrame.protocolVersion else { throw .unsupportedProtocolVersion(correlation) }
            guard let node = ClusterNodeID(String(decoding: payload, as: UTF8.self)),
                  node.rawValue.utf8.count == payload.count
            else { throw .malformedNodeID }
            frame = .hello(node)
        } else if let kind = ClusterMessage.Kind(rawValue: type) {
            frame = .message(ClusterMessage(kind: kind, correlationID: correlation, payload: payload))
        } else {
            throw .unknownFrameType(type)
        }
        buffer.moveReaderIndex(forwardBy: Self.lengthPrefixSize + Int(length))
        return frame
    }
}
