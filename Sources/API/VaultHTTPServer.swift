import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird server builders for Vault's HTTP API.
///
/// ``http1(configuration:maxHeadBytes:)`` is `HTTPServerBuilder.http1(configuration:)` with a
/// ``ListMethodRewriter`` added first in every child channel pipeline, so Vault's `LIST` method reaches the
/// responder as `GET ...?list=true` instead of being rejected by the HTTP/1 decoder.
public enum VaultHTTPServer {
    /// An HTTP/1.1 server builder that accepts Vault's `LIST` method.
    ///
    /// - Parameters:
    ///   - configuration: passed unchanged to Hummingbird's `HTTP1Channel`.
    ///   - maxHeadBytes: the rewriter's bound on one request line plus header block
    ///     (see ``ListMethodRewriter/init(maxHeadBytes:)``).
    public static func http1(
        configuration: HTTP1Channel.Configuration = .init(),
        maxHeadBytes: Int = ListMethodRewriter.defaultMaxHeadBytes
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            childChannel(responder: responder, configuration: configuration, maxHeadBytes: maxHeadBytes)
        }
    }

    /// The child channel ``http1(configuration:maxHeadBytes:)`` builds, for builders that
    /// wrap it (TLS in front).
    public static func childChannel(
        responder: @escaping HTTPChannelHandler.Responder,
        configuration: HTTP1Channel.Configuration = .init(),
        maxHeadBytes: Int = ListMethodRewriter.defaultMaxHeadBytes
    ) -> some ServerChildChannel {
        ListMethodChannel(
            base: HTTP1Channel(responder: responder, configuration: configuration),
            maxHeadBytes: maxHeadBytes
        )
    }
}

extension VaultHTTPServer {
    /// Hummingbird's `HTTP1Channel` with a ``ListMethodRewriter`` in front of its HTTP decoder.
    ///
    /// Guarantees: the rewriter is in the pipeline, at its head, before `HTTP1Channel` adds its own handlers, so it
    /// sees every inbound byte of the connection. Request handling is `HTTP1Channel`'s, unchanged.
    struct ListMethodChannel: ServerChildChannel {
        typealias Value = HTTP1Channel.Value

        let base: HTTP1Channel
        let maxHeadBytes: Int

        func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            let eventLoop = channel.eventLoop
            if eventLoop.inEventLoop {
                return addRewriterThenSetUp(channel: channel, logger: logger)
            }
            return eventLoop.flatSubmit {
                self.addRewriterThenSetUp(channel: channel, logger: logger)
            }
        }

        func handle(value: Value, logger: Logger) async {
            await base.handle(value: value, logger: logger)
        }

        /// Must run on `channel`'s event loop.
        private func addRewriterThenSetUp(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            do {
                try channel.pipeline.syncOperations.addHandler(
                    ListMethodRewriter(maxHeadBytes: maxHeadBytes),
                    position: .first
                )
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return base.setup(channel: channel, logger: logger)
        }
    }
}
