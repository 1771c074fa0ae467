import NIOCore

/// Rewrites Vault's non-standard `LIST` request method into `GET ...?list=true` before the HTTP/1 decoder sees it.
///
/// Vault clients (hvac, Terraform, the Go API client) send `LIST <target> HTTP/1.x`. swift-nio's HTTP/1 decoder
/// (llhttp) does not know that method token and answers `400 Bad Request`. Placed first in a child channel's
/// pipeline, this handler turns the request line `LIST <target> HTTP/1.x` into
/// `GET <target>?list=true HTTP/1.x` (or `...&list=true` when the target already has a query), which
/// ``VaultHTTPResponder`` maps to the list operation. The `list=true` pair is appended last, so it wins over any
/// `list` parameter the client already sent (the responder keeps the last value of a repeated key).
///
/// Guarantees:
/// - Every byte other than a rewritten request line is forwarded unchanged and in order; no byte is dropped.
///   Bytes of an incomplete request head are held back and are forwarded when the channel becomes inactive or
///   its input is closed.
/// - Request boundaries are followed across HTTP/1.1 keep-alive: pipelined requests in one read, request heads
///   split across reads, and bodies framed by `Content-Length` are all handled. The result does not depend on how
///   the byte stream is split into reads.
/// - When the handler cannot follow the framing it switches to pass-through for the rest of the connection and
///   never rewrites again: `Transfer-Encoding` (chunked bodies), `Upgrade`, `CONNECT`, conflicting or malformed
///   `Content-Length`, folded or malformed header lines, a request line that is not `<method> <target> HTTP/1.x`,
///   or a request head longer than `maxHeadBytes` (the HTTP decoder then reports the error itself). Vault's
///   `LIST` requests carry no body, so pass-through only costs the rewrite on connections that have already
///   left the simple case.
/// - Buffering is bounded: at most `maxHeadBytes` plus one read are held at any time.
/// - It never traps on any input.
///
/// Thread-safety: not `Sendable`. Like every `ChannelHandler`, an instance belongs to one pipeline and all its
/// state is owned by that channel's event loop.
public final class ListMethodRewriter: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    /// Default bound on the bytes of one request line plus its header block.
    public static let defaultMaxHeadBytes = 64 * 1024

    /// Where the handler is in the inbound byte stream.
    enum State {
        /// Between requests or inside a request head that is not complete yet. `pending` holds the head's bytes
        /// read so far (not yet forwarded); the end-of-head search resumes at offset `scanned` of `pending`.
        case awaitingHead(pending: ByteBuffer, scanned: Int)
        /// Inside a `Content-Length` body; `remaining` (> 0) bytes of it are still to be forwarded untouched.
        case forwardingBody(remaining: Int)
        /// Framing can no longer be followed; everything is forwarded untouched until the connection ends.
        case passThrough
    }

    private let maxHeadBytes: Int
    private var state: State

    /// - Parameter maxHeadBytes: bound on a request line plus header block; a longer head switches the connection
    ///   to pass-through. Values below 1 are treated as 1.
    public init(maxHeadBytes: Int = ListMethodRewriter.defaultMaxHeadBytes) {
        self.maxHeadBytes = max(1, maxHeadBytes)
        self.state = .awaitingHead(pending: ByteBuffer(), scanned: 0)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = Self.unwrapInboundIn(data)
        var output: [ByteBuffer] = []
        consume(&input, allocator: context.channel.allocator, into: &output)
        // State is settled before anything is fired, so re-entrant events from downstream see a consistent handler.
        for buffer in output {
            context.fireChannelRead(Self.wrapInboundOut(buffer))
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        flushPending(context: context)
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            flushPending(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Forwards the bytes of an incomplete request head, so the decoder can report it; nothing follows them.
    private func flushPending(context: ChannelHandlerContext) {
        guard case .awaitingHead(let pending, _) = state, pending.readableBytes > 0 else { return }
        state = .passThrough
        context.fireChannelRead(Self.wrapInboundOut(pending))
    }

    /// Advances the state machine over `input`, appending the buffers to forward, in order, to `output`.
    func consume(_ input: inout ByteBuffer, allocator: ByteBufferAllocator, into output: inout [ByteBuffer]) {
        while input.readableBytes > 0 {
            switch state {
            case .passThrough:
                output.append(input)
                input.moveReaderIndex(to: input.writerIndex)

            case .forwardingBody(let remaining):
                let count = min(remaining, input.readableBytes)
                if let slice = input.readSlice(length: count) {
                    output.append(slice)
                }
                let left = remaining - count
                state = left > 0 ? .forwardingBody(remaining: left) : .awaitingHead(pending: ByteBuffer(), scanned: 0)

            case .awaitingHead(var pending, let scanned):
                if pending.readableBytes == 0 {
                    // Empty lines before a request line (RFC 9112 §2.2) are forwarded as they are.
                    let blank = input.readableBytesView.prefix(while: { $0 == Self.cr || $0 == Self.lf }).count
                    if blank > 0, let slice = input.readSlice(length: blank) {
                        output.append(slice)
                        continue
                    }
                }
                // Drop the state's reference to `pending` so appending to it does not copy it; every path below
                // sets the next state.
                state = .passThrough
                var work: ByteBuffer
                if pending.readableBytes == 0 {
                    work = input
                } else {
                    pending.writeBuffer(&input)
                    work = pending
                }
                input = ByteBuffer()
                guard let headLength = Self.headLength(in: work, from: scanned) else {
                    if work.readableBytes > maxHeadBytes {
                        state = .passThrough
                        output.append(work)
                    } else {
                        state = .awaitingHead(pending: work, scanned: max(0, work.readableBytes - 2))
                    }
                    continue
                }
                guard headLength <= maxHeadBytes, let head = work.readSlice(length: headLength) else {
                    state = .passThrough
                    output.append(work)
                    continue
                }
                let inspection = Self.inspect(Array(head.readableBytesView))
                if let rewritten = inspection.rewritten {
                    output.append(allocator.buffer(bytes: rewritten))
                } else {
                    output.append(head)
                }
                switch inspection.framing {
                case .body(let length) where length > 0:
                    state = .forwardingBody(remaining: length)
                case .body:
                    state = .awaitingHead(pending: ByteBuffer(), scanned: 0)
                case .unfollowable:
                    state = .passThrough
                }
                input = work
            }
        }
    }
}

@available(*, unavailable)
extension ListMethodRewriter: Sendable {}
