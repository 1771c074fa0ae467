import Foundation
import Storage
import Synchronization
import Testing

@testable import Core

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

struct TokenExpirationTests {
    let lifecycle = SealLifecycleTests()

    func environment(_ clock: ManualClock) -> CoreEnvironment {
        CoreEnvironment(now: { clock.now }, randomBytes: CoreEnvironment.system.randomBytes)
    }

    func create(_ core: CofferCore, token: String, _ body: [String: JSONValue]) async throws -> String {
        let response = try await core.handle(lifecycle.put("auth/token/create", body, token: token))
        guard case .logical(let logical) = response.body, case .object(let auth)? = logical.authBlock,
            let value = auth["client_token"]?.stringValue
        else {
            Issue.record("no token in \(response)")
            return ""
        }
        return value
    }

    @Test func expiredTokensAreRefusedThenRevokedWithTheirChildrenAcrossRestarts() async throws {
        let clock = ManualClock()
        let storage = MemoryStorage()
        let core = try await CofferCore(physical: storage, environment: environment(clock))
        let initBody = lifecycle.raw(try await core.handle(lifecycle.put("sys/init", ["secret_shares": 1, "secret_threshold": 1])))
        let key = initBody["keys"]?.arrayValue?.first?.stringValue ?? ""
        let root = initBody["root_token"]?.stringValue ?? ""
        _ = try await lifecycle.unseal(core, [key])
        try await core.handle(lifecycle.put(
            "sys/policies/acl/creator", ["policy": "path \"auth/token/create\" { capabilities = [\"update\"] }"],
            token: root))
        let parent = try await create(core, token: root, ["ttl": "10s", "policies": ["creator"]])
        let child = try await create(core, token: parent, ["ttl": "1h", "policies": ["default"]])
        let longLived = try await create(core, token: root, ["ttl": "1h", "policies": ["default"]])
        #expect(try await core.handle(lifecycle.get("auth/token/lookup-self", token: child)).status == 200)

        clock.advance(seconds: 11)
        // Refused at once, before any sweep.
        await #expect(throws: CoreError.permissionDenied) {
            try await core.handle(lifecycle.get("auth/token/lookup-self", token: parent))
        }
        // The child was capped at its parent's TTL, so it expired too.
        await #expect(throws: CoreError.permissionDenied) {
            try await core.handle(lifecycle.get("auth/token/lookup-self", token: child))
        }

        // A restart in between: the expiry index is on disk, the sweep still finds them.
        let restarted = try await CofferCore(physical: storage, environment: environment(clock))
        _ = try await lifecycle.unseal(restarted, [key])
        #expect(await restarted.revokeExpired() == 2)  // the parent and the child, both due
        #expect(await restarted.revokeExpired() == 0)
        let stored = await storage.snapshot().keys.filter { $0.contains("sys/token/") }
        // Only root and longLived remain: salt, 2 ids, 2 accessors, longLived's expiry entry and
        // its link to its parent (root).
        #expect(stored.count == 7, "\(stored.sorted())")
        #expect(stored.filter { $0.contains("/id/") }.count == 2)
        #expect(try await restarted.handle(lifecycle.get("auth/token/lookup-self", token: longLived)).status == 200)
    }

    @Test func renewalMovesTheExpiry() async throws {
        let clock = ManualClock()
        let core = try await CofferCore(physical: MemoryStorage(), environment: environment(clock))
        let initBody = lifecycle.raw(try await core.handle(lifecycle.put("sys/init", ["secret_shares": 1, "secret_threshold": 1])))
        _ = try await lifecycle.unseal(core, [initBody["keys"]?.arrayValue?.first?.stringValue ?? ""])
        let root = initBody["root_token"]?.stringValue ?? ""
        let token = try await create(core, token: root, ["ttl": "10s", "policies": ["default"]])
        clock.advance(seconds: 8)
        #expect(try await core.handle(lifecycle.put("auth/token/renew-self", ["increment": "20s"], token: token)).status == 200)
        clock.advance(seconds: 8)
        #expect(await core.revokeExpired() == 0)
        #expect(try await core.handle(lifecycle.get("auth/token/lookup-self", token: token)).status == 200)
        clock.advance(seconds: 15)
        #expect(await core.revokeExpired() == 1)
    }
}

struct LeaseTidyTests {
    let lifecycle = SealLifecycleTests()

    @Test func tidyRemovesIndexEntriesOfTokensThatAreGone() async throws {
        let (core, storage, keys, root) = try await lifecycle.initialized(shares: 1, threshold: 1)
        _ = try await lifecycle.unseal(core, keys)
        let created = try await core.handle(lifecycle.put(
            "auth/token/create", ["ttl": "1h", "policies": ["default"]], token: root))
        #expect(created.status == 200)
        // The created token is the one with an expiry entry; the root token has none.
        let stored = await storage.snapshot().keys
        let expiring = try #require(stored.first { $0.hasPrefix("sys/token/expire/") })
        let hash = try #require(expiring.split(separator: "/").last)
        // A crash between writes: the token's record is gone, its index entries are not.
        try await storage.delete("sys/token/id/\(hash)")
        let tidied = try await core.handle(lifecycle.put("sys/leases/tidy", [:], token: root))
        #expect(tidied.status == 202)
        let after = await storage.snapshot().keys.filter { $0.hasPrefix("sys/token/") }
        #expect(!after.contains { $0.hasPrefix("sys/token/expire/") }, "\(after)")
        #expect(!after.contains { $0.hasPrefix("sys/token/parent/") }, "\(after)")
        #expect(after.filter { $0.hasPrefix("sys/token/accessor/") }.count == 1)  // root's
        #expect(try await core.handle(lifecycle.get("auth/token/lookup-self", token: root)).status == 200)
    }
}
