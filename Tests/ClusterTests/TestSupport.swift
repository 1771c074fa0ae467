import Foundation
import Testing
@testable import Cluster

func node(_ name: String) -> ClusterNodeID {
    guard let id = ClusterNodeID(name) else {
        Issue.record("bad node id \(name)")
        return ClusterNodeID("invalid")!
    }
    return id
}

/// The seed for a randomised test: `COFFER_SEED` when set (replay), otherwise fresh. Always printed.
func testSeed(_ testName: String) -> UInt64 {
    let seed: UInt64
    if let text = ProcessInfo.processInfo.environment["COFFER_SEED"], let value = UInt64(text) {
        seed = value
    } else {
        seed = UInt64.random(in: 1 ... .max)
    }
    print("\(testName): seed \(seed) (replay with COFFER_SEED=\(seed))")
    return seed
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ message: ClusterMessage) -> String { String(decoding: message.payload, as: UTF8.self) }

/// Collects a transport's inbound messages so tests can wait for them.
actor InboundCollector {
    private(set) var messages: [InboundClusterMessage] = []
    private var task: Task<Void, Never>?

    static func start(_ transport: some ClusterTransport) async -> InboundCollector {
        let collector = InboundCollector()
        await collector.consume(transport.inbound)
        return collector
    }

    private func consume(_ stream: AsyncStream<InboundClusterMessage>) {
        task = Task { [weak self] in
            for await message in stream {
                await self?.append(message)
            }
        }
    }

    private func append(_ message: InboundClusterMessage) {
        messages.append(message)
    }

    func payloads(from peer: ClusterNodeID) -> [String] {
        messages.filter { $0.from == peer }.map { text($0.message) }
    }

    /// Waits (polling) until `predicate` holds over the collected messages or `timeout` passes.
    func waitUntil(
        timeout: Duration = .seconds(10),
        _ predicate: @Sendable ([InboundClusterMessage]) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(messages) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return predicate(messages)
    }
}

/// A cluster CA and credentials for named nodes.
struct TestPKI {
    let authority: ClusterCertificateAuthority

    init() throws {
        authority = try ClusterCertificateAuthority.generate()
    }

    func credentials(_ name: String) throws -> ClusterNodeCredentials {
        try authority.issueCredentials(for: node(name))
    }
}
