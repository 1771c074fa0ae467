import Foundation
import Storage
import Testing

@testable import Core

/// Init, unseal, seal, restart: the life of one node, over in-memory storage.
struct SealLifecycleTests {
    func put(_ path: String, _ body: [String: JSONValue] = [:], token: String? = nil) -> Request {
        Request(operation: .update, path: path, data: body, clientToken: token)
    }

    func get(_ path: String, token: String? = nil, query: [String: String] = [:]) -> Request {
        Request(operation: .read, path: path, query: query, clientToken: token)
    }

    func raw(_ response: Response) -> [String: JSONValue] {
        if case .raw(.object(let object)) = response.body { return object }
        if case .logical(let body) = response.body { return body.data ?? [:] }
        return [:]
    }

    func initialized(shares: Int = 5, threshold: Int = 3) async throws -> (CofferCore, MemoryStorage, [String], String) {
        let storage = MemoryStorage()
        let core = try await CofferCore(physical: storage)
        let response = try await core.handle(
            put("sys/init", ["secret_shares": .int(Int64(shares)), "secret_threshold": .int(Int64(threshold))]))
        let body = raw(response)
        guard case .array(let keys)? = body["keys"], case .string(let root)? = body["root_token"] else {
            Issue.record("init answered \(body)")
            throw CoreError.internal("bad init")
        }
        return (core, storage, keys.compactMap(\.stringValue), root)
    }

    func unseal(_ core: CofferCore, _ keys: some Sequence<String>) async throws -> [String: JSONValue] {
        var last: [String: JSONValue] = [:]
        for key in keys {
            last = raw(try await core.handle(put("sys/unseal", ["key": .string(key)])))
        }
        return last
    }

    @Test func freshNodeIsUninitialisedAndSealed() async throws {
        let core = try await CofferCore(physical: MemoryStorage())
        #expect(raw(try await core.handle(get("sys/init")))["initialized"] == .bool(false))
        let health = try await core.handle(get("sys/health"))
        #expect(health.status == 501)
        let status = raw(try await core.handle(get("sys/seal-status")))
        #expect(status["sealed"] == .bool(true))
        #expect(status["initialized"] == .bool(false))
    }

    @Test func initGivesSharesAndTokenOfVaultsShape() async throws {
        let (core, _, keys, root) = try await initialized()
        #expect(keys.count == 5)
        #expect(keys.allSatisfy { $0.count == 66 })  // 32-byte key + x coordinate, hex
        #expect(root.hasPrefix("s.") && root.count == 26)
        let status = raw(try await core.handle(get("sys/seal-status")))
        #expect(status["sealed"] == .bool(true))
        #expect(status["t"] == .int(3) && status["n"] == .int(5))
        await #expect(throws: CoreError.badRequest("Vault is already initialized")) {
            try await core.handle(put("sys/init", ["secret_shares": 1, "secret_threshold": 1]))
        }
    }

    @Test func anyThresholdSubsetUnseals() async throws {
        let (core, _, keys, root) = try await initialized()
        for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
            let status = try await unseal(core, subset.map { keys[$0] })
            #expect(status["sealed"] == .bool(false), "subset \(subset)")
            #expect(try await core.handle(put("sys/seal", token: root)).status == 204)
        }
    }

    @Test func progressCountsDistinctSharesAndResets() async throws {
        let (core, _, keys, _) = try await initialized()
        var status = try await unseal(core, [keys[0], keys[0]])
        #expect(status["progress"] == .int(1))
        #expect(status["nonce"]?.stringValue?.count == 36)
        status = raw(try await core.handle(put("sys/unseal", ["reset": true])))
        #expect(status["progress"] == .int(0))
        #expect(status["nonce"] == .string(""))
    }

    @Test func wrongShareSetFailsAndStartsOver() async throws {
        let (core, _, keys, _) = try await initialized()
        let (_, _, otherKeys, _) = try await initialized()
        _ = try await unseal(core, [keys[0], keys[1]])
        await #expect(throws: CoreError.self) {
            try await core.handle(put("sys/unseal", ["key": .string(otherKeys[0])]))
        }
        let status = raw(try await core.handle(get("sys/seal-status")))
        #expect(status["sealed"] == .bool(true))
        #expect(status["progress"] == .int(0))
        // The right shares still work afterwards.
        #expect(try await unseal(core, keys.prefix(3))["sealed"] == .bool(false))
    }

    @Test func malformedSharesAreRefusedWithVaultsMessages() async throws {
        let (core, _, _, _) = try await initialized()
        let cases: [(JSONValue, String)] = [
            ("zz", "'key' must be a valid hex or base64 string"),
            ("0011", "invalid key: key is shorter than minimum 16 bytes"),
            (.string(String(repeating: "ab", count: 40)), "invalid key: key is longer than maximum 33 bytes"),
            ("", "'key' must be specified in request body as JSON, or 'reset' set to true"),
        ]
        for (key, message) in cases {
            await #expect(throws: CoreError.badRequest(message)) {
                try await core.handle(put("sys/unseal", ["key": key]))
            }
        }
        await #expect(throws: CoreError.self) {
            try await core.handle(put("sys/unseal", ["key": 5]))
        }
    }

    @Test func sealedNodeRefusesPrivilegedCallsAndUnknownTokens() async throws {
        let (core, _, keys, root) = try await initialized()
        await #expect(throws: CoreError.sealed) { try await core.handle(get("sys/key-status", token: root)) }
        _ = try await unseal(core, keys.prefix(3))
        await #expect(throws: CoreError.permissionDenied) { try await core.handle(get("sys/key-status")) }
        await #expect(throws: CoreError.permissionDenied) {
            try await core.handle(get("sys/key-status", token: "s.AAAAAAAAAAAAAAAAAAAAAAAA"))
        }
        await #expect(throws: CoreError.permissionDenied) { try await core.handle(put("sys/seal")) }
        let keyStatus = raw(try await core.handle(get("sys/key-status", token: root)))
        #expect(keyStatus["term"] == .int(1))
    }

    @Test func restartComesBackSealedWithEverything() async throws {
        let (core, storage, keys, root) = try await initialized()
        _ = try await unseal(core, keys.prefix(3))
        #expect(try await core.handle(put("sys/rotate", token: root)).status == 204)
        let restarted = try await CofferCore(physical: storage)
        #expect(raw(try await restarted.handle(get("sys/seal-status")))["sealed"] == .bool(true))
        _ = try await unseal(restarted, keys.suffix(3))
        // The root token from init is still valid, and the rotation survived.
        let keyStatus = raw(try await restarted.handle(get("sys/key-status", token: root)))
        #expect(keyStatus["term"] == .int(2))
    }

    @Test func healthCodesFollowStateAndQuery() async throws {
        let (core, _, keys, _) = try await initialized()
        #expect(try await core.handle(get("sys/health")).status == 503)
        #expect(try await core.handle(get("sys/health", query: ["sealedcode": "299"])).status == 299)
        _ = try await unseal(core, keys.prefix(3))
        #expect(try await core.handle(get("sys/health")).status == 200)
        #expect(try await core.handle(get("sys/health", query: ["activecode": "204"])).status == 204)
        await #expect(throws: CoreError.self) {
            try await core.handle(get("sys/health", query: ["activecode": "abc"]))
        }
    }

    @Test func storedBytesHoldNoShareTokenOrKeyInClear() async throws {
        let (core, storage, keys, root) = try await initialized()
        _ = try await unseal(core, keys.prefix(3))
        let stored = await storage.snapshot()
        let needles: [[UInt8]] = [Array(root.utf8), Array(root.dropFirst(2).utf8)]
            + keys.map { Array($0.utf8) }
            + keys.map { hex in stride(from: 0, to: hex.count, by: 2).compactMap { offset -> UInt8? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
            } }.map { Array($0.prefix(32)) }
        for (path, value) in stored {
            for needle in needles {
                #expect(!contains(value, needle), "found a secret in clear at \(path)")
            }
            #expect(!path.contains(root), "token in a storage path")
        }
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, !needle.isEmpty else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<start + needle.count]) == needle { return true }
        }
        return false
    }
}
