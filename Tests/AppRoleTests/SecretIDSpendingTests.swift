import Core
import Foundation
import Testing

@testable import AppRole

/// Use counts, expiry and CIDR bindings of secret_ids at login.
@Suite struct SecretIDSpendingTests {
    @Test func singleUseSecretIDWinsExactlyOnceUnderTwentyConcurrentLogins() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", ["token_policies": "p"], roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc", ["num_uses": 1])
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { await harness.login("svc-rid", secret).status } }
            var all: [Int] = []
            for await status in group { all.append(status) }
            return all
        }
        #expect(statuses.filter { $0 == 200 }.count == 1)
        #expect(statuses.filter { $0 == 400 }.count == 19)
        // The spent secret_id and its accessor are gone from storage.
        let keys = await harness.storage.snapshot().keys
        #expect(!keys.contains { $0.hasPrefix("secret_id/") || $0.hasPrefix("accessor/") })
        #expect(await harness.call("LIST", "role/svc/secret-id").status == 404)
    }

    @Test func threeUsesGiveThreeSuccessesUnderConcurrency() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc", ["num_uses": 3])
        let successes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { await harness.login("svc-rid", secret).status == 200 } }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(successes == 3)
    }

    @Test func useCountDecrementsAndRecordsTheTime() async throws {
        var harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc", ["num_uses": 2])
        harness.now = harness.now.addingTimeInterval(5)
        #expect(await harness.login("svc-rid", secret).status == 200)
        let lookup = await harness.call("POST", "role/svc/secret-id/lookup", ["secret_id": .string(secret)])
        #expect(lookup.data?["secret_id_num_uses"] == .int(1))
        #expect(lookup.data?["last_updated_time"] == .string(GoTime.string(harness.now)))
        #expect(lookup.data?["creation_time"] == .string(GoTime.string(harness.now.addingTimeInterval(-5))))
    }

    @Test func secretIDExpiresAfterItsTTL() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", ["secret_id_ttl": "1m"], roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc")
        let lookup = await harness.call("POST", "role/svc/secret-id/lookup", ["secret_id": .string(secret)])
        #expect(lookup.data?["expiration_time"] == .string(GoTime.string(harness.now.addingTimeInterval(60))))
        #expect(await harness.login("svc-rid", secret, at: harness.now.addingTimeInterval(60)).status == 200)
        let late = await harness.login("svc-rid", secret, at: harness.now.addingTimeInterval(61))
        #expect(late.status == 400)
        #expect(late.errors == ["invalid role or secret ID"])
        // The expired secret_id was removed on the refused login.
        let keys = await harness.storage.snapshot().keys
        #expect(!keys.contains { $0.hasPrefix("secret_id/") || $0.hasPrefix("accessor/") })
    }

    @Test func tidyRemovesOnlyExpiredSecretIDs() async throws {
        var harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        let (short, _) = try await harness.secretID("svc", ["ttl": 30])
        let (forever, _) = try await harness.secretID("svc")
        harness.now = harness.now.addingTimeInterval(31)
        #expect(await harness.call("POST", "tidy/secret-id").status == 202)
        let gone = await harness.call("POST", "role/svc/secret-id/lookup", ["secret_id": .string(short)])
        #expect(gone.status == 204)
        let kept = await harness.call("POST", "role/svc/secret-id/lookup", ["secret_id": .string(forever)])
        #expect(kept.status == 200)
        let accessors = await harness.storage.snapshot().keys.filter { $0.hasPrefix("accessor/") }
        #expect(accessors.count == 1)
    }

    @Test func secretIDCIDRBindingChecksTheClientAddress() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc", ["cidr_list": "10.0.0.0/8, 2001:db8::/32"])
        #expect(await harness.login("svc-rid", secret, remote: "10.1.2.3").status == 200)
        #expect(await harness.login("svc-rid", secret, remote: "10.1.2.3:54321").status == 200)
        #expect(await harness.login("svc-rid", secret, remote: "2001:db8::5").status == 200)
        #expect(await harness.login("svc-rid", secret, remote: "[2001:db8::5]:443").status == 200)
        let outside = await harness.login("svc-rid", secret, remote: "192.168.1.1")
        #expect(outside.status == 400)
        let through = "source address \"192.168.1.1\" unauthorized through CIDR restrictions on the secret ID"
        #expect(outside.errors == [through])
        #expect(await harness.login("svc-rid", secret, remote: .some(nil)).status == 500)
    }

    @Test func refusedLimitedUseLoginSpendsNoUse() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc", ["cidr_list": "10.0.0.0/8", "num_uses": 1])
        #expect(await harness.login("svc-rid", secret, remote: "127.0.0.1").status == 400)
        #expect(await harness.login("svc-rid", secret, remote: "10.0.0.1").status == 200)
        #expect(await harness.login("svc-rid", secret, remote: "10.0.0.1").status == 400)
    }

    @Test func roleCIDRBindingAppliesWithoutSecretID() async throws {
        let harness = AppRoleHarness()
        try await harness.role(
            "open", ["bind_secret_id": false, "secret_id_bound_cidrs": "192.168.0.0/16"], roleID: "open-rid")
        #expect(await harness.login("open-rid", nil, remote: "192.168.7.7").status == 200)
        let outside = await harness.login("open-rid", nil, remote: "127.0.0.1")
        let byRole = "source address \"127.0.0.1\" unauthorized by CIDR restrictions on the role: %!w(<nil>)"
        #expect(outside.errors == [byRole])
    }

    @Test func loginHandsTheCoreTheRoleTokenSettings() async throws {
        let harness = AppRoleHarness()
        try await harness.role(
            "svc",
            [
                "token_policies": "a,b", "token_ttl": "1h", "token_max_ttl": "2h", "token_num_uses": 4,
                "token_bound_cidrs": "127.0.0.0/8", "token_no_default_policy": true,
            ], roleID: "svc-rid")
        let (secret, _) = try await harness.secretID("svc", ["metadata": "{\"team\":\"ops\"}"])
        let (bound, _) = try await harness.secretID("svc", ["token_bound_cidrs": "127.0.0.1/32"])
        let auth = try #require(await harness.login("svc-rid", secret).auth)
        #expect(auth.policies == ["a", "b"])
        #expect(auth.noDefaultPolicy)
        #expect(auth.ttl == 3600 && auth.maxTTL == 7200 && auth.period == 0)
        #expect(auth.numUses == 4)
        #expect(auth.boundCIDRs == ["127.0.0.0/8"])
        #expect(auth.metadata == ["team": "ops", "role_name": "svc"])
        #expect(auth.internalData == ["role_name": "svc"])
        #expect(auth.displayName == "")
        #expect(auth.tokenType == "service")
        #expect(auth.renewable)
        let boundAuth = try #require(await harness.login("svc-rid", bound).auth)
        #expect(boundAuth.boundCIDRs == ["127.0.0.1"])
    }

    @Test func wrongCredentialsAllAnswerTheSameError() async throws {
        let harness = AppRoleHarness()
        try await harness.role("svc", roleID: "svc-rid")
        try await harness.role("other", roleID: "other-rid")
        let (secret, _) = try await harness.secretID("svc")
        for outcome in [
            await harness.login("svc-rid", "00000000-0000-0000-0000-000000000000"),
            await harness.login("nobody", secret),
            await harness.login("other-rid", secret),
        ] {
            #expect(outcome.status == 400)
            #expect(outcome.errors == ["invalid role or secret ID"])
        }
    }
}
