import Cluster
import Foundation
import Storage
import Synchronization
import Testing

@testable import HA

/// The Raft runtime's actor runs on its TLS transport's event loop. A sealed node stops the runtime and shuts the
/// transport down while calls can still be on their way to the runtime; they must be answered, not dropped.
@Suite struct TransportGroupTests {
    @Test func callsToAStoppedRuntimeAreAnsweredAfterItsTransportShutsDown() async throws {
        let name = try #require(ClusterNodeID("solo"))
        let credentials = try ClusterCertificateAuthority.generate().issueCredentials(for: name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-group-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try NodeStore(path: directory.path)
        try store.log.initialize(.bootstrap(voters: [RaftRuntime.raftID(for: name)]))

        let transport = try await TLSClusterTransport.start(
            credentials: credentials,
            configuration: TLSClusterTransportConfiguration(host: "127.0.0.1", port: 0),
            eventLoopGroup: RaftCluster.transportGroup)
        let runtime = try RaftRuntime(
            name: name, store: store, transport: transport,
            options: RaftRuntime.Options(tickInterval: .milliseconds(10), requestTimeout: .seconds(2)))
        await runtime.start()
        try await runtime.write([.put(key: "a", value: [1])])

        await runtime.stop()
        await transport.shutdown()

        // Each call is a job on the runtime's executor, the transport's loop. Answered within the limit, or not.
        let answered = await withinFiveSeconds {
            do {
                try await runtime.write([.put(key: "b", value: [2])])
                return false
            } catch {
                return true
            }
        }
        #expect(answered == true)
        #expect(await withinFiveSeconds {
            _ = await runtime.status
            return true
        } == true)
    }

    /// The result of `body`, or nil if it has not finished within five seconds (the body is then left running:
    /// a job a dead loop dropped never finishes, so it cannot be awaited).
    private func withinFiveSeconds(_ body: @escaping @Sendable () async -> Bool) async -> Bool? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool?, Never>) in
            let once = Once(continuation)
            Task {
                let value = await body()
                once.resume(value)
            }
            Task {
                try? await Task.sleep(for: .seconds(5))
                once.resume(nil)
            }
        }
    }
}

/// A continuation resumed by whichever of two racers finishes first.
private final class Once: Sendable {
    private let continuation: Mutex<CheckedContinuation<Bool?, Never>?>
    init(_ continuation: CheckedContinuation<Bool?, Never>) { self.continuation = Mutex(continuation) }
    func resume(_ value: Bool?) { continuation.withLock { $0.take() }?.resume(returning: value) }
}
