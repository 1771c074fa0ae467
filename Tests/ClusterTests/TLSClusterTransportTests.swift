import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Cluster

/// Real TLS transports on 127.0.0.1, ports chosen by the kernel at run time.
@Suite(.serialized) struct TLSClusterTransportTests {
    static let fastReconnect = TLSClusterTransportConfiguration(
        backoff: ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200)),
        jitterSeed: 7,
        handshakeTimeout: .seconds(3)
    )

    func start(
        _ credentials: ClusterNodeCredentials,
        _ configuration: TLSClusterTransportConfiguration = fastReconnect
    ) async throws -> TLSClusterTransport {
        try await TLSClusterTransport.start(credentials: credentials, configuration: configuration)
    }

    /// Tells every transport where every other one listens.
    func introduce(_ transports: [TLSClusterTransport]) async {
        for a in transports {
            for b in transports where a !== b {
                await a.updatePeer(b.localNode, address: b.localAddress)
            }
        }
    }

    @Test func twoNodesExchangeMessagesBothWaysInOrder() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        let b = try await start(try pki.credentials("node-2"))
        #expect(a.localAddress.port != 0 && a.localAddress.port != b.localAddress.port)
        await introduce([a, b])
        let atA = await InboundCollector.start(a)
        let atB = await InboundCollector.start(b)
        for i in 0..<200 {
            a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("a\(i)")))
            b.send(to: a.localNode, ClusterMessage(kind: .snapshotChunk, payload: bytes("b\(i)")))
        }
        #expect(await atB.waitUntil { $0.count == 200 })
        #expect(await atA.waitUntil { $0.count == 200 })
        #expect(await atB.payloads(from: a.localNode) == (0..<200).map { "a\($0)" })
        #expect(await atA.payloads(from: b.localNode) == (0..<200).map { "b\($0)" })
        #expect(await atA.messages.allSatisfy { $0.message.kind == .snapshotChunk })
        await a.shutdown()
        await b.shutdown()
    }

    /// The Raft loop runs on the transport's loop: its sends must reach the socket before its task ends (it goes
    /// on to block in an fsync), and inbound messages must reach its handler on that loop, in order.
    @Test func sendsMadeOnTheLoopAreWrittenAtOnceAndInboundReachesAHandlerOnTheLoop() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        let b = try await start(try pki.credentials("node-2"))
        await introduce([a, b])
        let bLoop = try #require(b.eventLoop)
        let received = Mutex<[(payload: String, onLoop: Bool, at: ContinuousClock.Instant)]>([])
        await b.deliverInbound { inbound in
            let entry = (String(decoding: inbound.message.payload, as: UTF8.self), bLoop.inEventLoop, ContinuousClock.now)
            received.withLock { $0.append(entry) }
        }
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("dial")))
        let deadline = ContinuousClock.now + .seconds(10)
        while received.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }

        // Send on a's loop, then keep that loop busy: the frames must not wait for the task to end.
        let aLoop = try #require(a.eventLoop)
        let blockEnded = try await aLoop.submit {
            for i in 0..<3 { a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("m\(i)"))) }
            Thread.sleep(forTimeInterval: 0.5)
            return ContinuousClock.now
        }.get()
        while received.withLock({ $0.count < 4 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let entries = received.withLock { $0 }
        #expect(entries.map(\.payload) == ["dial", "m0", "m1", "m2"])
        #expect(entries.allSatisfy { $0.onLoop })
        #expect(entries.dropFirst().allSatisfy { $0.at < blockEnded })
        await a.shutdown()
        await b.shutdown()
    }

    /// A peer that dials in but whose address we do not know (a DR secondary) gets its responses over the
    /// connection it opened; anything but a response to it is still dropped.
    @Test func responsesReachAPeerWithoutAnAddressOverItsOwnConnection() async throws {
        let pki = try TestPKI()
        let server = try await start(try pki.credentials("node-1"))
        let client = try await start(try pki.credentials("node-2"))
        await client.updatePeer(server.localNode, address: server.localAddress)
        let responder = Task {
            for await inbound in server.inbound where inbound.message.kind == .control {
                server.send(to: inbound.from, ClusterMessage(kind: .raft, payload: bytes("not a response")))
                let answer = bytes("answer:" + text(inbound.message))
                server.send(to: inbound.from, inbound.message.response(payload: answer))
            }
        }
        let atClient = await InboundCollector.start(client)
        for i in 0..<5 {
            let answer = try await client.request(
                to: server.localNode, ClusterMessage(kind: .control, payload: bytes("q\(i)")), timeout: .seconds(10))
            #expect(text(answer) == "answer:q\(i)")
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await atClient.messages.isEmpty)
        responder.cancel()
        await client.shutdown()
        await server.shutdown()
    }

    @Test func threeNodesAllPairs() async throws {
        let pki = try TestPKI()
        var transports: [TLSClusterTransport] = []
        for name in ["node-1", "node-2", "node-3"] { transports.append(try await start(try pki.credentials(name))) }
        await introduce(transports)
        var collectors: [InboundCollector] = []
        for transport in transports { collectors.append(await InboundCollector.start(transport)) }
        for sender in transports {
            for receiver in transports where receiver !== sender {
                for i in 0..<20 {
                    let payload = bytes("\(sender.localNode)-\(i)")
                    sender.send(to: receiver.localNode, ClusterMessage(kind: .raft, payload: payload))
                }
            }
        }
        for (index, receiver) in transports.enumerated() {
            #expect(await collectors[index].waitUntil { $0.count == 40 })
            for sender in transports where sender !== receiver {
                let expected = (0..<20).map { "\(sender.localNode)-\($0)" }
                #expect(await collectors[index].payloads(from: sender.localNode) == expected)
            }
        }
        for transport in transports { await transport.shutdown() }
    }

    @Test func requestsAreMatchedByCorrelationID() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        let b = try await start(try pki.credentials("node-2"))
        await introduce([a, b])
        let responder = Task {
            for await inbound in b.inbound where inbound.message.kind == .forwardRequest {
                let question = text(inbound.message)
                if question == "ignore" { continue }
                b.send(to: inbound.from, inbound.message.response(payload: bytes("answer:" + question)))
            }
        }
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<32 {
                group.addTask {
                    let response = try await a.request(
                        to: b.localNode,
                        ClusterMessage(kind: .forwardRequest, payload: bytes("q\(i)")),
                        timeout: .seconds(10)
                    )
                    return (i, text(response))
                }
            }
            for try await (i, answer) in group { #expect(answer == "answer:q\(i)") }
        }
        await #expect(throws: ClusterTransportError.timedOut) {
            try await a.request(
                to: b.localNode, ClusterMessage(kind: .forwardRequest, payload: bytes("ignore")),
                timeout: .milliseconds(200))
        }
        await #expect(throws: ClusterTransportError.unknownPeer(node("node-9"))) {
            try await a.request(
                to: node("node-9"), ClusterMessage(kind: .forwardRequest, payload: []), timeout: .seconds(5))
        }
        await a.shutdown()
        await b.shutdown()
        await responder.value
    }

    @Test func peerWithCertificateFromAnotherCAIsRefused() async throws {
        let ours = try TestPKI()
        let theirs = try TestPKI()
        let a = try await start(try ours.credentials("node-1"))
        let impostor = try await start(try theirs.credentials("node-2"))
        await introduce([a, impostor])
        let atA = await InboundCollector.start(a)
        let atImpostor = await InboundCollector.start(impostor)
        for i in 0..<5 {
            a.send(to: node("node-2"), ClusterMessage(kind: .raft, payload: bytes("secret-\(i)")))
            impostor.send(to: node("node-1"), ClusterMessage(kind: .raft, payload: bytes("forged-\(i)")))
        }
        // Both sides keep retrying (with backoff) and never get a connection through.
        #expect(await a.waitForStatistics(of: node("node-2")) { $0.connectAttempts >= 3 })
        #expect(await impostor.waitForStatistics(of: node("node-1")) { $0.connectAttempts >= 3 })
        #expect(await a.statistics(for: node("node-2"))?.connectionsEstablished == 0)
        #expect(await impostor.statistics(for: node("node-1"))?.connectionsEstablished == 0)
        #expect(await atA.messages.isEmpty)
        #expect(await atImpostor.messages.isEmpty)
        await a.shutdown()
        await impostor.shutdown()
    }

    @Test func nodeIDMismatchWithCertificateIsRefused() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        let c = try await start(try pki.credentials("node-3"))
        // a believes node-2 listens where node-3 does: node-3's certificate and hello do not say node-2.
        await a.updatePeer(node("node-2"), address: c.localAddress)
        let atC = await InboundCollector.start(c)
        a.send(to: node("node-2"), ClusterMessage(kind: .raft, payload: bytes("for node-2 only")))
        #expect(await a.waitForStatistics(of: node("node-2")) { $0.connectAttempts >= 2 })
        #expect(await a.statistics(for: node("node-2"))?.connectionsEstablished == 0)
        #expect(await atC.messages.isEmpty)
        await a.shutdown()
        await c.shutdown()
    }

    @Test func plaintextGarbageIsDisconnectedAndServerKeepsServing() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        let b = try await start(try pki.credentials("node-2"))
        await introduce([a, b])
        let atB = await InboundCollector.start(b)
        let port = b.localAddress.port
        let outcome = await Task.detached {
            PlaintextProbe.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [0, 0, 0, 9, 1], toPort: port)
        }.value
        #expect(outcome == .closedByServer)
        let lengthOnly = await Task.detached { PlaintextProbe.send([0x7F, 0xFF, 0xFF, 0xFF], toPort: port) }.value
        #expect(lengthOnly == .closedByServer)
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("still serving")))
        #expect(await atB.waitUntil { $0.map { text($0.message) } == ["still serving"] })
        await a.shutdown()
        await b.shutdown()
    }

    @Test func oversizedFrameClosesTheConnectionAndIsNeverDelivered() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        var small = Self.fastReconnect
        small.maximumFrameSize = 2048
        let b = try await start(try pki.credentials("node-2"), small)
        await introduce([a, b])
        let atB = await InboundCollector.start(b)
        a.send(to: b.localNode, ClusterMessage(kind: .snapshotChunk, payload: [UInt8](repeating: 0xAB, count: 8192)))
        var delivered = false
        for i in 0..<100 where !delivered {
            a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("small-\(i)")))
            delivered = await atB.waitUntil(timeout: .milliseconds(100)) { !$0.isEmpty }
        }
        #expect(delivered)
        #expect(await atB.messages.allSatisfy { $0.message.payload.count < 2048 })
        // The connection that carried the oversized frame was closed by b; a reconnected.
        #expect(await a.statistics(for: b.localNode).map { $0.connectionsEstablished >= 2 } == true)
        await a.shutdown()
        await b.shutdown()
    }

    @Test func reconnectsWithBackoffAfterPeerRestartAndDeliveryResumes() async throws {
        let pki = try TestPKI()
        let a = try await start(try pki.credentials("node-1"))
        let bCredentials = try pki.credentials("node-2")
        let b = try await start(bCredentials)
        await introduce([a, b])
        let atB = await InboundCollector.start(b)
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("before")))
        #expect(await atB.waitUntil { $0.count == 1 })
        let port = b.localAddress.port
        await b.shutdown()

        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("while-down")))
        #expect(await a.waitForStatistics(of: b.localNode) { $0.connectAttempts >= 4 })
        #expect(await a.statistics(for: b.localNode)?.isConnected == false)

        var configuration = Self.fastReconnect
        configuration.port = port
        let restarted = try await start(bCredentials, configuration)
        #expect(restarted.localAddress.port == port)
        await restarted.updatePeer(a.localNode, address: a.localAddress)
        let atRestarted = await InboundCollector.start(restarted)
        #expect(await atRestarted.waitUntil { $0.count == 1 })
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("after")))
        #expect(await atRestarted.waitUntil { $0.count == 2 })
        #expect(await atRestarted.payloads(from: a.localNode) == ["while-down", "after"])
        #expect(await a.statistics(for: b.localNode)?.connectionsEstablished == 2)
        await a.shutdown()
        await restarted.shutdown()
    }

    @Test func stalledPeerDoesNotBlockOthersAndItsQueueStaysBounded() async throws {
        let pki = try TestPKI()
        var configuration = Self.fastReconnect
        configuration.maximumQueuedBytesPerPeer = 2 * 1024 * 1024
        configuration.writeBufferHighWaterMark = 256 * 1024
        let a = try await start(try pki.credentials("node-1"), configuration)
        let b = try await start(try pki.credentials("node-2"))
        let c = try await start(try pki.credentials("node-3"))
        await introduce([a, b, c])
        let atB = await InboundCollector.start(b)
        let atC = await InboundCollector.start(c)
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("first")))
        #expect(await atB.waitUntil { $0.count == 1 })

        await b.setInboundPaused(true)
        let chunk = [UInt8](repeating: 0x5A, count: 32 * 1024)
        let rounds = 2000  // 64 MiB towards b: far beyond socket buffers plus the queue bound
        for i in 0..<rounds {
            a.send(to: b.localNode, ClusterMessage(kind: .snapshotChunk, payload: chunk))
            a.send(to: c.localNode, ClusterMessage(kind: .raft, payload: bytes("c\(i)")))
        }
        #expect(await atC.waitUntil(timeout: .seconds(30)) { $0.count == rounds })
        #expect(await atC.payloads(from: a.localNode) == (0..<rounds).map { "c\($0)" })
        let stalled = await a.statistics(for: b.localNode)
        #expect((stalled?.queuedBytes ?? .max) <= configuration.maximumQueuedBytesPerPeer)
        #expect((stalled?.messagesDropped ?? 0) > 0)

        await b.setInboundPaused(false)
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("last")))
        #expect(await atB.waitUntil(timeout: .seconds(30)) { $0.last.map { text($0.message) } == "last" })
        // Drop-oldest: b got "first", some chunks, then the newest message; never more than was sent.
        #expect(await atB.messages.count < rounds + 2)
        await a.shutdown()
        await b.shutdown()
        await c.shutdown()
    }

    @Test func rotatedCertificatesInterworkWhileBothRootsAreTrusted() async throws {
        let old = try ClusterCertificateAuthority.generate()
        let new = try ClusterCertificateAuthority.generate()
        let a = try await start(try old.issueCredentials(for: node("node-1")).trusting(new))
        let b = try await start(try new.issueCredentials(for: node("node-2")).trusting(old))
        await introduce([a, b])
        let atB = await InboundCollector.start(b)
        a.send(to: b.localNode, ClusterMessage(kind: .control, payload: bytes("rotated")))
        #expect(await atB.waitUntil { $0.count == 1 })
        await a.shutdown()
        await b.shutdown()
    }

    @Test func updatedCredentialsApplyToNewConnections() async throws {
        let old = try ClusterCertificateAuthority.generate()
        let new = try ClusterCertificateAuthority.generate()
        let a = try await start(try old.issueCredentials(for: node("node-1")))
        // node-2 was issued under the new CA only and trusts only it: a's old identity is refused.
        let b = try await start(try new.issueCredentials(for: node("node-2")))
        await introduce([a, b])
        let atA = await InboundCollector.start(a)
        b.send(to: a.localNode, ClusterMessage(kind: .control, payload: bytes("before rotation")))
        #expect(await b.waitForStatistics(of: a.localNode) { $0.connectAttempts >= 2 })
        #expect(await atA.messages.isEmpty)

        // Rotate a onto the new CA (still trusting the old one); b's next reconnect attempt gets through.
        try await a.updateCredentials(try new.issueCredentials(for: node("node-1")).trusting(old))
        #expect(await atA.waitUntil { $0.map { text($0.message) } == ["before rotation"] })
        await #expect(throws: ClusterCertificateError.certificateDoesNotNameNode(node("node-1"))) {
            try await a.updateCredentials(try new.issueCredentials(for: node("node-7")))
        }
        await a.shutdown()
        await b.shutdown()
    }

    /// A snapshot far larger than the outbound queue arrives whole and in order when each chunk is an acknowledged
    /// request: the sender is paced by the receiver instead of overflowing.
    @Test func snapshotStreamedAsAcknowledgedChunksArrivesWhole() async throws {
        let pki = try TestPKI()
        var tinyQueue = Self.fastReconnect
        tinyQueue.maximumQueuedMessagesPerPeer = 4
        tinyQueue.maximumQueuedBytesPerPeer = 128 * 1024
        let a = try await start(try pki.credentials("node-1"), tinyQueue)
        let b = try await start(try pki.credentials("node-2"))
        await introduce([a, b])
        let installer = Task {
            var installed: [UInt8] = []
            for await inbound in b.inbound where inbound.message.kind == .snapshotChunk {
                if inbound.message.payload.isEmpty { break }  // end of snapshot
                installed += inbound.message.payload
                b.send(to: inbound.from, inbound.message.response(payload: bytes("ack")))
            }
            return installed
        }
        var generator = SplitMix64(seed: testSeed("snapshotStreamedAsAcknowledgedChunksArrivesWhole"))
        let snapshot = (0..<(4 * 1024 * 1024)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let chunkSize = 64 * 1024
        for offset in stride(from: 0, to: snapshot.count, by: chunkSize) {
            let chunk = Array(snapshot[offset..<min(snapshot.count, offset + chunkSize)])
            let ack = try await a.request(
                to: b.localNode, ClusterMessage(kind: .snapshotChunk, payload: chunk), timeout: .seconds(10))
            #expect(text(ack) == "ack")
        }
        a.send(to: b.localNode, ClusterMessage(kind: .snapshotChunk, payload: []))
        let installed = await installer.value
        #expect(installed == snapshot)
        #expect(await a.statistics(for: b.localNode)?.messagesDropped == 0)
        await a.shutdown()
        await b.shutdown()
    }

    @Test func requestEvictedFromAFullQueueFailsFastAndCancellationIsHonoured() async throws {
        let pki = try TestPKI()
        let gone = try await start(try pki.credentials("node-2"))
        let deadAddress = gone.localAddress
        await gone.shutdown()
        var oneSlot = Self.fastReconnect
        oneSlot.maximumQueuedMessagesPerPeer = 1
        let a = try await start(try pki.credentials("node-1"), oneSlot)
        await a.updatePeer(node("node-2"), address: deadAddress)
        let pending = Task {
            try await a.request(
                to: node("node-2"), ClusterMessage(kind: .forwardRequest, payload: bytes("q")), timeout: .seconds(30))
        }
        #expect(await a.waitForStatistics(of: node("node-2")) { $0.queuedMessages == 1 })
        a.send(to: node("node-2"), ClusterMessage(kind: .raft, payload: bytes("newer")))
        await #expect(throws: ClusterTransportError.dropped) { try await pending.value }

        let cancelled = Task {
            try await a.request(
                to: node("node-2"), ClusterMessage(kind: .forwardRequest, payload: bytes("c")), timeout: .seconds(30))
        }
        // The cancelled request evicted "newer" and now sits alone in the queue.
        #expect(await a.waitForStatistics(of: node("node-2")) { $0.messagesDropped == 2 && $0.queuedMessages == 1 })
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        await a.shutdown()
    }

    @Test func slowInboundConsumerKeepsTheNewestMessagesWithinItsBuffer() async throws {
        let pki = try TestPKI()
        var small = Self.fastReconnect
        small.inboundBufferCapacity = 10
        let a = try await start(try pki.credentials("node-1"))
        let b = try await start(try pki.credentials("node-2"), small)
        await introduce([a, b])
        for i in 0..<100 { a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: bytes("\(i)"))) }
        let deadline = ContinuousClock.now + .seconds(10)
        while await b.inboundDroppedCount() < 90, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await b.inboundDroppedCount() == 90)
        await b.shutdown()
        var buffered: [String] = []
        for await inbound in b.inbound { buffered.append(text(inbound.message)) }
        #expect(buffered == (90..<100).map { "\($0)" })
        await a.shutdown()
    }
}

extension TLSClusterTransport {
    /// Polls the link statistics until `predicate` holds (at most 10 s).
    func waitForStatistics(
        of peer: ClusterNodeID,
        _ predicate: @Sendable (PeerLinkStatistics) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let statistics = await statistics(for: peer), predicate(statistics) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
