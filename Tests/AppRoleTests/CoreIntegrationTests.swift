import Core
import Foundation
import Storage
import Testing
import TestSupport

@testable import AppRole

/// AppRole mounted in a real CofferCore (in-memory storage, behind the barrier): the
/// secret-zero flow a provisioning system uses, from wrapped secret_id to token.
@Suite struct CoreIntegrationTests {
    struct Node {
        let core: CofferCore
        let physical: RecordingStorage
        let root: String

        func call(
            _ operation: Core.Operation, _ path: String, _ body: [String: JSONValue] = [:], token: String? = nil,
            wrap: Duration? = nil
        ) async throws -> Response {
            try await core.handle(
                Request(
                    operation: operation, path: path, data: body, clientToken: token, wrapTTL: wrap,
                    remoteAddress: "127.0.0.1"))
        }
    }

    static func node() async throws -> Node {
        let physical = RecordingStorage()
        let core = try await CofferCore(physical: physical, backendFactory: AppRoleBackend.factory)
        let initialised = try await core.handle(
            Request(operation: .update, path: "sys/init", data: ["secret_shares": 1, "secret_threshold": 1]))
        guard case .raw(.object(let body)) = initialised.body, case .array(let keys)? = body["keys"],
            let key = keys.first?.stringValue, let root = body["root_token"]?.stringValue
        else { throw HarnessError.unexpected(initialised.status) }
        _ = try await core.handle(Request(operation: .update, path: "sys/unseal", data: ["key": .string(key)]))
        return Node(core: core, physical: physical, root: root)
    }

    /// `data` of a logical answer, or of the envelope an unwrap answers raw.
    static func data(_ response: Response) -> [String: JSONValue] {
        switch response.body {
        case .logical(let body): return body.data ?? [:]
        case .raw(.object(let envelope)): return envelope["data"]?.objectValue ?? [:]
        default: return [:]
        }
    }

    static func auth(_ response: Response) -> [String: JSONValue] {
        if case .logical(let body) = response.body, case .object(let block)? = body.authBlock { return block }
        return [:]
    }

    @Test func wrappedSecretIDUnwrapsAndLogsInOnce() async throws {
        let node = try await Self.node()
        let enabled = try await node.call(.update, "sys/auth/approle", ["type": "approle"], token: node.root)
        #expect(enabled.status == 204)
        let role = try await node.call(
            .update, "auth/approle/role/web", ["token_policies": "web", "token_ttl": "1h"], token: node.root)
        #expect(role.status == 204)
        let roleID = try #require(
            Self.data(try await node.call(.read, "auth/approle/role/web/role-id", token: node.root))["role_id"]?
                .stringValue)

        // The provisioning system asks for a wrapped secret_id and hands the machine the wrapping token.
        _ = node.physical.take()
        let wrapped = try await node.call(
            .update, "auth/approle/role/web/secret-id", ["num_uses": 1], token: node.root, wrap: .seconds(60))
        // One write: the secret_id, its accessor, the wrapping token and the stored response, all or nothing.
        let issueWrites = node.physical.take()
        #expect(issueWrites.count == 1, "a wrapped issue wrote \(issueWrites)")
        let written = issueWrites.first ?? []
        #expect(written.contains { $0.contains("/secret_id/") })
        #expect(written.contains { $0.contains("/accessor/") })
        #expect(written.contains { $0.hasPrefix("sys/token/id/") })
        #expect(written.contains { $0.hasSuffix("/response") })
        guard case .logical(let wrappedBody) = wrapped.body, case .object(let info)? = wrappedBody.wrapInfo,
            let wrappingToken = info["token"]?.stringValue
        else {
            Issue.record("no wrap_info in \(wrapped)")
            return
        }
        #expect(wrappedBody.data == nil)
        let unwrapped = try await node.call(.update, "sys/wrapping/unwrap", token: wrappingToken)
        let secretID = try #require(Self.data(unwrapped)["secret_id"]?.stringValue)
        await #expect(throws: CoreError.self) {
            _ = try await node.call(.update, "sys/wrapping/unwrap", token: wrappingToken)
        }

        // Login needs no token; the answer is a token with the role's settings.
        let login = try await node.call(
            .update, "auth/approle/login", ["role_id": .string(roleID), "secret_id": .string(secretID)])
        let auth = Self.auth(login)
        #expect(auth["policies"] == ["default", "web"])
        #expect(auth["metadata"] == ["role_name": "web"])
        #expect(auth["lease_duration"] == 3600)
        let token = try #require(auth["client_token"]?.stringValue)
        let me = Self.data(try await node.call(.read, "auth/token/lookup-self", token: token))
        #expect(me["display_name"] == "approle")
        #expect(me["path"] == "auth/approle/login")

        // num_uses=1: the second login is refused.
        await #expect(throws: CoreError.badRequest("invalid role or secret ID")) {
            _ = try await node.call(
                .update, "auth/approle/login", ["role_id": .string(roleID), "secret_id": .string(secretID)])
        }

        // Nothing on disk holds the secret_id or the role_id in clear.
        for (_, value) in await node.physical.inner.snapshot() {
            #expect(!SecretStorageTests.contains(value, Array(secretID.utf8)))
            #expect(!SecretStorageTests.contains(value, Array(roleID.utf8)))
        }
    }

    @Test func roleEndpointsNeedAToken() async throws {
        let node = try await Self.node()
        _ = try await node.call(.update, "sys/auth/approle", ["type": "approle"], token: node.root)
        await #expect(throws: CoreError.permissionDenied) {
            _ = try await node.call(.update, "auth/approle/role/web", ["token_policies": "x"])
        }
        await #expect(throws: CoreError.permissionDenied) {
            _ = try await node.call(.read, "auth/approle/role/web/role-id")
        }
    }
}
