import Foundation
import Storage

/// The audit stage of the request path: every authenticated-path request is recorded
/// before it runs and its outcome after, through the installed ``AuditBroker``.
extension CofferCore {
    /// Where brokers keep salts and API-enabled devices, behind the barrier.
    static let auditStoragePrefix = "core/audit/"

    /// Installs the audit broker. Call before serving requests.
    public func setAuditBroker(_ broker: any AuditBroker) {
        auditBroker = broker
        auditLoaded = false
    }

    /// Runs `request` between its two audit records. If devices are enabled and the
    /// request cannot be recorded, nothing runs and the client gets a 500; if the
    /// response cannot be recorded the client gets a 500 instead of the answer.
    func handleAudited(_ request: Request, node: ActiveNode) async throws(CoreError) -> Response {
        guard let broker = auditBroker else { return try await handleLogical(request, node: node) }
        auditInFlight += 1
        defer { auditInFlight -= 1 }
        if !auditLoaded {
            do {
                try await broker.unsealed(storage: StorageView(barrier, prefix: Self.auditStoragePrefix))
                auditLoaded = true
            } catch {
                logger.error("audit: cannot load device salts", metadata: ["error": "\(error.description)"])
                throw CoreError.internal("internal error")
            }
        }
        guard await broker.hasDevices() else { return try await handleLogical(request, node: node) }

        let auth = await auditAuth(request, node: node)
        var record = AuditRecord(
            kind: .request, time: environment.now(), requestID: environment.uuid(),
            request: await auditedRequest(request, auth: auth, node: node), auth: auth,
            mount: auditMount(request.path, node: node))
        do {
            try await broker.record(record)
        } catch {
            logger.error("audit: request refused, no audit device could record it")
            throw CoreError.internal("internal error")
        }
        let outcome: Result<Response, CoreError>
        do {
            outcome = .success(try await handleLogical(request, node: node))
        } catch {
            outcome = .failure(error)
        }
        record.kind = .response
        record.time = environment.now()
        switch outcome {
        case .success(let response): record.response = response
        case .failure(let error): record.error = error.wire.messages.joined(separator: "; ")
        }
        do {
            try await broker.record(record)
        } catch {
            logger.error("audit: response withheld, no audit device could record it")
            await forgetAuditSaltsIfSealed()
            throw CoreError.internal("internal error")
        }
        await forgetAuditSaltsIfSealed()
        var response = try outcome.get()
        if case .logical(var body) = response.body {
            body.requestID = record.requestID
            response.body = .logical(body)
        }
        return response
    }

    /// Called by ``seal()``: the broker forgets its salts now, or once the request in
    /// flight (a `sys/seal`) has recorded its response.
    func auditSealed() async {
        auditLoaded = false
        if auditInFlight == 0 { await auditBroker?.sealed() }
    }

    private func forgetAuditSaltsIfSealed() async {
        if case .active = state { return }
        auditLoaded = false
        await auditBroker?.sealed()
    }

    private func auditAuth(_ request: Request, node: ActiveNode) async -> AuditRecord.Auth? {
        guard let token = request.clientToken, !token.isEmpty,
            let entry = try? await node.tokens.entry(hash: node.tokens.hash(token))
        else { return nil }
        return AuditRecord.Auth(
            clientToken: token, accessor: entry.accessor, displayName: entry.displayName, policies: entry.policies,
            metadata: entry.meta, tokenType: entry.type, tokenTTL: entry.ttlSeconds, issueTime: entry.issueTime)
    }

    /// The request as the log shows it: a write to a target that does not exist yet is a
    /// `create`, as the ACL check and OpenBao's log call it.
    private func auditedRequest(_ request: Request, auth: AuditRecord.Auth?, node: ActiveNode) async -> Request {
        guard request.operation == .update, let auth, let token = request.clientToken else { return request }
        let caller = Caller(
            accessor: auth.accessor, policies: auth.policies, displayName: auth.displayName,
            tokenStorageID: node.tokens.hash(token))
        guard
            let operation = try? await aclOperation(
                request, route: route(request.path, node: node), caller: caller, node: node, now: environment.now()),
            operation == .create
        else { return request }
        var logged = request
        logged.operation = .create
        return logged
    }

    private func auditMount(_ path: String, node: ActiveNode) -> AuditRecord.Mount? {
        if let route = route(path, node: node) {
            return AuditRecord.Mount(
                point: route.mountPoint, type: route.mount.type, accessor: route.mount.accessor, isAuth: route.isAuth)
        }
        if path == "sys" || path.hasPrefix("sys/"), let sys = node.mounts.entries.first(where: { $0.type == "system" }) {
            return AuditRecord.Mount(point: "sys/", type: "system", accessor: sys.accessor, isAuth: false)
        }
        if path.hasPrefix("auth/token"), let token = node.authMounts.entries.first(where: { $0.type == "token" }) {
            return AuditRecord.Mount(point: "auth/token/", type: "token", accessor: token.accessor, isAuth: true)
        }
        return nil
    }

    // MARK: sys/audit, sys/audit-hash

    /// `sys/audit`, `sys/audit/NAME` and `sys/audit-hash/NAME` (ACL and sudo already checked).
    func handleAuditEndpoint(_ request: Request) async throws(CoreError) -> Response {
        let path = request.path
        if path == "sys/audit" {
            try requireMethod(request, [.read])
            let devices = await auditBroker?.listDevices() ?? [:]
            return .data(devices, alsoAtTopLevel: true)
        }
        if let name = path.dropPrefix("sys/audit-hash/") {
            try requireMethod(request, [.update, .create])
            guard let input = request.data["input"]?.stringValue, !input.isEmpty else {
                throw CoreError.badRequest("the \"input\" parameter is empty")
            }
            guard let broker = auditBroker else {
                throw CoreError.badRequest("unknown audit backend \"\(Self.devicePath(name))\"")
            }
            let hash = try await broker.hash(device: name, input: input)
            return .data(["hash": .string(hash)], alsoAtTopLevel: true)
        }
        guard let name = path.dropPrefix("sys/audit/"), !name.isEmpty else {
            throw CoreError.notFound([])
        }
        guard let broker = auditBroker else {
            throw CoreError.badRequest("audit devices are not available on this server")
        }
        switch request.operation {
        case .update, .create:
            guard let type = request.data["type"]?.stringValue, !type.isEmpty else {
                throw CoreError.badRequest("type is required")
            }
            var options: [String: String] = [:]
            if case .object(let given) = request.data["options"] ?? .null {
                for (key, value) in given {
                    switch value {
                    case .string(let text): options[key] = text
                    case .bool(let flag): options[key] = flag ? "true" : "false"
                    case .int(let number): options[key] = String(number)
                    default: throw CoreError.badRequest("option \"\(key)\" must be a string")
                    }
                }
            }
            let description = request.data["description"]?.stringValue ?? ""
            let local = request.data["local"].map { $0 == .bool(true) || $0 == .string("true") } ?? false
            try await broker.enableDevice(
                name: name, type: type, description: description, options: options, local: local)
            return .noContent
        case .delete:
            try await broker.disableDevice(name: name)
            return .noContent
        default:
            throw CoreError.methodNotAllowed
        }
    }

    /// A device's path as Vault names it in errors and listings ("NAME/").
    static func devicePath(_ name: String) -> String {
        name.hasSuffix("/") ? name : name + "/"
    }
}
