import Storage
import Testing

@testable import Core

/// Rekey through both the legacy and the authenticated API.
struct RekeyTests {
    let lifecycle = SealLifecycleTests()

    func rekey(
        _ core: CofferCore, oldKeys: [String], shares: Int, threshold: Int, authenticated: Bool, token: String?
    ) async throws -> [String] {
        let base = authenticated ? "sys/rotate/root" : "sys/rekey"
        let started = lifecycle.raw(try await core.handle(lifecycle.put(
            "\(base)/init", ["secret_shares": .int(Int64(shares)), "secret_threshold": .int(Int64(threshold))],
            token: token)))
        guard let nonce = started["nonce"]?.stringValue else {
            Issue.record("no nonce in \(started)")
            return []
        }
        #expect(started["started"] == .bool(true))
        var last: [String: JSONValue] = [:]
        for key in oldKeys {
            last = lifecycle.raw(try await core.handle(lifecycle.put(
                "\(base)/update", ["key": .string(key), "nonce": .string(nonce)], token: token)))
        }
        #expect(last["complete"] == .bool(true))
        guard case .array(let keys)? = last["keys"] else { return [] }
        return keys.compactMap(\.stringValue)
    }

    @Test(arguments: [false, true])
    func newSharesReplaceOldOnes(authenticated: Bool) async throws {
        let storage = MemoryStorage()
        let core = try await CofferCore(
            physical: storage, options: CoreOptions(disableUnauthedRekeyEndpoints: false))
        let initBody = lifecycle.raw(try await core.handle(lifecycle.put(
            "sys/init", ["secret_shares": 3, "secret_threshold": 2])))
        let oldKeys = (initBody["keys"]?.arrayValue ?? []).compactMap(\.stringValue)
        let root = initBody["root_token"]?.stringValue
        _ = try await lifecycle.unseal(core, oldKeys.prefix(2))
        let newKeys = try await rekey(
            core, oldKeys: Array(oldKeys.prefix(2)), shares: 4, threshold: 3, authenticated: authenticated,
            token: root)
        #expect(newKeys.count == 4)
        #expect(try await core.handle(lifecycle.put("sys/seal", token: root)).status == 204)
        // Old shares no longer unseal; three new ones do, after a restart too.
        let restarted = try await CofferCore(physical: storage)
        await #expect(throws: CoreError.self) {
            _ = try await lifecycle.unseal(restarted, oldKeys)
        }
        let status = try await lifecycle.unseal(restarted, newKeys.suffix(3))
        #expect(status["sealed"] == JSONValue.bool(false))
        #expect(status["t"] == JSONValue.int(3) && status["n"] == JSONValue.int(4))
    }

    @Test func legacyRekeyIsOffByDefaultLikeOpenBao() async throws {
        let (core, _, keys, _) = try await lifecycle.initialized()
        _ = try await lifecycle.unseal(core, keys.prefix(3))
        await #expect(throws: CoreError.unsupportedOperation) {
            try await core.handle(lifecycle.get("sys/rekey/init"))
        }
    }

    @Test func wrongNonceDuplicateKeyAndConcurrentStartAreRefused() async throws {
        let (core, _, keys, root) = try await lifecycle.initialized()
        _ = try await lifecycle.unseal(core, keys.prefix(3))
        let started = lifecycle.raw(try await core.handle(lifecycle.put(
            "sys/rotate/root/init", ["secret_shares": 3, "secret_threshold": 2], token: root)))
        let nonce = started["nonce"]?.stringValue ?? ""
        await #expect(throws: CoreError.badRequest("rekey already in progress")) {
            try await core.handle(lifecycle.put(
                "sys/rotate/root/init", ["secret_shares": 3, "secret_threshold": 2], token: root))
        }
        await #expect(throws: CoreError.self) {
            try await core.handle(lifecycle.put(
                "sys/rotate/root/update", ["key": .string(keys[0]), "nonce": "wrong"], token: root))
        }
        _ = try await core.handle(lifecycle.put(
            "sys/rotate/root/update", ["key": .string(keys[0]), "nonce": .string(nonce)], token: root))
        await #expect(throws: CoreError.badRequest(
            "given key has already been provided during this generation operation")) {
            try await core.handle(lifecycle.put(
                "sys/rotate/root/update", ["key": .string(keys[0]), "nonce": .string(nonce)], token: root))
        }
        #expect(try await core.handle(
            Request(operation: .delete, path: "sys/rotate/root/init", clientToken: root)).status == 204)
        let status = lifecycle.raw(try await core.handle(lifecycle.get("sys/rotate/root/init", token: root)))
        #expect(status["started"] == .bool(false))
    }
}
