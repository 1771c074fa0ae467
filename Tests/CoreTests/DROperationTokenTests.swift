import Foundation
import Storage
import Testing

@testable import Core

/// A DR secondary's core: client requests refused, the DR operation token generated from unseal shares, spent once.
struct DROperationTokenTests {
    let lifecycle = SealLifecycleTests()
    let base = "sys/replication/dr/secondary/generate-operation-token"

    func generate(_ core: CofferCore, keys: some Sequence<String>) async throws -> String? {
        let started = lifecycle.raw(try await core.handle(lifecycle.put("\(base)/attempt")))
        let otp = try #require(started["otp"]?.stringValue)
        let nonce = try #require(started["nonce"]?.stringValue)
        var last: [String: JSONValue] = [:]
        for key in keys {
            last = lifecycle.raw(try await core.handle(lifecycle.put(
                "\(base)/update", ["key": .string(key), "nonce": .string(nonce)])))
        }
        guard var encoded = last["encoded_token"]?.stringValue, !encoded.isEmpty else { return nil }
        while encoded.count % 4 != 0 { encoded += "=" }
        let raw = try #require(Data(base64Encoded: encoded))
        return String(decoding: zip(raw, Array(otp.utf8)).map { $0 ^ $1 }, as: UTF8.self)
    }

    @Test func secondaryRefusesClientRequestsButNotStatusOrReplication() async throws {
        let (core, _, keys, root) = try await lifecycle.initialized()
        _ = try await lifecycle.unseal(core, keys.prefix(3))
        #expect(try await core.handle(lifecycle.get("sys/mounts", token: root)).status == 200)
        await core.setReplicationMode(dr: "secondary", refusing: true)
        await #expect(throws: CoreError.badRequest(CofferCore.drSecondaryRefusal)) {
            _ = try await core.handle(lifecycle.get("sys/mounts", token: root))
        }
        await #expect(throws: CoreError.badRequest(CofferCore.drSecondaryRefusal)) {
            _ = try await core.handle(lifecycle.put("cubbyhole/x", ["a": "b"], token: root))
        }
        let health = lifecycle.raw(try await core.handle(lifecycle.get("sys/health")))
        #expect(health["replication_dr_mode"] == "secondary")
        #expect(try await core.handle(lifecycle.get("sys/seal-status")).status == 200)
    }

    @Test func operationTokenNeedsTheSharesAndIsSpentOnce() async throws {
        let (core, _, keys, _) = try await lifecycle.initialized()
        _ = try await lifecycle.unseal(core, keys.prefix(3))
        // Not a DR secondary: refused.
        await #expect(throws: CoreError.self) { _ = try await core.handle(lifecycle.put("\(base)/attempt")) }
        await core.setReplicationMode(dr: "secondary", refusing: true)

        // Shares of another cluster do not open this node's root key.
        let (other, _, otherKeys, _) = try await lifecycle.initialized()
        _ = other
        await #expect(throws: CoreError.self) { _ = try await generate(core, keys: otherKeys.prefix(3)) }
        _ = try await core.handle(Request(operation: .delete, path: "\(base)/attempt"))

        let token = try #require(try await generate(core, keys: keys.prefix(3)))
        #expect(token.hasPrefix("dro."))
        #expect(await !core.consumeDROperationToken("dro." + String(repeating: "A", count: 22)))
        #expect(await core.consumeDROperationToken(token))
        #expect(await !core.consumeDROperationToken(token))
    }
}
