import NIOCore

/// An incremental decoder over plain bytes, for callers (and tests) that do not hold a NIO `ByteBuffer`.
///
/// Feed bytes in any split; `next()` returns frames in the order their bytes arrived. After `next()` throws the
/// decoder stays failed: the stream cannot be resynchronised, just as the connection would be closed.
/// A value type; not shared.
public struct ClusterFrameDecoder: Sendable {
    private let codec: ClusterFrameCodec
    private var buffer: ByteBuffer
    private var failure: ClusterFrameError?

    public init(codec: ClusterFrameCodec = ClusterFrameCodec()) {
        self.codec = codec
        self.buffer = ByteBufferAllocator().buffer(capacity: 0)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        buffer.writeBytes(bytes)
    }

    /// Bytes received but not yet consumed by a decoded frame.
    public var bufferedByteCount: Int { buffer.readableBytes }

    /// The next complete frame, or `nil` when more bytes are needed.
    public mutating func next() throws(ClusterFrameError) -> ClusterFrame? {
        if let failure { throw failure }
        do {
            let frame = try codec.decode(&buffer)
            buffer.discardReadBytes()
            return frame
        } catch {
            failure = error
            throw error
        }
    }
}
