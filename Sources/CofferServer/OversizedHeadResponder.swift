import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request head over the decoder's limits (header block, one field, field
/// count) with `431` and a Vault-style error body, then closes, instead of the bare
/// `400` the HTTP layer would send.
///
/// Not `Sendable`: one instance per connection, on the channel's event loop.
final class OversizedHeadResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    static let message = "request header fields too large: the request line and headers are over the server's limit"

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(string: "{\"errors\":[\"\(Self.message)\"]}\n")
        var head = HTTPResponse(status: .init(code: 431))
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
