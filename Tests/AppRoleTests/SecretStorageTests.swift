import Core
import Foundation
import Testing

@testable import AppRole

/// What AppRole leaves in storage, and its helpers for secrets.
@Suite struct SecretStorageTests {
    @Test func noSecretIDIsStoredInAnyKeyOrValue() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", ["secret_id_num_uses": 5], roleID: "svc-role-id-value")
        var secrets: [String] = []
        for _ in 0..<5 { secrets.append(try await harness.secretID("svc").0) }
        let custom = "custom-secret-value-that-must-not-leak"
        let issued = await harness.call("POST", "role/svc/custom-secret-id", ["secret_id": .string(custom)])
        #expect(issued.status == 200)
        secrets.append(custom)
        #expect(await harness.login("svc-role-id-value", secrets[0]).status == 200)
        #expect(await harness.login("svc-role-id-value", custom).status == 200)
        let snapshot = await harness.storage.snapshot()
        #expect(!snapshot.isEmpty)
        for secret in secrets {
            let needle = Array(secret.utf8)
            for (key, value) in snapshot {
                #expect(!key.contains(secret), "secret_id in key \(key)")
                #expect(!Self.contains(value, needle), "secret_id in the value at \(key)")
            }
        }
        // role_ids are looked up through an HMAC, never by their own text in a key.
        #expect(!snapshot.keys.contains { $0.contains("svc-role-id-value") })
    }

    @Test func eachRoleHasItsOwnRandomHMACKey() async throws {
        let harness = AppRoleHarness()
        try await harness.role("one", roleID: "r1")
        try await harness.role("two", roleID: "r2")
        let snapshot = await harness.storage.snapshot()
        let keys = try ["role/one", "role/two"].map { path -> String in
            let bytes = try #require(snapshot[path])
            return try JSONDecoder().decode(Role.self, from: Data(bytes)).hmacKey
        }
        #expect(keys[0] != keys[1])
        #expect(keys.allSatisfy { $0.count == 64 })
    }

    @Test func deletingARoleRemovesItsSecretIDsAccessorsAndRoleIDIndex() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        for _ in 0..<3 { _ = try await harness.secretID("svc") }
        #expect(await harness.call("DELETE", "role/svc").status == 204)
        #expect(Set(await harness.storage.snapshot().keys) == ["salt"])
        // A role made again under the same name gets a new key: old secret_ids cannot return.
        try await harness.role("svc", roleID: "svc-rid")
        #expect(await harness.call("LIST", "role/svc/secret-id").status == 404)
    }

    @Test func changingTheRoleIDRetiresTheOldOne() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "first")
        let (secret, _) = try await harness.secretID("svc")
        #expect(await harness.call("POST", "role/svc/role-id", ["role_id": "second"]).status == 204)
        #expect(await harness.login("first", secret).status == 400)
        #expect(await harness.login("second", secret).status == 200)
        let indexes = await harness.storage.snapshot().keys.filter { $0.hasPrefix("role_id/") }
        #expect(indexes.count == 1)
    }

    @Test func constantTimeCompare() {
        #expect(ConstantTime.equal("abc", "abc"))
        #expect(!ConstantTime.equal("abc", "abd"))
        #expect(!ConstantTime.equal("abc", "abcd"))
        #expect(!ConstantTime.equal("", "a"))
        #expect(ConstantTime.equal("", ""))
        #expect(!ConstantTime.equal([UInt8](repeating: 0, count: 256), []))
    }

    @Test func identifiersHaveOpenBaosUUIDShape() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "x")
        let (secret, accessor) = try await harness.secretID("svc")
        let shape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
        #expect(secret.wholeMatch(of: shape) != nil)
        #expect(accessor.wholeMatch(of: shape) != nil)
        #expect(secret != accessor)
    }

    @Test func factoryMakesApproleMountsOnly() {
        #expect(AppRoleBackend.factory("approle", [:]) is AppRoleBackend)
        #expect(AppRoleBackend.factory("kv", [:]) == nil)
        #expect(AppRoleBackend().unauthenticatedPaths == ["login"])
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }
}
