/// One audit device as declared in the server config (`audit "file" "NAME" {...}`) or
/// enabled through `sys/audit/NAME`. A value: what the device should be, not the open
/// file or socket.
public struct AuditDeviceConfig: Sendable, Equatable {
    public enum Origin: String, Sendable, Equatable, Codable {
        /// Declared in the server config: created at start and on SIGHUP, removed when its
        /// stanza goes, never disabled through the API.
        case config
        /// Enabled through the API (needs `unsafe_allow_api_audit_creation`), kept behind
        /// the barrier.
        case api
    }

    public var name: String
    public var type: String
    public var description: String
    public var options: [String: String]
    public var local: Bool
    public var origin: Origin

    public init(
        name: String, type: String, description: String = "", options: [String: String] = [:], local: Bool = false,
        origin: Origin = .config
    ) {
        self.name = name
        self.type = type
        self.description = description
        self.options = options
        self.local = local
        self.origin = origin
    }

    /// The device's path as Vault lists it ("NAME/").
    public var path: String { name.hasSuffix("/") ? name : name + "/" }

    /// `log_raw = true` turns hashing off (Vault's option, for debugging only).
    var logRaw: Bool { Self.isTrue(options["log_raw"]) }
    /// `hmac_accessor` (default true): whether token accessors are hashed too.
    var hmacAccessor: Bool { options["hmac_accessor"].map(Self.isTrue) ?? true }
    var prefix: String { options["prefix"] ?? "" }

    static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    /// Options a device type accepts; any other is refused, naming it, rather than
    /// accepted and ignored (an operator who sets a filter must not believe it applies).
    static let knownOptions: [String: Set<String>] = [
        "file": ["file_path", "path", "log_raw", "hmac_accessor", "mode", "prefix", "format"],
        "socket": ["address", "socket_type", "write_timeout", "log_raw", "hmac_accessor", "prefix", "format"],
    ]
}

/// Why a device configuration cannot be used; the message names the device and option.
public struct AuditConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension AuditDeviceConfig {
    /// Checks type and options, as far as they can be checked without opening anything.
    public func validate(allowPrefix: Bool) throws(AuditConfigError) {
        guard let known = Self.knownOptions[type] else {
            throw AuditConfigError("audit device \"\(path)\": unknown audit device type \"\(type)\"")
        }
        if name.isEmpty || name.contains("/") && !name.hasSuffix("/") {
            throw AuditConfigError("audit device name \"\(name)\" is not valid")
        }
        for key in options.keys.sorted() where !known.contains(key) {
            throw AuditConfigError("audit device \"\(path)\": unknown option \"\(key)\"")
        }
        if let format = options["format"], format != "json" {
            throw AuditConfigError("audit device \"\(path)\": format \"\(format)\" is not supported; use json")
        }
        if !prefix.isEmpty && !allowPrefix {
            throw AuditConfigError("audit log prefixing is not allowed")
        }
        switch type {
        case "file":
            guard let file = options["file_path"] ?? options["path"], !file.isEmpty else {
                throw AuditConfigError("audit device \"\(path)\": file_path is required")
            }
            if let mode = options["mode"], UInt32(mode, radix: 8) == nil {
                throw AuditConfigError("audit device \"\(path)\": mode \"\(mode)\" is not an octal file mode")
            }
        case "socket":
            guard let address = options["address"], !address.isEmpty else {
                throw AuditConfigError("audit device \"\(path)\": address is required")
            }
            let socketType = options["socket_type"] ?? "tcp"
            guard ["tcp", "udp", "unix"].contains(socketType) else {
                throw AuditConfigError("audit device \"\(path)\": socket_type \"\(socketType)\" is not supported")
            }
        default:
            break
        }
    }
}
