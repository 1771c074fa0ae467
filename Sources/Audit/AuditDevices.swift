import Core
import Foundation
import Logging
import Storage

/// The node's audit devices: the core's ``AuditBroker``.
///
/// An actor: every write to every device is serialised here, so each device's lines are
/// in the order the entries were recorded and its hash chain is dense. An entry counts
/// as recorded when at least one device wrote it (Vault's rule); when devices exist and
/// none could, ``record(_:)`` throws and the core refuses the request.
///
/// Config-declared devices come from ``apply(declared:)`` (start and SIGHUP); API-enabled
/// devices are kept behind the barrier and loaded on unseal. Salts live behind the
/// barrier and in memory only between ``unsealed(storage:)`` and ``sealed()``.
public actor AuditDevices: AuditBroker {
    struct Device {
        var config: AuditDeviceConfig
        let sink: any AuditSink
        var chain: AuditChain
        var salt: AuditSalt?
    }

    /// `unsafe_allow_api_audit_creation`.
    let allowAPICreation: Bool
    /// `allow_audit_log_prefixing`.
    let allowPrefix: Bool
    let logger: Logger
    let randomBytes: @Sendable (Int) -> [UInt8]
    private var devices: [String: Device] = [:]
    private var storage: (any Storage)?
    private var declared: [AuditDeviceConfig] = []
    /// Called with each failed device write (metrics).
    private var onFailure: (@Sendable (String) -> Void)?
    /// Test seam: sinks by device name instead of real files and sockets.
    private let sinkFactory: @Sendable (AuditDeviceConfig) -> any AuditSink

    static let tableKey = "table"
    static func saltKey(_ name: String) -> String { "salt/" + name }

    public init(
        allowAPICreation: Bool = false, allowPrefix: Bool = false, logger: Logger = Logger(label: "coffer.audit"),
        randomBytes: @escaping @Sendable (Int) -> [UInt8] = CoreEnvironment.system.randomBytes
    ) {
        self.init(
            allowAPICreation: allowAPICreation, allowPrefix: allowPrefix, logger: logger, randomBytes: randomBytes,
            sinkFactory: Self.realSink)
    }

    init(
        allowAPICreation: Bool, allowPrefix: Bool, logger: Logger, randomBytes: @escaping @Sendable (Int) -> [UInt8],
        sinkFactory: @escaping @Sendable (AuditDeviceConfig) -> any AuditSink
    ) {
        self.allowAPICreation = allowAPICreation
        self.allowPrefix = allowPrefix
        self.logger = logger
        self.randomBytes = randomBytes
        self.sinkFactory = sinkFactory
    }

    @Sendable static func realSink(_ config: AuditDeviceConfig) -> any AuditSink {
        config.type == "socket" ? SocketAuditSink(options: config.options) : FileAuditSink(options: config.options)
    }

    public func setFailureObserver(_ observer: @escaping @Sendable (String) -> Void) {
        onFailure = observer
    }

    // MARK: configuration

    /// Makes the config-declared devices exactly `declared`: new stanzas are created,
    /// changed ones re-created, missing ones removed (API-enabled devices are kept).
    /// All stanzas are validated first; on an error nothing changes.
    public func apply(declared newDeclared: [AuditDeviceConfig]) async throws(AuditConfigError) {
        var seen: Set<String> = []
        for config in newDeclared {
            try config.validate(allowPrefix: allowPrefix)
            guard seen.insert(config.path).inserted else {
                throw AuditConfigError("audit device \"\(config.path)\" is declared twice")
            }
            if let existing = devices[config.path], existing.config.origin == .api {
                throw AuditConfigError("audit device \"\(config.path)\" already exists, enabled through the API")
            }
        }
        for (path, device) in devices where device.config.origin == .config && !seen.contains(path) {
            device.sink.close()
            devices[path] = nil
            logger.info("audit device removed", metadata: ["path": "\(path)"])
        }
        for config in newDeclared {
            var config = config
            config.origin = .config
            if let existing = devices[config.path], existing.config == config { continue }
            devices[config.path]?.sink.close()
            devices[config.path] = try await open(config)
            logger.info("audit device enabled", metadata: ["path": "\(config.path)", "type": "\(config.type)"])
        }
        declared = newDeclared
    }

    /// Reopens every device (SIGHUP: a rotated file is opened anew). A device that cannot
    /// reopen stays in the table and is retried on each write.
    public func reopenAll() {
        for (path, device) in devices {
            do {
                try device.sink.reopen()
            } catch {
                logger.error("audit device cannot reopen", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    private func open(_ config: AuditDeviceConfig) async throws(AuditConfigError) -> Device {
        let sink = sinkFactory(config)
        do {
            try sink.reopen()
        } catch {
            // Vault refuses to enable a device it cannot open.
            throw AuditConfigError("audit device \"\(config.path)\": \(error.description)")
        }
        let chain = sink.lastLine().map(AuditChain.init(continuingAfter:)) ?? AuditChain()
        var device = Device(config: config, sink: sink, chain: chain, salt: nil)
        if let storage {
            do {
                device.salt = try await loadSalt(config.name, storage: storage)
            } catch {
                throw AuditConfigError("audit device \"\(config.path)\": cannot create its salt")
            }
        }
        return device
    }

    // MARK: AuditBroker

    public func hasDevices() -> Bool { !devices.isEmpty }

    public func unsealed(storage: any Storage) async throws(AuditFailure) {
        self.storage = storage
        do {
            if let bytes = try await storage.get(Self.tableKey) {
                let table = try JSONDecoder().decode([StoredDevice].self, from: Data(bytes))
                for stored in table where devices[stored.config.path] == nil {
                    do {
                        devices[stored.config.path] = try await open(stored.config)
                    } catch {
                        logger.error("audit device cannot open", metadata: ["path": "\(stored.config.path)"])
                        throw AuditFailure("audit device \(stored.config.path) cannot open")
                    }
                }
            }
            for path in devices.keys.sorted() where devices[path]?.salt == nil {
                guard let name = devices[path]?.config.name else { continue }
                devices[path]?.salt = try await loadSalt(name, storage: storage)
            }
        } catch let error as AuditFailure {
            throw error
        } catch {
            throw AuditFailure("cannot load audit salts")
        }
    }

    public func sealed() {
        storage = nil
        for path in devices.keys { devices[path]?.salt = nil }
        for (path, device) in devices where device.config.origin == .api {
            device.sink.close()
            devices[path] = nil
        }
    }

    public func record(_ record: AuditRecord) throws(AuditFailure) {
        guard !devices.isEmpty else { return }
        var recorded = 0
        for path in devices.keys.sorted() {
            guard var device = devices[path] else { continue }
            guard device.config.logRaw || device.salt != nil else {
                onFailure?(path)
                continue
            }
            let entry = AuditEntry(
                record: record, salt: device.config.logRaw ? nil : device.salt,
                hmacAccessor: device.config.hmacAccessor)
            var chain = device.chain
            let salt = device.salt
            var line = chain.seal(
                entry: Self.serialize(entry.json()), prefix: Array(device.config.prefix.utf8),
                mac: salt.map { salt in { salt.hmac($0) } })
            line.append(0x0A)
            do {
                try device.sink.write(line)
                device.chain = chain
                devices[path] = device
                recorded += 1
            } catch {
                onFailure?(path)
                logger.error("audit device cannot write", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        if recorded == 0 {
            throw AuditFailure("no audit device could record the \(record.kind.rawValue)")
        }
    }

    public func listDevices() -> [String: JSONValue] {
        devices.mapValues { device in
            .object([
                "type": .string(device.config.type),
                "description": .string(device.config.description),
                "options": .object(device.config.options.mapValues { .string($0) }),
                "local": .bool(device.config.local),
                "path": .string(device.config.path),
            ])
        }
    }

    public func enableDevice(
        name: String, type: String, description: String, options: [String: String], local: Bool
    ) async throws(CoreError) {
        guard allowAPICreation else {
            throw CoreError.badRequest(
                "cannot enable audit device via API; use declarative, config-based audit device management instead")
        }
        let config = AuditDeviceConfig(
            name: name.hasSuffix("/") ? String(name.dropLast()) : name, type: type, description: description,
            options: options, local: local, origin: .api)
        do {
            try config.validate(allowPrefix: allowPrefix)
        } catch {
            throw CoreError.badRequest(error.description)
        }
        guard devices[config.path] == nil else {
            throw CoreError.badRequest("path already in use")
        }
        let device: Device
        do {
            device = try await open(config)
        } catch {
            throw CoreError.badRequest(error.description)
        }
        devices[config.path] = device
        do {
            try await saveTable()
        } catch {
            device.sink.close()
            devices[config.path] = nil
            throw CoreError.internal("internal error while trying to enable the audit device")
        }
        logger.info("audit device enabled", metadata: ["path": "\(config.path)", "type": "\(type)"])
    }

    public func disableDevice(name: String) async throws(CoreError) {
        let path = name.hasSuffix("/") ? name : name + "/"
        guard let device = devices[path] else { return }
        guard device.config.origin == .api else {
            throw CoreError.badRequest("cannot disable configuration-managed audit device")
        }
        devices[path] = nil
        do {
            try await saveTable()
            try await storage?.delete(Self.saltKey(device.config.name))
        } catch {
            devices[path] = device
            throw CoreError.internal("internal error while trying to disable the audit device")
        }
        device.sink.close()
        logger.info("audit device disabled", metadata: ["path": "\(path)"])
    }

    public func hash(device name: String, input: String) throws(CoreError) -> String {
        let path = name.hasSuffix("/") ? name : name + "/"
        guard let device = devices[path] else {
            throw CoreError.badRequest("unknown audit backend \"\(path)\"")
        }
        guard let salt = device.salt else { throw CoreError.sealed }
        return salt.hmac(input)
    }

    // MARK: storage

    struct StoredDevice: Codable {
        var name: String
        var type: String
        var description: String
        var options: [String: String]
        var local: Bool

        var config: AuditDeviceConfig {
            AuditDeviceConfig(
                name: name, type: type, description: description, options: options, local: local, origin: .api)
        }
    }

    private func saveTable() async throws {
        guard let storage else { throw AuditFailure("sealed") }
        let table = devices.values.filter { $0.config.origin == .api }.sorted { $0.config.path < $1.config.path }
            .map {
                StoredDevice(
                    name: $0.config.name, type: $0.config.type, description: $0.config.description,
                    options: $0.config.options, local: $0.config.local)
            }
        try await storage.put(Self.tableKey, Array(JSONEncoder().encode(table)))
    }

    private func loadSalt(_ name: String, storage: any Storage) async throws -> AuditSalt {
        if let bytes = try await storage.get(Self.saltKey(name)), bytes.count == AuditSalt.byteCount {
            return AuditSalt(bytes: bytes)
        }
        var fresh = randomBytes(AuditSalt.byteCount)
        defer { fresh.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        try await storage.put(Self.saltKey(name), fresh)
        return AuditSalt(bytes: fresh)
    }

    /// `{"k":v,...}` in the given key order; values with sorted keys.
    static func serialize(_ fields: [(String, JSONValue)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: JSONValue.string(key).serialized())
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.serialized())
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
