import Testing
@testable import Cluster

@Suite struct InMemoryClusterTransportTests {
    @Test func deliversInOrderWithSenderID() async {
        let network = InMemoryClusterNetwork()
        let a = network.makeTransport(for: node("a"))
        let b = network.makeTransport(for: node("b"))
        let collected = await InboundCollector.start(b)
        for i in 0..<50 { a.send(to: node("b"), ClusterMessage(kind: .raft, payload: bytes("m\(i)"))) }
        #expect(await collected.waitUntil { $0.count == 50 })
        #expect(await collected.payloads(from: node("a")) == (0..<50).map { "m\($0)" })
        await a.shutdown()
        await b.shutdown()
    }

    @Test func requestResponseAndTimeoutUnderPartition() async throws {
        let network = InMemoryClusterNetwork()
        let a = network.makeTransport(for: node("a"))
        let b = network.makeTransport(for: node("b"))
        let responder = Task {
            for await inbound in b.inbound where inbound.message.kind == .forwardRequest {
                b.send(to: inbound.from, inbound.message.response(payload: bytes("re:" + text(inbound.message))))
            }
        }
        let answer = try await a.request(
            to: node("b"), ClusterMessage(kind: .forwardRequest, payload: bytes("q")), timeout: .seconds(5))
        #expect(text(answer) == "re:q")

        network.partition([node("a")], from: [node("b")])
        await #expect(throws: ClusterTransportError.timedOut) {
            try await a.request(
                to: node("b"), ClusterMessage(kind: .forwardRequest, payload: bytes("lost")),
                timeout: .milliseconds(50))
        }
        network.heal()
        let again = try await a.request(
            to: node("b"), ClusterMessage(kind: .forwardRequest, payload: bytes("r")), timeout: .seconds(5))
        #expect(text(again) == "re:r")
        #expect(network.counts.dropped == 1)
        await a.shutdown()
        await b.shutdown()
        await responder.value
    }

    @Test func seededLossIsReplayable() async {
        let seed = testSeed("seededLossIsReplayable")
        func run() async -> [String] {
            let network = InMemoryClusterNetwork(seed: seed)
            network.setDropProbability(0.3)
            let a = network.makeTransport(for: node("a"))
            let b = network.makeTransport(for: node("b"))
            for i in 0..<200 { a.send(to: node("b"), ClusterMessage(kind: .raft, payload: bytes("\(i)"))) }
            await b.shutdown()
            var received: [String] = []
            for await inbound in b.inbound { received.append(text(inbound.message)) }
            await a.shutdown()
            return received
        }
        let first = await run()
        let second = await run()
        #expect(first == second)
        #expect(first.count < 200 && first.count > 80)
    }
}
