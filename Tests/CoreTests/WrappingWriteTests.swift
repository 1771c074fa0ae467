import Engines
import Storage
import Testing
import TestSupport

@testable import Core

/// Wrapping a response and unwrapping it each take one physical write: on a cluster every write is a Raft
/// round, and the token and the response it guards must appear and vanish together.
struct WrappingWriteTests {
    let lifecycle = SealLifecycleTests()

    @Test func wrapAndUnwrapEachWriteTheTokenAndTheResponseInOneBatch() async throws {
        let storage = RecordingStorage()
        let core = try await CofferCore(physical: storage, backendFactory: EngineRegistry.factory)
        let initBody = lifecycle.raw(try await core.handle(lifecycle.put(
            "sys/init", ["secret_shares": 1, "secret_threshold": 1])))
        _ = try await lifecycle.unseal(core, [initBody["keys"]?.arrayValue?.first?.stringValue ?? ""])
        let root = initBody["root_token"]?.stringValue ?? ""
        _ = storage.take()

        let wrapped = try await core.handle(Request(
            operation: .update, path: "sys/wrapping/wrap", data: ["secret": "s3cr3t"], clientToken: root,
            wrapTTL: .seconds(300)))
        guard case .logical(let body) = wrapped.body, let token = body.wrapInfo?.objectValue?["token"]?.stringValue
        else {
            Issue.record("no wrapping token in \(wrapped)")
            return
        }
        let wrapWrites = storage.take()
        #expect(wrapWrites.count == 1, "wrap wrote \(wrapWrites)")
        let keys = wrapWrites.first ?? []
        #expect(keys.contains { $0.hasPrefix("logical/") && $0.hasSuffix("/response") })
        #expect(keys.contains { $0.hasPrefix("sys/token/id/") })
        #expect(keys.contains { $0.hasPrefix("sys/token/accessor/") })

        let unwrapped = try await core.handle(lifecycle.put("sys/wrapping/unwrap", token: token))
        #expect(lifecycle.raw(unwrapped)["data"]?.objectValue?["secret"]?.stringValue == "s3cr3t")
        let unwrapWrites = storage.take()
        #expect(unwrapWrites.count == 1, "unwrap wrote \(unwrapWrites)")
        #expect(Set(unwrapWrites.first ?? []) == Set(keys), "unwrap must delete exactly what wrap wrote")
        let left = await storage.inner.snapshot().keys.filter { key in
            keys.contains(key)
        }
        #expect(left.isEmpty)

        // Spent: a second unwrap is refused.
        await #expect(throws: CoreError.self) {
            _ = try await core.handle(lifecycle.put("sys/wrapping/unwrap", token: token))
        }
    }
}
