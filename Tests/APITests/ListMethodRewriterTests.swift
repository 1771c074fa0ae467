import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import ServiceLifecycle
import Testing

@testable import API

/// The `LIST` method rewriter, byte for byte, and the server builder that puts it in front of Hummingbird.
struct ListMethodRewriterTests {
    // MARK: helpers

    /// Feeds `chunks` as separate reads through a fresh rewriter and returns every byte it forwarded, including
    /// bytes still held back when the connection ends.
    static func rewrite(_ chunks: [[UInt8]], maxHeadBytes: Int = ListMethodRewriter.defaultMaxHeadBytes) throws
        -> [UInt8]
    {
        let channel = EmbeddedChannel(handler: ListMethodRewriter(maxHeadBytes: maxHeadBytes))
        var output: [UInt8] = []
        func drain() throws {
            while let buffer = try channel.readInbound(as: ByteBuffer.self) {
                output.append(contentsOf: buffer.readableBytesView)
            }
        }
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            try drain()
        }
        channel.pipeline.fireChannelInactive()
        try drain()
        _ = try channel.finish(acceptAlreadyClosed: true)
        return output
    }

    static func rewrite(_ text: String) throws -> String {
        String(decoding: try rewrite([Array(text.utf8)]), as: UTF8.self)
    }

    // MARK: single requests

    @Test func listWithoutQueryGainsOne() throws {
        let input = "LIST /v1/sys/policies/acl HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n\r\n"
        #expect(
            try Self.rewrite(input)
                == "GET /v1/sys/policies/acl?list=true HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n\r\n")
    }

    @Test func listWithQueryGetsAnAmpersand() throws {
        #expect(try Self.rewrite("LIST /v1/x?a=b HTTP/1.1\r\n\r\n") == "GET /v1/x?a=b&list=true HTTP/1.1\r\n\r\n")
        #expect(try Self.rewrite("LIST /v1/x? HTTP/1.0\r\n\r\n") == "GET /v1/x?list=true HTTP/1.0\r\n\r\n")
        #expect(
            try Self.rewrite("LIST /v1/x?list=false HTTP/1.1\r\n\r\n")
                == "GET /v1/x?list=false&list=true HTTP/1.1\r\n\r\n")
    }

    @Test func bareLineFeedsAreFollowed() throws {
        #expect(try Self.rewrite("LIST /a HTTP/1.1\nHost: x\n\nLIST /b HTTP/1.1\n\n")
            == "GET /a?list=true HTTP/1.1\nHost: x\n\nGET /b?list=true HTTP/1.1\n\n")
    }

    @Test(arguments: [
        "GET /v1/x HTTP/1.1\r\nHost: x\r\n\r\n",
        "PUT /v1/x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        "list /v1/x HTTP/1.1\r\n\r\n",
        "LISTS /v1/x HTTP/1.1\r\n\r\n",
        "LIST  /v1/x HTTP/1.1\r\n\r\n",
        "LIST /v1/x\r\n\r\n",
        "LIST /v1/x HTTP/2.0\r\n\r\n",
        "LIST /v1/x HTTP/1.1\r\n",
        "\r\n\r\n",
    ])
    func othersAreUntouched(input: String) throws {
        #expect(try Self.rewrite(input) == input)
    }

    // MARK: keep-alive

    @Test func pipelinedRequestsInOneRead() throws {
        let input = "LIST /v1/a HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /v1/b HTTP/1.1\r\nHost: x\r\n\r\n"
            + "\r\nLIST /v1/c?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        let expected = "GET /v1/a?list=true HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /v1/b HTTP/1.1\r\nHost: x\r\n\r\n"
            + "\r\nGET /v1/c?x=1&list=true HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(try Self.rewrite(input) == expected)
    }

    @Test func splitAtEveryBytePosition() throws {
        let input = Array("LIST /v1/secret/metadata?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8)
        let expected = Array(
            "GET /v1/secret/metadata?x=1&list=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8)
        for split in 0...input.count {
            let output = try Self.rewrite([Array(input[..<split]), Array(input[split...])])
            #expect(output == expected, "split at \(split)")
        }
        let byteByByte = try Self.rewrite(input.map { [$0] })
        #expect(byteByByte == expected)
    }

    @Test func bodyIsSkippedByContentLength() throws {
        // The body itself looks like a LIST request line and must not be rewritten.
        let body = "LIST /not/a/request HTTP/1.1\r\n\r\n"
        let input = "POST /v1/x HTTP/1.1\r\ncontent-LENGTH: \(body.utf8.count)\r\n\r\n\(body)"
            + "LIST /v1/y HTTP/1.1\r\n\r\n"
        let expected = "POST /v1/x HTTP/1.1\r\ncontent-LENGTH: \(body.utf8.count)\r\n\r\n\(body)"
            + "GET /v1/y?list=true HTTP/1.1\r\n\r\n"
        #expect(try Self.rewrite(input) == expected)
        let bytes = Array(input.utf8)
        for split in stride(from: 0, through: bytes.count, by: 7) {
            let output = try Self.rewrite([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(String(decoding: output, as: UTF8.self) == expected, "split at \(split)")
        }
    }

    // MARK: pass-through

    @Test(arguments: [
        "POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /v1/x HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
        "POST /v1/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST /v1/x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET /v1/x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
        "GET /v1/x HTTP/1.1\r\nno colon\r\n\r\n",
        "CONNECT host:443 HTTP/1.1\r\n\r\n",
    ])
    func unfollowableFramingSwitchesToPassThrough(head: String) throws {
        // Whatever follows is forwarded untouched, even a LIST request.
        let rest = "5\r\nhello\r\n0\r\n\r\nLIST /v1/y HTTP/1.1\r\n\r\n"
        #expect(try Self.rewrite(head + rest) == head + rest)
    }

    @Test func chunkedListIsRewrittenThenPassedThrough() throws {
        let input = "LIST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nLIST /v1/y HTTP/1.1\r\n\r\n"
        let expected = "GET /v1/x?list=true HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            + "LIST /v1/y HTTP/1.1\r\n\r\n"
        #expect(try Self.rewrite(input) == expected)
    }

    @Test func oversizedHeadIsPassedThrough() throws {
        let head = "LIST /v1/x HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 200))\r\n\r\n"
        #expect(try Self.rewrite([Array(head.utf8)], maxHeadBytes: 100) == Array(head.utf8))
        // Arriving in small pieces, the head is held back only up to the bound, then forwarded.
        let channel = EmbeddedChannel(handler: ListMethodRewriter(maxHeadBytes: 100))
        var forwarded = 0
        for byte in head.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            while let buffer = try channel.readInbound(as: ByteBuffer.self) { forwarded += buffer.readableBytes }
        }
        #expect(forwarded == head.utf8.count)
        _ = try channel.finish()
    }

    @Test func incompleteHeadIsForwardedWhenInputCloses() throws {
        let channel = EmbeddedChannel(handler: ListMethodRewriter())
        try channel.writeInbound(ByteBuffer(string: "LIST /v1/x HTTP/1.1\r\nHost"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "LIST /v1/x HTTP/1.1\r\nHost"))
        _ = try channel.finish()
    }

    // MARK: random input

    /// Garbage built from HTTP-ish tokens and random bytes: the rewriter never traps, forwards every byte of input
    /// without LIST unchanged, and its output does not depend on how the input is split into reads.
    @Test func randomInputNeverCrashesAndIsSplitInvariant() throws {
        let seed = ProcessInfo.processInfo.environment["COFFER_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 0...UInt64.max)
        print("ListMethodRewriterTests.randomInput COFFER_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let tokens = [
            "LIST ", "GET ", "POST ", "/v1/x", "?", "&", " HTTP/1.1", " HTTP/1.0", "\r\n", "\n", "\r",
            "Content-Length: ", "content-length:", "Transfer-Encoding: chunked", "Upgrade: x", ": ", " ", "0", "3",
            "17", "99999999999999999999", "abc",
        ].map { Array($0.utf8) }
        for round in 0..<300 {
            var input: [UInt8] = []
            for _ in 0..<Int(random.next() % 40) {
                if random.next() % 4 == 0 {
                    for _ in 0..<Int(random.next() % 6) {
                        input.append(UInt8(truncatingIfNeeded: random.next()))
                    }
                } else {
                    input.append(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))])
                }
            }
            let maxHead = random.next() % 2 == 0 ? ListMethodRewriter.defaultMaxHeadBytes : 1 + Int(random.next() % 64)
            let whole = try Self.rewrite([input], maxHeadBytes: maxHead)
            var chunks: [[UInt8]] = []
            var index = 0
            while index < input.count {
                let length = 1 + Int(random.next() % 9)
                chunks.append(Array(input[index..<min(input.count, index + length)]))
                index += length
            }
            let split = try Self.rewrite(chunks, maxHeadBytes: maxHead)
            #expect(split == whole, "seed \(seed) round \(round)")
            #expect(whole.count >= input.count, "seed \(seed) round \(round)")
            if !input.contains(Array("LIST ".utf8)) {
                #expect(whole == input, "seed \(seed) round \(round)")
            }
        }
    }

    /// Random keep-alive conversations of well-formed requests (bodies that themselves look like `LIST` request
    /// lines included), split into random reads: every `LIST` head and only those are rewritten.
    @Test func randomConversationsMatchTheModel() throws {
        let seed = ProcessInfo.processInfo.environment["COFFER_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 0...UInt64.max)
        print("ListMethodRewriterTests.randomConversations COFFER_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let bodyPieces = ["LIST /x HTTP/1.1\r\n\r\n", "{}", "\r\n", "\n\n", "a"]
        for round in 0..<200 {
            var input = ""
            var expected = ""
            for index in 0..<(1 + Int(random.next() % 5)) {
                let method = ["LIST", "GET", "POST", "PUT"][Int(random.next() % 4)]
                let path = "/v1/p\(index)"
                let query = random.next() % 2 == 0 ? "" : "?q=\(index)"
                var body = ""
                for _ in 0..<Int(random.next() % 4) {
                    body += bodyPieces[Int(random.next() % UInt64(bodyPieces.count))]
                }
                let headers = "Host: x\r\n" + (body.isEmpty ? "" : "Content-Length: \(body.utf8.count)\r\n") + "\r\n"
                input += "\(method) \(path)\(query) HTTP/1.1\r\n" + headers + body
                if method == "LIST" {
                    expected += "GET \(path)\(query)\(query.isEmpty ? "?" : "&")list=true HTTP/1.1\r\n" + headers + body
                } else {
                    expected += "\(method) \(path)\(query) HTTP/1.1\r\n" + headers + body
                }
            }
            let bytes = Array(input.utf8)
            var chunks: [[UInt8]] = []
            var offset = 0
            while offset < bytes.count {
                let length = 1 + Int(random.next() % 24)
                chunks.append(Array(bytes[offset..<min(bytes.count, offset + length)]))
                offset += length
            }
            let output = try Self.rewrite(chunks)
            #expect(String(decoding: output, as: UTF8.self) == expected, "seed \(seed) round \(round)")
        }
    }

    // MARK: end to end

    /// A real Hummingbird server on a loopback port, built with
    /// ``VaultHTTPServer/http1(configuration:maxHeadBytes:)``, answers two pipelined `LIST` requests on one
    /// connection as `GET ...list=true`.
    @Test(.timeLimit(.minutes(3))) func serverAcceptsListOverTheWire() async throws {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "coffer.test.listverb")
        let app = Application(
            responder: EchoResponder(),
            server: VaultHTTPServer.http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            #expect(port > 0)
            let response = try await Self.exchange(
                port: port,
                request: "LIST /v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    + "LIST /v1/y?a=b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            #expect(response.hasPrefix("HTTP/1.1 200"))
            #expect(!response.contains("400 Bad Request"))
            let first = response.range(of: "GET /v1/x?list=true")
            let second = response.range(of: "GET /v1/y?a=b&list=true")
            #expect(first != nil)
            #expect(second != nil)
            if let first, let second {
                #expect(first.lowerBound < second.lowerBound)
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// Writes `request` on a fresh loopback connection and returns everything read until the server closes it.
    static func exchange(port: Int, request: String) async throws -> String {
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await client.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ""
            for try await buffer in inbound {
                received += String(buffer: buffer)
            }
            return received
        }
    }
}

/// Answers every request with its method and URI, e.g. `GET /v1/x?list=true`.
private struct EchoResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    func respond(to request: Request, context: Context) async throws -> Response {
        Response(
            status: .ok,
            body: ResponseBody(byteBuffer: ByteBuffer(string: "\(request.method.rawValue) \(request.uri.description)"))
        )
    }
}

/// A small deterministic generator so a failing random round can be replayed from its seed.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
