import Foundation
import Testing
@testable import Cluster

/// A measurement, not an assertion on speed: runs only with `COFFER_BENCH=1` and prints messages/s between two
/// local TLS transports. The assertion is that every message arrived.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["COFFER_BENCH"] == "1"))
struct TLSClusterTransportThroughput {
    @Test(arguments: [64, 4096])
    func messagesPerSecondBetweenTwoNodes(payloadSize: Int) async throws {
        let pki = try TestPKI()
        // A queue large enough that nothing is dropped: this measures the pipe, not the overflow policy.
        let roomy = TLSClusterTransportConfiguration(
            maximumQueuedMessagesPerPeer: 200_000, maximumQueuedBytesPerPeer: 1 << 30)
        let a = try await TLSClusterTransport.start(credentials: try pki.credentials("node-1"), configuration: roomy)
        let b = try await TLSClusterTransport.start(
            credentials: try pki.credentials("node-2"),
            configuration: TLSClusterTransportConfiguration(inboundBufferCapacity: 200_000))
        await a.updatePeer(b.localNode, address: b.localAddress)
        let total = 100_000
        let payload = [UInt8](repeating: 7, count: payloadSize)
        let counter = Task {
            var count = 0
            for await _ in b.inbound {
                count += 1
                if count == total { break }
            }
            return count
        }
        a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: []))  // warm up the connection
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<(total - 1) { a.send(to: b.localNode, ClusterMessage(kind: .raft, payload: payload)) }
        let received = await counter.value
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("throughput payload=\(payloadSize)B: \(Int(Double(received) / seconds)) messages/s over \(elapsed)")
        #expect(received == total)
        await a.shutdown()
        await b.shutdown()
    }
}
