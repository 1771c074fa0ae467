import Core
import Foundation
import Storage

@testable import AppRole

/// One AppRole mount over a MemoryStorage, called the way the core calls it: paths
/// relative to the mount, create-vs-update decided by `exists`, a fixed clock.
struct AppRoleHarness {
    let backend = AppRoleBackend()
    let storage = MemoryStorage()
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var remoteAddress: String? = "127.0.0.1"

    /// The answer, or the error mapped to Vault's status and messages the way
    /// Sources/API/VaultWireError.swift maps it.
    enum Outcome {
        case response(Response)
        case failure(status: Int, errors: [String])

        var status: Int {
            switch self {
            case .response(let response): response.status
            case .failure(let status, _): status
            }
        }

        var data: [String: JSONValue]? {
            if case .response(let response) = self, case .logical(let body) = response.body { return body.data }
            return nil
        }

        var auth: LoginAuth? {
            if case .response(let response) = self, case .logical(let body) = response.body { return body.auth }
            return nil
        }

        var errors: [String] {
            if case .failure(_, let errors) = self { return errors }
            return []
        }
    }

    func call(
        _ method: String, _ path: String, _ data: [String: JSONValue] = [:], remote: String?? = nil,
        at time: Date? = nil
    ) async -> Outcome {
        var request = BackendRequest(
            operation: .read, path: path, data: data, storage: storage, mountPoint: "auth/approle/",
            remoteAddress: remote ?? remoteAddress, now: time ?? now)
        do {
            switch method {
            case "GET": request.operation = .read
            case "LIST": request.operation = .list
            case "DELETE": request.operation = .delete
            default: request.operation = try await backend.exists(request) ? .update : .create
            }
            guard let response = try await backend.handle(request) else {
                return .failure(status: 404, errors: ["unsupported path"])
            }
            return .response(response)
        } catch {
            let (status, messages) = Self.wire(error)
            return .failure(status: status, errors: messages)
        }
    }

    static func wire(_ error: CoreError) -> (Int, [String]) {
        error.wire
    }

    /// Creates a role and gives it a known role_id.
    func role(_ name: String, _ fields: [String: JSONValue] = [:], roleID: String) async throws {
        let created = await call("POST", "role/\(name)", fields)
        guard created.status == 204 || created.status == 200 else { throw HarnessError.unexpected(created.status) }
        let set = await call("POST", "role/\(name)/role-id", ["role_id": .string(roleID)])
        guard set.status == 204 else { throw HarnessError.unexpected(set.status) }
    }

    /// Issues a secret_id and answers it with its accessor.
    func secretID(_ role: String, _ fields: [String: JSONValue] = [:]) async throws -> (String, String) {
        let issued = await call("POST", "role/\(role)/secret-id", fields)
        guard let secret = issued.data?["secret_id"]?.stringValue,
            let accessor = issued.data?["secret_id_accessor"]?.stringValue
        else { throw HarnessError.unexpected(issued.status) }
        return (secret, accessor)
    }

    func login(_ roleID: String, _ secretID: String?, remote: String?? = nil, at time: Date? = nil) async -> Outcome {
        var data: [String: JSONValue] = ["role_id": .string(roleID)]
        if let secretID { data["secret_id"] = .string(secretID) }
        return await call("POST", "login", data, remote: remote, at: time)
    }
}

enum HarnessError: Error {
    case unexpected(Int)
}
