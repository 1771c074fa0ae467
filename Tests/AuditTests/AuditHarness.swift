import Core
import Engines
import Foundation
import Storage
import Testing

@testable import Audit

/// An initialised, unsealed core with KV v2 at `secret/` and an audit broker whose
/// devices write to memory (or to real files, when a test gives a path).
struct AuditHarness {
    let core: CofferCore
    let audit: AuditDevices
    let storage: MemoryStorage
    let rootToken: String
    let unsealKey: String
    let sinks: SinkBox

    /// Sinks by device name, for tests to read and break.
    final class SinkBox: @unchecked Sendable {
        // Touched only from the AuditDevices actor (via the factory) and by a test after
        // its requests have returned; no two at once.
        var sinks: [String: MemoryAuditSink] = [:]
        func lines(_ name: String) -> [String] {
            (sinks[name]?.lines ?? []).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    static func make(
        devices: [AuditDeviceConfig] = [AuditDeviceConfig(name: "mem", type: "file", options: ["file_path": "discard"])],
        allowAPICreation: Bool = false, memory: Bool = true
    ) async throws -> AuditHarness {
        let storage = MemoryStorage()
        let core = try await CofferCore(physical: storage, backendFactory: EngineRegistry.factory)
        let box = SinkBox()
        let audit = AuditDevices(
            allowAPICreation: allowAPICreation, allowPrefix: true, logger: .init(label: "test"),
            randomBytes: CoreEnvironment.system.randomBytes,
            sinkFactory: { config in
                if !memory || config.options["file_path"] != "discard" { return AuditDevices.realSink(config) }
                let sink = MemoryAuditSink()
                box.sinks[config.name] = sink
                return sink
            })
        try await audit.apply(declared: devices)
        await core.setAuditBroker(audit)
        let initialized = try await core.handle(Request(
            operation: .update, path: "sys/init", data: ["secret_shares": 1, "secret_threshold": 1]))
        guard case .raw(.object(let body)) = initialized.body,
            let key = body["keys"]?.arrayValue?.first?.stringValue, let root = body["root_token"]?.stringValue
        else {
            throw HarnessError.unexpected("init")
        }
        _ = try await core.handle(Request(operation: .update, path: "sys/unseal", data: ["key": .string(key)]))
        let harness = AuditHarness(
            core: core, audit: audit, storage: storage, rootToken: root, unsealKey: key, sinks: box)
        _ = try await harness.call(.update, "sys/mounts/secret", ["type": "kv", "options": ["version": "2"]])
        return harness
    }

    enum HarnessError: Error { case unexpected(String) }

    @discardableResult
    func call(
        _ operation: Core.Operation, _ path: String, _ data: [String: JSONValue] = [:], token: String? = nil,
        wrapTTL: Duration? = nil
    ) async throws(CoreError) -> Response {
        try await core.handle(Request(
            operation: operation, path: path, data: data, clientToken: token ?? rootToken, wrapTTL: wrapTTL,
            remoteAddress: "127.0.0.1"))
    }

    /// The status the wire would show: the response's, or the error's.
    func status(
        _ operation: Core.Operation, _ path: String, _ data: [String: JSONValue] = [:], token: String? = nil
    ) async -> Int {
        do {
            return try await call(operation, path, data, token: token).status
        } catch {
            return error.wire.status
        }
    }

    func data(_ response: Response) -> [String: JSONValue] {
        if case .logical(let body) = response.body { return body.data ?? [:] }
        if case .raw(.object(let object)) = response.body { return object }
        return [:]
    }
}

extension JSONValue {
    /// Every string inside, depth first.
    var allStrings: [String] {
        switch self {
        case .string(let text): [text]
        case .array(let values): values.flatMap(\.allStrings)
        case .object(let object): object.values.flatMap(\.allStrings)
        default: []
        }
    }
}
