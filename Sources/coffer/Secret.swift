/// A response of Vault's logical API (`request_id`, `lease_*`, `data`, `warnings`, `auth`, `wrap_info`), decoded
/// the way Vault's Go client decodes it so that the CLI prints it the same way `bao` does.
struct Secret: Sendable {
    var requestID = ""
    var leaseID = ""
    var leaseDuration = 0
    var renewable = false
    /// `nil` when the server sent `null` or no `data`.
    var data: JSONObject?
    var warnings: [String]?
    var auth: JSONObject?
    var wrapInfo: JSONObject?

    /// Decodes a response body. Returns `nil` for an empty body or a body that holds only `errors`, which the
    /// CLI reports as "No value found". A body carrying none of the standard members (for example
    /// `sys/seal-status`) becomes the secret's `data`, as in the Go client.
    static func decode(_ body: JSONValue?) -> Secret? {
        guard let object = body?.objectValue else {
            return nil
        }
        var secret = Secret()
        secret.requestID = object["request_id"]?.stringValue ?? ""
        secret.leaseID = object["lease_id"]?.stringValue ?? ""
        secret.leaseDuration = object["lease_duration"]?.intValue ?? 0
        secret.renewable = object["renewable"]?.boolValue ?? false
        secret.data = object["data"]?.objectValue
        secret.warnings = object["warnings"]?.arrayValue?.compactMap(\.stringValue)
        secret.auth = object["auth"]?.objectValue
        secret.wrapInfo = object["wrap_info"]?.objectValue
        let isBare = secret.requestID.isEmpty && secret.leaseID.isEmpty && secret.leaseDuration == 0
            && !secret.renewable && secret.data == nil && secret.warnings == nil && secret.auth == nil
            && secret.wrapInfo == nil
        if isBare {
            if object.keys == ["errors"] {
                return nil
            }
            if !object.isEmpty {
                secret.data = object
            }
        }
        return secret
    }

    // MARK: -field

    /// The value `-field=NAME` prints, following Vault's `RawField` rules: on a login response the `token*`
    /// names come from `auth`; on a wrapped response the `wrapping_*` names come from `wrap_info`; otherwise
    /// the lease members, then `data`.
    func rawField(_ name: String) -> JSONValue? {
        if let auth {
            switch name {
            case "token": return auth["client_token"] ?? .string("")
            case "token_accessor": return auth["accessor"] ?? .string("")
            case "token_duration": return auth["lease_duration"] ?? .number("0")
            case "token_renewable": return auth["renewable"] ?? .bool(false)
            case "token_policies": return auth["token_policies"] ?? .null
            case "identity_policies": return auth["identity_policies"] ?? .null
            case "policies": return auth["policies"] ?? .null
            default: return nonNull(data?[name])
            }
        }
        if let wrapInfo {
            switch name {
            case "wrapping_token": return wrapInfo["token"] ?? .string("")
            case "wrapping_accessor": return wrapInfo["accessor"] ?? .string("")
            case "wrapping_token_ttl": return wrapInfo["ttl"] ?? .number("0")
            case "wrapping_token_creation_time": return wrapInfo["creation_time"] ?? .string("")
            case "wrapping_token_creation_path": return wrapInfo["creation_path"] ?? .string("")
            case "wrapped_accessor": return wrapInfo["wrapped_accessor"] ?? .string("")
            default: return nonNull(data?[name])
            }
        }
        switch name {
        case "lease_duration", "refresh_interval": return .number(String(leaseDuration))
        case "lease_id": return .string(leaseID)
        case "request_id": return .string(requestID)
        case "renewable": return .bool(renewable)
        case "data":
            if let inner = data?["data"] {
                return inner
            }
            return data.map { .object($0) }
        default: return nonNull(data?[name])
        }
    }

    /// Go's nil-interface check: a JSON `null` in `data` counts as absent.
    private func nonNull(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else {
            return nil
        }
        return value
    }

    // MARK: table

    /// The "Key / Value" table `bao read` prints, or `nil` when there is nothing to show.
    func table() -> String? {
        var rows: [[String]] = []
        if leaseDuration > 0 {
            if !leaseID.isEmpty {
                rows.append(["lease_id", leaseID])
                rows.append(["lease_duration", GoValueFormat.humanDuration(seconds: leaseDuration)])
                rows.append(["lease_renewable", renewable ? "true" : "false"])
            } else {
                rows.append(["refresh_interval", GoValueFormat.humanDuration(seconds: leaseDuration)])
            }
        }
        if let auth {
            rows.append(["token", auth["client_token"]?.stringValue ?? ""])
            rows.append(["token_accessor", auth["accessor"]?.stringValue ?? ""])
            let duration = auth["lease_duration"]?.intValue ?? 0
            rows.append(["token_duration", duration == 0 ? "∞" : GoValueFormat.humanDuration(seconds: duration)])
            rows.append(["token_renewable", (auth["renewable"]?.boolValue ?? false) ? "true" : "false"])
            for key in ["token_policies", "identity_policies", "policies"] {
                let names = auth[key]?.arrayValue?.compactMap(\.stringValue) ?? []
                rows.append([key, GoValueFormat.quotedList(names)])
            }
            if let metadata = auth["metadata"]?.objectValue {
                for member in metadata.sortedMembers {
                    rows.append(["token_meta_\(member.key)", GoValueFormat.verbV(member.value)])
                }
            }
        }
        if let wrapInfo {
            rows.append(["wrapping_token:", wrapInfo["token"]?.stringValue ?? ""])
            rows.append(["wrapping_accessor:", wrapInfo["accessor"]?.stringValue ?? ""])
            rows.append(["wrapping_token_ttl:", GoValueFormat.humanDuration(wrapInfo["ttl"] ?? .number("0"))])
            let created = wrapInfo["creation_time"]?.stringValue ?? ""
            rows.append(["wrapping_token_creation_time:", GoValueFormat.goTimeString(rfc3339: created)])
            rows.append(["wrapping_token_creation_path:", wrapInfo["creation_path"]?.stringValue ?? ""])
            if let wrapped = wrapInfo["wrapped_accessor"]?.stringValue, !wrapped.isEmpty {
                rows.append(["wrapped_accessor:", wrapped])
            }
        }
        if let data {
            rows += Self.dataRows(data)
        }
        if rows.isEmpty {
            return nil
        }
        return Table.withHeader(["Key", "Value"], rows: rows).render()
    }

    /// One row per member, sorted by key, TTL-like fields as durations (Vault's `OutputMap` rows).
    static func dataRows(_ data: JSONObject) -> [[String]] {
        data.sortedMembers.map { member in
            let shown = GoValueFormat.looksLikeDuration(member.key)
                ? GoValueFormat.humanDuration(member.value) : GoValueFormat.verbV(member.value)
            return [member.key, shown]
        }
    }

    /// A map printed on its own as a Key/Value table (Vault's `OutputData` of a map); `nil` when empty.
    static func mapTable(_ data: JSONObject) -> String? {
        data.isEmpty ? nil : Table.withHeader(["Key", "Value"], rows: dataRows(data)).render()
    }

    /// Warnings as `bao` prints them on stderr above a table, or `nil` when there are none.
    func warningText() -> String? {
        guard let warnings, !warnings.isEmpty else {
            return nil
        }
        var text = "WARNING! The following warnings were returned from the server:\n\n"
        for warning in warnings {
            text += TextWrap.wrap("* " + warning, width: 78, padding: 2) + "\n\n"
        }
        return String(text.dropLast())
    }

    // MARK: json

    /// The secret as `bao -format=json` prints it: the Go client's struct order, `data` keys sorted.
    func jsonValue() -> JSONValue {
        var object = JSONObject()
        object.set("request_id", .string(requestID))
        object.set("lease_id", .string(leaseID))
        object.set("lease_duration", .number(String(leaseDuration)))
        object.set("renewable", .bool(renewable))
        object.set("data", data.map { JSONValue.object($0).sortedKeys() } ?? .null)
        object.set("warnings", warnings.map { .array($0.map(JSONValue.string)) } ?? .null)
        if let auth {
            object.set("auth", Self.ordered(auth, [
                ("client_token", .string("")), ("accessor", .string("")), ("policies", .null),
                ("token_policies", .null), ("identity_policies", .null), ("metadata", .null),
                ("orphan", .bool(false)), ("entity_id", .string("")), ("lease_duration", .number("0")),
                ("renewable", .bool(false)), ("mfa_requirement", .null),
            ]))
        }
        if let wrapInfo {
            object.set("wrap_info", Self.ordered(wrapInfo, [
                ("token", .string("")), ("accessor", .string("")), ("ttl", .number("0")),
                ("creation_time", .string("0001-01-01T00:00:00Z")), ("creation_path", .string("")),
                ("wrapped_accessor", .string("")),
            ]))
        }
        return .object(object)
    }

    /// A Go struct's members in declaration order, with Go's zero value for a missing member.
    private static func ordered(_ source: JSONObject, _ fields: [(String, JSONValue)]) -> JSONValue {
        var object = JSONObject()
        for (name, zero) in fields {
            object.set(name, source[name].map { $0.sortedKeys() } ?? zero)
        }
        return .object(object)
    }
}
