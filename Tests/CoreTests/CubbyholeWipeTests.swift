import Engines
import Storage
import Testing

@testable import Core

struct CubbyholeWipeTests {
    let lifecycle = SealLifecycleTests()

    @Test func revokingATokenDeletesItsCubbyholeFromStorage() async throws {
        let storage = MemoryStorage()
        let core = try await CofferCore(physical: storage, backendFactory: EngineRegistry.factory)
        let initBody = lifecycle.raw(try await core.handle(lifecycle.put(
            "sys/init", ["secret_shares": 1, "secret_threshold": 1])))
        _ = try await lifecycle.unseal(core, [initBody["keys"]?.arrayValue?.first?.stringValue ?? ""])
        let root = initBody["root_token"]?.stringValue ?? ""
        var tokens: [String] = []
        for _ in 0..<2 {
            let created = try await core.handle(lifecycle.put("auth/token/create", ["policies": ["default"]], token: root))
            guard case .logical(let body) = created.body, case .object(let auth)? = body.authBlock,
                let token = auth["client_token"]?.stringValue
            else {
                Issue.record("no token")
                return
            }
            tokens.append(token)
            _ = try await core.handle(lifecycle.put("cubbyhole/a", ["v": "1"], token: token))
            _ = try await core.handle(lifecycle.put("cubbyhole/dir/b", ["v": "2"], token: token))
        }
        let logicalKeys = { await storage.snapshot().keys.filter { $0.hasPrefix("logical/") } }
        #expect(await logicalKeys().count == 4)
        _ = try await core.handle(lifecycle.put("auth/token/revoke", ["token": .string(tokens[0])], token: root))
        // Only the second token's two entries are left.
        #expect(await logicalKeys().count == 2)
        let left = try await core.handle(lifecycle.get("cubbyhole/dir/b", token: tokens[1]))
        #expect(left.status == 200)
    }
}
