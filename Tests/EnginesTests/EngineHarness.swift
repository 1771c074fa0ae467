import Core
import Engines
import Foundation
import Storage

/// Drives the engines the way the core and the API layer would, without either: mounts
/// by path prefix, HTTP method to operation, and the core's answer to the wire shape
/// (status code and JSON body), following Sources/API/VaultWireError.swift.
struct EngineHarness {
    let storage = MemoryStorage()
    let mounts: [(prefix: String, backend: any LogicalBackend)]
    let callers: [String: Caller] = [
        "root": Caller(accessor: "acc-root", policies: ["root"], displayName: "root", tokenStorageID: "sid-root"),
        "other": Caller(accessor: "acc-other", policies: ["root"], displayName: "token", tokenStorageID: "sid-other"),
    ]

    init() {
        mounts = [
            ("secret/", KVv2Backend()),
            ("kv1/", KVv1Backend()),
            ("cubbyhole/", CubbyholeBackend()),
        ]
    }

    struct WireAnswer {
        var status: Int
        var body: JSONValue?
    }

    func send(
        method: String, path fullPath: String, body: JSONValue?, token: String, now: Date
    ) async -> WireAnswer {
        var path = fullPath
        var data: [String: JSONValue] = body?.objectValue ?? [:]
        var operation: Core.Operation
        switch method {
        case "GET": operation = .read
        case "LIST": operation = .list
        case "DELETE": operation = .delete
        case "PATCH": operation = .patch
        default: operation = .update
        }
        if let question = path.firstIndex(of: "?") {
            let query = path[path.index(after: question)...]
            path = String(path[..<question])
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                let name = parts[0]
                let value = parts.count > 1 ? parts[1] : ""
                if name == "list" && operation == .read && value == "true" {
                    operation = .list
                    continue
                }
                data[name] = .string(value)
            }
        }
        guard let mount = mounts.first(where: { path.hasPrefix($0.prefix) }) else {
            return WireAnswer(status: 404, body: ["errors": ["no handler for route"]])
        }
        var request = BackendRequest(
            operation: operation, path: String(path.dropFirst(mount.prefix.count)), data: data,
            storage: storage.view(prefix: "logical/\(mount.prefix)"), mountPoint: mount.prefix,
            caller: callers[token], now: now)
        do {
            if operation == .update, try await !mount.backend.exists(request) { request.operation = .create }
            guard let response = try await mount.backend.handle(request) else {
                // As the core answers a backend's nil ("no such path").
                return wire(CoreError.notFound(["no handler for route \"\(fullPath)\". route entry not found."]))
            }
            return wire(response)
        } catch {
            return wire(error)
        }
    }

    func wire(_ error: CoreError) -> WireAnswer {
        let (status, messages) = error.wire
        return WireAnswer(status: status, body: ["errors": .array(messages.map(JSONValue.string))])
    }

    func wire(_ response: Response) -> WireAnswer {
        switch response.body {
        case .none:
            return WireAnswer(status: response.status, body: nil)
        case .raw(let value):
            return WireAnswer(status: response.status, body: value)
        case .logical(let body):
            // The core's own envelope; the HTTP layer adds only request_id.
            return WireAnswer(status: response.status, body: .object(body.envelope()))
        }
    }

    /// Replaces RFC 3339 timestamps by "<time>", as the oracle recorder does.
    static func normalised(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.mapValues(normalised))
        case .array(let elements): .array(elements.map(normalised))
        case .string(let text) where isTimestamp(text): .string("<time>")
        default: value
        }
    }

    static func isTimestamp(_ text: String) -> Bool {
        text.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"#, options: .regularExpression) != nil
    }
}
