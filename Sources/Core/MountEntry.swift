/// One mounted secrets engine or auth method, as kept in the mount table behind the
/// barrier. Its storage lives under `logical/<uuid>/` (engines) or `auth/<uuid>/`.
public struct MountEntry: Codable, Sendable, Equatable {
    /// With trailing slash, relative to the namespace: "secret/", or "approle/" for auth.
    public var path: String
    public var type: String
    public var description: String
    public var uuid: String
    public var accessor: String
    public var options: [String: String]?
    public var defaultLeaseTTL: Int64
    public var maxLeaseTTL: Int64
    public var local: Bool
    public var sealWrap: Bool

    enum CodingKeys: String, CodingKey {
        case path, type, description, uuid, accessor, options, local
        case defaultLeaseTTL = "default_lease_ttl"
        case maxLeaseTTL = "max_lease_ttl"
        case sealWrap = "seal_wrap"
    }

    /// The JSON Vault answers for this mount in `sys/mounts` and friends.
    func wireJSON(isAuth: Bool) -> JSONValue {
        var config: [String: JSONValue] = [
            "default_lease_ttl": .int(defaultLeaseTTL),
            "max_lease_ttl": .int(maxLeaseTTL),
            "force_no_cache": false,
        ]
        if isAuth {
            config["token_type"] = "default-service"
        }
        if type == "system" {
            config["passthrough_request_headers"] = ["Accept"]
        }
        if type == "identity" {
            config["passthrough_request_headers"] = ["Authorization"]
        }
        var object: [String: JSONValue] = [
            "accessor": .string(accessor),
            "config": .object(config),
            "description": .string(description),
            "external_entropy_access": false,
            "local": .bool(local),
            "options": options.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "plugin_version": "",
            "running_plugin_version": .string("v" + CoreOptions.defaultVersion + "+builtin"),
            "running_sha256": "",
            "seal_wrap": .bool(sealWrap),
            "type": .string(type),
            "uuid": .string(uuid),
        ]
        if !["system", "identity", "cubbyhole", "token"].contains(type) {
            object["deprecation_status"] = "supported"
        }
        return .object(object)
    }
}
