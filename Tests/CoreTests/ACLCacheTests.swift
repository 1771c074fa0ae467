import Engines
import Storage
import Testing

@testable import Core

/// The active node caches built ACLs; every policy write or delete must take effect on the next request of
/// a token whose ACL is cached, including a policy that did not exist when the ACL was built.
struct ACLCacheTests {
    let lifecycle = SealLifecycleTests()

    @Test func policyWritesAndDeletesTakeEffectAtOnceForCachedACLs() async throws {
        let core = try await CofferCore(physical: MemoryStorage(), backendFactory: EngineRegistry.factory)
        let initBody = lifecycle.raw(try await core.handle(lifecycle.put(
            "sys/init", ["secret_shares": 1, "secret_threshold": 1])))
        _ = try await lifecycle.unseal(core, [initBody["keys"]?.arrayValue?.first?.stringValue ?? ""])
        let root = initBody["root_token"]?.stringValue ?? ""
        _ = try await core.handle(lifecycle.put("sys/mounts/kv", ["type": "kv"], token: root))
        _ = try await core.handle(lifecycle.put("kv/x", ["v": "1"], token: root))

        let created = try await core.handle(lifecycle.put("auth/token/create", ["policies": ["reader"]], token: root))
        guard case .logical(let body) = created.body, let token = body.authBlock?.objectValue?["client_token"]?.stringValue
        else {
            Issue.record("no token")
            return
        }
        func canRead() async -> Bool {
            (try? await core.handle(lifecycle.get("kv/x", token: token)))?.status == 200
        }
        // "reader" does not exist yet: denied, and that ACL is now cached.
        #expect(await !canRead())
        #expect(await !canRead())
        _ = try await core.handle(lifecycle.put(
            "sys/policies/acl/reader", ["policy": "path \"kv/*\" { capabilities = [\"read\"] }"], token: root))
        #expect(await canRead())
        #expect(await canRead())
        _ = try await core.handle(lifecycle.put(
            "sys/policies/acl/reader", ["policy": "path \"other/*\" { capabilities = [\"read\"] }"], token: root))
        #expect(await !canRead())
        _ = try await core.handle(lifecycle.put(
            "sys/policies/acl/reader", ["policy": "path \"kv/*\" { capabilities = [\"read\"] }"], token: root))
        #expect(await canRead())
        _ = try await core.handle(Request(operation: .delete, path: "sys/policies/acl/reader", clientToken: root))
        #expect(await !canRead())
    }
}
