import Core
import Foundation

/// One audit line's JSON in Vault's field layout (`time`, `type`, `auth`, `request`,
/// `response`, `error`), with every sensitive string replaced by the device's HMAC.
///
/// Hashed: every string inside request and response data (nested objects and arrays
/// too), client tokens, wrapping tokens, and accessors unless `hmac_accessor = false`.
/// Kept in clear: paths, operations, policies, token metadata, times, numbers, booleans.
struct AuditEntry {
    let record: AuditRecord
    /// nil: `log_raw`, nothing hashed.
    let salt: AuditSalt?
    let hmacAccessor: Bool

    /// The entry without the chain field, keys in Vault's order.
    func json() -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("time", .string(Timestamp(record.time).rfc3339Nano)),
            ("type", .string(record.kind.rawValue)),
            ("auth", auth()),
            ("request", request()),
        ]
        if record.kind == .response {
            fields.append(("response", response()))
        }
        if let error = record.error {
            fields.append(("error", .string(error)))
        }
        return fields
    }

    private func hash(_ value: String) -> String {
        salt?.hmac(value) ?? value
    }

    private func hashAccessor(_ value: String) -> String {
        hmacAccessor ? hash(value) : value
    }

    /// Every string in `value` hashed, structure kept.
    func hashStrings(_ value: JSONValue) -> JSONValue {
        guard salt != nil else { return value }
        switch value {
        case .string(let text): return .string(hash(text))
        case .array(let values): return .array(values.map(hashStrings))
        case .object(let object): return .object(object.mapValues(hashStrings))
        default: return value
        }
    }

    private func auth() -> JSONValue {
        guard let auth = record.auth else { return .object(["token_type": "default"]) }
        var object: [String: JSONValue] = [
            "client_token": .string(hash(auth.clientToken)),
            "accessor": .string(hashAccessor(auth.accessor)),
            "display_name": .string(auth.displayName),
            "policies": .array(auth.policies.map { .string($0) }),
            "token_policies": .array(auth.policies.map { .string($0) }),
            "token_type": .string(auth.tokenType),
            "token_issue_time": .string(Timestamp(auth.issueTime).rfc3339Nano),
        ]
        if let metadata = auth.metadata {
            object["metadata"] = .object(metadata.mapValues { .string($0) })
        }
        if auth.tokenTTL > 0 {
            object["token_ttl"] = .int(auth.tokenTTL)
        }
        return .object(object)
    }

    private func mountFields(into object: inout [String: JSONValue], runningVersionKey: String) {
        guard let mount = record.mount else { return }
        object["mount_point"] = .string(mount.point)
        object["mount_type"] = .string(mount.type)
        object["mount_accessor"] = .string(mount.accessor)
        object["mount_class"] = .string(mount.isAuth ? "auth" : "secret")
    }

    private func request() -> JSONValue {
        let request = record.request
        var object: [String: JSONValue] = [
            "id": .string(record.requestID),
            "operation": .string(request.operation == .head ? "read" : request.operation.rawValue),
            "namespace": .object(["id": "root"]),
            "path": .string(request.path),
        ]
        mountFields(into: &object, runningVersionKey: "mount_running_version")
        if let token = request.clientToken, !token.isEmpty {
            object["client_token"] = .string(hash(token))
        }
        if let auth = record.auth {
            object["client_token_accessor"] = .string(hashAccessor(auth.accessor))
        }
        if !request.data.isEmpty {
            object["data"] = hashStrings(.object(request.data))
        }
        if let remote = request.remoteAddress {
            object["remote_address"] = .string(remote)
        }
        if let wrapTTL = request.wrapTTL {
            object["wrap_ttl"] = .int(wrapTTL.components.seconds)
        }
        return .object(object)
    }

    private func response() -> JSONValue {
        var object: [String: JSONValue] = [:]
        mountFields(into: &object, runningVersionKey: "mount_running_plugin_version")
        guard let response = record.response else { return .object(object) }
        switch response.body {
        case .none:
            break
        case .raw(.object(let envelope)) where envelope["lease_id"] != nil && envelope["wrap_info"] != nil:
            // An unwrapped response is sent as the stored envelope: audit what is inside it.
            addLogical(
                into: &object, data: envelope["data"]?.objectValue,
                warnings: envelope["warnings"]?.arrayValue?.compactMap(\.stringValue),
                leaseID: envelope["lease_id"]?.stringValue ?? "", auth: envelope["auth"],
                wrapInfo: envelope["wrap_info"])
        case .raw(let value):
            object["data"] = hashStrings(value)
        case .logical(let body):
            addLogical(
                into: &object, data: body.data, warnings: body.warnings, leaseID: body.leaseID,
                auth: body.authBlock, wrapInfo: body.wrapInfo)
        }
        return .object(object)
    }

    private func addLogical(
        into object: inout [String: JSONValue], data: [String: JSONValue]?, warnings: [String]?, leaseID: String,
        auth: JSONValue?, wrapInfo: JSONValue?
    ) {
        if let data {
            object["data"] = hashStrings(.object(data))
        }
        if let warnings, !warnings.isEmpty {
            object["warnings"] = .array(warnings.map { .string($0) })
        }
        if !leaseID.isEmpty {
            object["secret"] = .object(["lease_id": .string(leaseID)])
        }
        if case .object(var auth) = auth ?? .null {
            if let token = auth["client_token"]?.stringValue { auth["client_token"] = .string(hash(token)) }
            if let accessor = auth["accessor"]?.stringValue { auth["accessor"] = .string(hashAccessor(accessor)) }
            object["auth"] = .object(auth)
        }
        if case .object(var wrap) = wrapInfo ?? .null {
            if let token = wrap["token"]?.stringValue { wrap["token"] = .string(hash(token)) }
            if let accessor = wrap["accessor"]?.stringValue { wrap["accessor"] = .string(hashAccessor(accessor)) }
            if let wrapped = wrap["wrapped_accessor"]?.stringValue {
                wrap["wrapped_accessor"] = .string(hashAccessor(wrapped))
            }
            object["wrap_info"] = .object(wrap)
        }
    }
}
