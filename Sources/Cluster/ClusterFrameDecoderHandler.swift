import NIOCore

/// Splits the decrypted byte stream of a cluster connection into `ClusterFrame`s.
///
/// A decode error propagates as `errorCaught` and the connection handler closes the channel. Because oversize
/// length prefixes are rejected before their payload is buffered, the cumulation buffer stays below
/// `maximumFrameSize` plus one read. Lives in one channel's pipeline (its event loop owns it).
struct ClusterFrameDecoderHandler: ByteToMessageDecoder {
    typealias InboundOut = ClusterFrame

    let codec: ClusterFrameCodec

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try codec.decode(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
